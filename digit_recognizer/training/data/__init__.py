"""What training shows the networks besides MNIST as it is: MNIST digits re-drawn the way the
canvas draws (``synthetic``), given the styles MNIST lacks (``style_edits``), non-digits for
outlier exposure (``outliers``), USPS' real handwriting (``usps``), the pen data's strokes drawn
as the window draws (``pen_drawing``), all mixed by ``variants`` and served in augmented
batches by ``augment``. The data sets themselves are read and verified by ``core.datasets``.
"""
