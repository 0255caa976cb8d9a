"""The window's work off the Tk thread: the worker threads (``worker``), what jobs are asked and
hand back (``job_results``), the file jobs (``file_jobs``), loading models (``model_loading``),
the answer engine (``engine``), and the network in a child process (``model_process``, whose
child runs ``model_server``) so that the window's process never imports TensorFlow.
"""
