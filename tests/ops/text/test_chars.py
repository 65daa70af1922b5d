import string

from mmcurate.ops.text.chars import SPECIAL_CHARACTERS, SPECIAL_CHARACTERS_STR


def test_set_size_and_members():
    # Data-Juicer's set with emoji==2.2.0, single characters only
    assert len(SPECIAL_CHARACTERS) == 1618
    assert set(string.punctuation + string.digits + string.whitespace) <= SPECIAL_CHARACTERS
    for c in "，。«»…€©®™😊😸👊\u200b\u00ad\ufeff\x85\u3000一上Г":
        assert c in SPECIAL_CHARACTERS, repr(c)
    for c in "aZé中文гΩ\u00a0":
        assert c not in SPECIAL_CHARACTERS, repr(c)


def test_string_form_has_the_same_characters():
    assert set(SPECIAL_CHARACTERS_STR) == SPECIAL_CHARACTERS
