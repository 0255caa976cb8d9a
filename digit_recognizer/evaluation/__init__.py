"""Measuring the models: the test sets (``datasets``; the drawn ``styles`` and ``nondigits``
sets) and the ``evaluate`` command. Training never imports this layer, so no test set can leak
into a training run.
"""
