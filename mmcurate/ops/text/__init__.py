"""Text mappers and filters (Data-Juicer names, parameters and semantics)."""

from mmcurate.ops.text import (  # noqa: F401
    alphanumeric,
    character_repetition,
    clean,
    fix_unicode,
    length,
    line_length,
    punctuation,
    repeat_sentences,
    special_characters,
    whitespace,
    word_repetition,
    words_num,
)
