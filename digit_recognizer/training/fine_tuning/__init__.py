"""Fine-tuning: teach a trained model the user's corrections in seconds (``fine_tune``).

- ``fine_tune``: the entry points (``fine_tune``, ``personalise``, ``Personaliser``) and how it
  works, with what was measured.
- ``mix``: the recipe, and what each epoch trains on.
- ``head``: a base cut into a frozen trunk and a head, and the head's training.
- ``guard``: each fit scored on replay digits held out from it, in all and per digit class;
  refitted gently, or refused.
- ``pipeline``: the one fine-tuning the window and the command both run: the conflicting
  corrections left out, the rest learned under the guard, the same metadata.
- ``files``: the ``fine-tune`` command's work: its inputs checked, the model and metadata saved.
- ``cli``: ``python -m digit_recognizer fine-tune``.
"""
