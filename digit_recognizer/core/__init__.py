"""The bottom layer: what every other layer shares, and nothing heavier than NumPy and Pillow.

Files written atomically (``files``), IDX bytes (``idx``), every data set found, read and
verified (``datasets``), what recognizing returns (``results``), how sure an answer is
(``confidence``), scoring (``scoring``), the bundled models and their metadata (``catalogue``),
a drawing's strokes and their rendering (``strokes``), and Keras imported quietly
(``quiet_tf``).
"""
