"""Any image of a digit -> a 28×28 input that looks like MNIST, in one module per job.

    from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist
    mnist = canvas_to_mnist(image)          # float32 (28, 28) in [0, 1], ink high

A person's drawing differs from MNIST's digits in every way: dark ink on a light canvas,
anywhere on the canvas, at any size, with a brush whose width does not shrink with the digit.
The modules, in the order the work goes:

- ``errors``: what bad input raises (``ImageError``, ``EmptyDrawingError``,
  ``DrawingTooSmallError``).
- ``images``: files, arrays and PIL images -> uint8 grey images (``load_image``).
- ``ink``: a grey image -> its ink, whichever the polarity, without specks.
- ``mnist_recipe``: one digit's ink -> MNIST's 28×28 field, stroke width included
  (``stroke_width``).
- ``canvas``: a drawing of one digit -> 28×28 (``canvas_to_mnist``, ``canvas_to_mnist_uint8``).
- ``segment``: a drawing of a number -> one 28×28 input per digit (``segment_digits``).
- ``photo``: a photo or scan of paper -> 28×28 (``photo_to_mnist``).

Only OpenCV and NumPy (and Pillow for files), never TensorFlow: the window imports these modules
on its start path, and the same code serves the window, the ``predict`` command and the
benchmarks, so they cannot drift apart.
"""
