"""Making the models: the networks (``models``), their training data (``data``), a training run
(``train``, with its command line in ``train_cli``, the data it reads in ``run_data`` and the
files it writes in ``run_files``), what watches a run (``callbacks``, ``checkpoint``,
``environment``), its ``figures``, where "not a digit" begins (``calibration``), the ONNX copy
(``export``), fine-tuning on a user's corrections (``fine_tuning``) and the bundled replay digits
(``replay_set``). Imports ``recognition`` and ``core``, never the test sets.
"""
