"""Where the app's processes write what the window leaves out: the libraries' own words.

The window and the status bar speak the user's language ("broken.h5 is damaged…"); the
exception text behind such a sentence ("Unable to synchronously open file…") is logged under
``digit_recognizer`` and, in the app's processes, printed to the terminal. The commands leave
it unconfigured, so they keep to one line per error.
"""

from __future__ import annotations

import logging

__all__ = ["log_details_to_terminal"]


def log_details_to_terminal() -> None:
    """Print the package's INFO-level details to stderr; other libraries' logs are untouched."""
    logger = logging.getLogger("digit_recognizer")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
