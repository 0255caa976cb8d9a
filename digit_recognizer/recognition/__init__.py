"""Any image -> a digit: preprocessing (``preprocess``), the ONNX runner that needs no TensorFlow
(``inference``), the model file's safety checks (``model_safety``), ``Recognizer`` and the
``predict`` command. Imports only ``core``.
"""
