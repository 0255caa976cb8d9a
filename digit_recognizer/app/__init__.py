"""The desktop app: ``gui`` starts it; ``window`` holds the window's parts, ``background`` the
work done off the Tk thread (the worker threads, the model's child process, file jobs); the
modules here connect them: answering, choosing models, the user's files, teaching (the
corrections store), the personal model and the remembered settings.

The window's start imports neither TensorFlow nor OpenCV (tests/test_code_shape.py checks).
"""
