"""Numbers as people write them -> their digits: ``reading.read_number``, one module per job.

    from digit_recognizer.recognition.numbers.reading import read_number
    number = read_number(image, recognizer.predict, threshold, strokes=window_strokes)

- ``pieces``: a candidate digit as ink alone (``Piece``), joined and cut.
- ``stroke_groups``: the window's strokes, in the order written -> one group per digit.
- ``pages``: an image's ink, or the strokes, -> candidate digits in rows.
- ``layout``: rows, how tall a row's digits are, and the gaps that are spaces.
- ``decimal_point``: dots, and which of them are decimal points.
- ``fragments``: pieces too small to be a digit, joined to their neighbour or ignored.
- ``cuts``: where a piece holding touching digits may be cut (seams of least ink).
- ``touching``: touching digits cut apart where the network reads the parts surest.
- ``reader``: the network's reading of many candidates in one call.
- ``reading``: the steps in order (``read_number``).

Only OpenCV, NumPy and Pillow, like ``preprocess``: the network is passed in as a function.
"""
