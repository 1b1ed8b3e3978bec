"""Cutting rule documentation into the pieces catalogues and machine formats show."""

from __future__ import annotations

import re
import textwrap

#: words whose full stop does not end a sentence
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "cf")


def first_sentence(text: str) -> str:
    """The first sentence of `text`, never cut inside backticks or brackets or after `e.g.`."""
    flat = " ".join(textwrap.dedent(text).split())
    depth, quoted = 0, False
    for index, char in enumerate(flat):
        if char == "`":
            quoted = not quoted
        elif quoted:
            continue
        elif char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        elif char == "." and depth == 0 and (index + 1 == len(flat) or flat[index + 1] == " "):
            word = re.split(r"[\s(]", flat[:index])[-1].lower()
            if word not in _ABBREVIATIONS:
                return flat[: index + 1]
    return flat
