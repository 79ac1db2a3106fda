"""A labelled pattern's declared parts, kept beside its compiled lookaround form.

The Python reference matches a labelled value ("MRN: 123", "zip code where she lives is 02139")
with one backtracking regex built from the registry's declared fields (``label_separator``,
``label_boundary``, ``label_window``, the category's labels and value regex). The native core
decides the same matches from these parts themselves (``native/src/labelled.rs``), so it needs
no lookaround and Python compiles nothing for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs


@attrs.frozen
class LabelGrammar:
    """What every labelled pattern of a registry shares (the document's ``label_*`` fields)."""

    separator: str
    left: str
    after_label: str
    glued: str
    right: str
    max_words: int
    words: tuple[str, ...]
    word: str | None
    punctuation: str | None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> LabelGrammar:
        bound = doc["label_boundary"]
        window = doc["label_window"]
        return cls(
            separator=doc["label_separator"],
            left=bound["left"],
            after_label=bound["after_label"],
            glued=bound["glued"],
            right=bound["right"],
            max_words=int(window["max_words"]),
            words=tuple(window["words"] or ()),
            word=window.get("word"),
            punctuation=window.get("punctuation"),
        )

    @property
    def has_window(self) -> bool:
        """Whether words may stand between a label and its value (as the reference builds it)."""
        return bool(self.max_words and (self.words or self.word is not None))


@attrs.frozen
class LabelRule:
    """One category's labelled pattern: its labels in the reference's order and its value regex."""

    labels: tuple[str, ...]
    """Lower case, longest first (ties in file order), as the reference's alternation tries them."""
    value: str
    grammar: LabelGrammar


def label_order(labels: Sequence[str]) -> list[str]:
    """The order the reference's label alternation tries ``labels`` in."""
    return sorted((lab.lower() for lab in labels), key=len, reverse=True)
