"""Data-Juicer's ``SPECIAL_CHARACTERS``, frozen (no ``emoji`` dependency).

Data-Juicer (``data_juicer/ops/common/special_characters.py``, from the BigScience /
Hugging Face text-data-filtering code) defines the special characters as ASCII
punctuation, digits and whitespace, a list of other symbols (invisible C1 controls and
unicode spaces included, and also the CJK characters U+4E00 ``一`` and U+4E0A ``上``), and
every key of ``emoji.EMOJI_DATA``. Its ops only ever test single characters against that set
(``c in SPECIAL_CHARACTERS`` and a per-character strip), so only the single-code-point emoji
matter. They are frozen here from ``emoji==2.2.0``, the version Data-Juicer pins, so the set
does not change with whatever ``emoji`` happens to be installed.
"""

from __future__ import annotations

import string

#: The other symbols, sorted by code point (escaped: several are invisible).
OTHER_SPECIAL_CHARACTERS = (
    "\x20\x81\x82\x83\x84\x85\x91\x92\x93\x95\x96\x97\x98\x99\x9c\x9d\xa1\xa2\xa3\xa4\xa5"
    "\xa6\xa7\xa8\xa9\xaa\xab\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb7\xb8\xb9\xba\xbb\xbc\xbd"
    "\xbe\xbf\xd7\xf7\xf8\u0131\u026a\u02ba\u02bb\u02bc\u02c8\u02cc\u02d0\u02d8\u02da"
    "\u02dc\u03c0\u0413\u060c\u0647\u066a\u066c\u06e9\u093e\u0940\u0947\u094d\u097d\u09be"
    "\u0e51\u2002\u2003\u2005\u2008\u2009\u200a\u200b\u2010\u2011\u2013\u2014\u2015\u2016"
    "\u2018\u2019\u201a\u201c\u201d\u201e\u201f\u2020\u2022\u2024\u2026\u202f\u2030\u2032"
    "\u2033\u2039\u203a\u203f\u2043\u2044\u20a8\u20aa\u20ac\u2103\u2122\u2190\u2191\u2192"
    "\u2193\u21d3\u2206\u2208\u2212\u221a\u221e\u221f\u223c\u2248\u2256\u2264\u2265\u2295"
    "\u22c5\u2550\u25a0\u25ac\u25b2\u25b4\u25b7\u25ba\u25bb\u25bc\u25c6\u25cf\u25e6\u2605"
    "\u2606\u261b\u263b\u2661\u2665\u266b\u2713\u2726\u2731\u2756\u27a4\u27a9\u2800\u3000"
    "\u3001\u3002\u300a\u300b\u300c\u300d\u3010\u3011\u309c\u30b7\u30c3\u30c4\u30f3\u30fb"
    "\u30fc\u4e00\u4e0a\u58eb\ufd3e\ufd3f\ufeff\uff01\uff08\uff09\uff0c\uff0e\uff11\uff1a"
    "\uff1b\uff1f\uff3e\uff5e\ufffc\ufffd"
)

