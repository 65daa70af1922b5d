"""Words as Data-Juicer's text filters see them (``ops/common/helper_func.py``).

Data-Juicer without ``tokenization`` splits a document on the space, ``\\n`` and ``\\t``
characters only (``split_on_whitespace(document, new_line=True, tab=True)``; other unicode
spaces stay inside words), drops empty pieces, then *refines* the words: optionally
lower-cases each, strips the :data:`~mmcurate.ops.text.chars.SPECIAL_CHARACTERS` from both
ends of each, and drops words that became empty (``words_refinement``).
"""

from __future__ import annotations

from mmcurate.ops.text.chars import SPECIAL_CHARACTERS

_SPECIAL = SPECIAL_CHARACTERS


def split_words(text: str) -> list[str]:
    """The non-empty pieces of ``text`` between spaces, newlines and tabs."""
    return list(filter(None, text.replace("\n", " ").replace("\t", " ").split(" ")))


def strip_special(word: str) -> str:
    """``word`` without the special characters at either end (Data-Juicer's ``strip``)."""
    n = len(word)
    i = 0
    while i < n and word[i] in _SPECIAL:
        i += 1
    if i == n:
        return ""
    j = n
    while word[j - 1] in _SPECIAL:
        j -= 1
    return word[i:j]


def refine_words(words: list[str], lower_case: bool = False) -> list[str]:
    """Data-Juicer's ``words_refinement(words, lower_case, strip_chars=SPECIAL_CHARACTERS)``.

    Lower-cases first (if asked), then strips special characters from both ends of each
    word and drops the words left empty.
    """
    special = _SPECIAL
    out: list[str] = []
    for word in words:
        if lower_case:
            word = word.lower()
        if word[0] in special or word[-1] in special:
            word = strip_special(word)
            if not word:
                continue
        out.append(word)
    return out


def count_words(words: list[str]) -> int:
    """``len(refine_words(words))`` without building the list: words that are not made of
    special characters only."""
    special = _SPECIAL
    n = 0
    for word in words:
        if word[0] in special and word[-1] in special and all(c in special for c in word):
            continue
        n += 1
    return n
