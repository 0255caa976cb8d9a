"""The data sets, each read, found and verified in one place, with one family of errors.

``sources`` is the one helper that finds a data set's folder (an argument, else its environment
variable, else ``../shared/data`` beside the repository) and checks its files' SHA-256, so a
missing, truncated or altered file reads the same for every set. ``errors`` holds
``DatasetError`` and its kinds. The readers: ``mnist``, ``replay`` (the digits bundled with
the models), ``usps`` and ``semeion`` (16×16 scans, as they are), ``unipen`` (the pen data, as
strokes, and its writer split), ``idx_folder`` (any folder holding an IDX pair, such as the
corrections) and ``image_folder`` (digits as image files in subfolders 0 to 9). Turning them
into training or test images is the job of the layers above.
"""
