"""Masking keeps enough to tell people apart and compare with a card in the hand, never the whole."""

from django.template import Context, Template

from tongban.identity.masking import mask_id_number, mask_name, mask_phone


def test_id_numbers_keep_the_first_and_last_four():
    assert mask_id_number("41150219900101123X") == "4115**********123X"
    assert mask_id_number("411502199001011234") == "4115**********1234"


def test_short_numbers_show_less():
    assert mask_id_number("E12345678") == "E1*****78"
    assert mask_id_number("12345678") == "12****78"
    assert mask_id_number("") == "" and mask_id_number(None) == ""
    assert mask_id_number("123") == "***"


def test_phones():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("0376-6222222") == "*******2222"
    assert mask_phone("") == ""


def test_names():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("John Smith") == "J*** S****"


def test_template_filters():
    html = Template("{% load tongban_identity %}{{ n|mask_id }} {{ p|mask_phone }} {{ m|mask_name }}").render(
        Context({"n": "41150219900101123X", "p": "13812345678", "m": "王小明"})
    )
    assert html == "4115**********123X 138****5678 王**"