#: Code point ranges (inclusive) of the single-code-point keys of ``emoji.EMOJI_DATA``
#: in ``emoji==2.2.0``.
EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x2199),
    (0x21A9, 0x21AA),
    (0x231A, 0x231B),
    (0x2328, 0x2328),
    (0x23CF, 0x23CF),
    (0x23E9, 0x23F3),
    (0x23F8, 0x23FA),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25AB),
    (0x25B6, 0x25B6),
    (0x25C0, 0x25C0),
    (0x25FB, 0x25FE),
    (0x2600, 0x2604),
    (0x260E, 0x260E),
    (0x2611, 0x2611),
    (0x2614, 0x2615),
    (0x2618, 0x2618),
    (0x261D, 0x261D),
    (0x2620, 0x2620),
    (0x2622, 0x2623),
    (0x2626, 0x2626),
    (0x262A, 0x262A),
    (0x262E, 0x262F),
    (0x2638, 0x263A),
    (0x2640, 0x2640),
    (0x2642, 0x2642),
    (0x2648, 0x2653),
    (0x265F, 0x2660),
    (0x2663, 0x2663),
    (0x2665, 0x2666),
    (0x2668, 0x2668),
    (0x267B, 0x267B),
    (0x267E, 0x267F),
    (0x2692, 0x2697),
    (0x2699, 0x2699),
    (0x269B, 0x269C),
    (0x26A0, 0x26A1),
    (0x26A7, 0x26A7),
    (0x26AA, 0x26AB),
    (0x26B0, 0x26B1),
    (0x26BD, 0x26BE),
    (0x26C4, 0x26C5),
    (0x26C8, 0x26C8),
    (0x26CE, 0x26CF),
    (0x26D1, 0x26D1),
    (0x26D3, 0x26D4),
    (0x26E9, 0x26EA),
    (0x26F0, 0x26F5),
    (0x26F7, 0x26FA),
    (0x26FD, 0x26FD),
    (0x2702, 0x2702),
    (0x2705, 0x2705),
    (0x2708, 0x270D),
    (0x270F, 0x270F),
    (0x2712, 0x2712),
    (0x2714, 0x2714),
    (0x2716, 0x2716),
    (0x271D, 0x271D),
    (0x2721, 0x2721),
    (0x2728, 0x2728),
    (0x2733, 0x2734),
    (0x2744, 0x2744),
    (0x2747, 0x2747),
    (0x274C, 0x274C),
    (0x274E, 0x274E),
    (0x2753, 0x2755),
    (0x2757, 0x2757),
    (0x2763, 0x2764),
    (0x2795, 0x2797),
    (0x27A1, 0x27A1),
    (0x27B0, 0x27B0),
    (0x27BF, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x1F004, 0x1F004),
    (0x1F0CF, 0x1F0CF),
    (0x1F170, 0x1F171),
    (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F201, 0x1F202),
    (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F23A),
    (0x1F250, 0x1F251),
    (0x1F300, 0x1F321),
    (0x1F324, 0x1F393),
    (0x1F396, 0x1F397),
    (0x1F399, 0x1F39B),
    (0x1F39E, 0x1F3F0),
    (0x1F3F3, 0x1F3F5),
    (0x1F3F7, 0x1F4FD),
    (0x1F4FF, 0x1F53D),
    (0x1F549, 0x1F54E),
    (0x1F550, 0x1F567),
    (0x1F56F, 0x1F570),
    (0x1F573, 0x1F57A),
    (0x1F587, 0x1F587),
    (0x1F58A, 0x1F58D),
    (0x1F590, 0x1F590),
    (0x1F595, 0x1F596),
    (0x1F5A4, 0x1F5A5),
    (0x1F5A8, 0x1F5A8),
    (0x1F5B1, 0x1F5B2),
    (0x1F5BC, 0x1F5BC),
    (0x1F5C2, 0x1F5C4),
    (0x1F5D1, 0x1F5D3),
    (0x1F5DC, 0x1F5DE),
    (0x1F5E1, 0x1F5E1),
    (0x1F5E3, 0x1F5E3),
    (0x1F5E8, 0x1F5E8),
    (0x1F5EF, 0x1F5EF),
    (0x1F5F3, 0x1F5F3),
    (0x1F5FA, 0x1F64F),
    (0x1F680, 0x1F6C5),
    (0x1F6CB, 0x1F6D2),
    (0x1F6D5, 0x1F6D7),
    (0x1F6DC, 0x1F6E5),
    (0x1F6E9, 0x1F6E9),
    (0x1F6EB, 0x1F6EC),
    (0x1F6F0, 0x1F6F0),
    (0x1F6F3, 0x1F6FC),
    (0x1F7E0, 0x1F7EB),
    (0x1F7F0, 0x1F7F0),
    (0x1F90C, 0x1F93A),
    (0x1F93C, 0x1F945),
    (0x1F947, 0x1F9FF),
    (0x1FA70, 0x1FA7C),
    (0x1FA80, 0x1FA88),
    (0x1FA90, 0x1FABD),
    (0x1FABF, 0x1FAC5),
    (0x1FACE, 0x1FADB),
    (0x1FAE0, 0x1FAE8),
    (0x1FAF0, 0x1FAF8),
)

#: Every single character Data-Juicer treats as special.
SPECIAL_CHARACTERS: frozenset[str] = frozenset(
    string.punctuation + string.digits + string.whitespace + OTHER_SPECIAL_CHARACTERS
) | frozenset(chr(c) for lo, hi in EMOJI_RANGES for c in range(lo, hi + 1))

#: The same set as one string, for ``str.strip``.
SPECIAL_CHARACTERS_STR = "".join(sorted(SPECIAL_CHARACTERS))
