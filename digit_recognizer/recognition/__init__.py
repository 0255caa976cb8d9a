"""Any image -> a digit: preprocessing (``preprocess``), the ONNX runner that needs no TensorFlow
(``inference``), the model file's safety checks (``model_safety``), ``Recognizer``, the
``predict`` command and the ``mnist.py`` IDX command (``mnist_tool``, whose ``pack`` makes
images digits with the same preprocessing). Imports only ``core``.
"""
