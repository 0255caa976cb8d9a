"""Words the window says from more than one place: shared status messages, counted nouns.

Plain text only, so that every part of the window, and the workers' jobs above it, can say the
same thing the same way.
"""

from __future__ import annotations

__all__ = ["DRAW_FIRST", "NO_MODEL", "DIGIT_HINT", "NUMBER_HINT", "plural"]

# Status messages that both the workers' jobs and the window's parts give.
DRAW_FIRST = "Draw a digit first."
NO_MODEL = "No model loaded: choose one in the Model menu."
# What the empty paper invites, in each mode.
DIGIT_HINT, NUMBER_HINT = "Draw a digit here", "Write a number here"


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is 1: "1 sample", "3 samples"."""
    return f"{count} {noun}{'s' if count != 1 else ''}"
