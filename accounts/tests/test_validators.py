"""Unified social credit codes (GB 32100-2015), division codes and mobile numbers."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Merchant, MerchantStore, store_url_key
from accounts.validators import check_division_code, check_uscc, normalise_phone


@pytest.mark.parametrize("code", ["91350100M000100Y43", "11420802MB1975934L", "91371300MA3C8TXK2D"])
def test_valid_codes(code):
    check_uscc(code)


def test_wrong_check_character_names_both_characters():
    with pytest.raises(ValidationError) as exc:
        check_uscc("91350100M000100Y44")
    assert exc.value.code == "checksum"
    assert "“4”" in exc.value.messages[0]
    assert "“3”" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("code", "position", "char"), [("91350100I000100Y43", 9, "I"), ("9135010OM000100Y43", 8, "O")]
)
def test_forbidden_character_is_named_with_its_position(code, position, char):
    with pytest.raises(ValidationError) as exc:
        check_uscc(code)
    assert exc.value.code == "character"
    assert f"{position}" in exc.value.messages[0]
    assert char in exc.value.messages[0]


@pytest.mark.parametrize("code", ["", "9135", "91350100M000100Y431"])
def test_wrong_length(code):
    with pytest.raises(ValidationError) as exc:
        check_uscc(code)
    assert exc.value.code == "length"


@pytest.mark.django_db
def test_merchant_model_refuses_a_bad_code():
    merchant = Merchant(name="x", uscc="91350100M000100Y44", division_code="350100")
    with pytest.raises(ValidationError) as exc:
        merchant.full_clean()
    assert "uscc" in exc.value.message_dict


@pytest.mark.parametrize("code", ["371300", "110000", "350102"])
def test_division_codes(code):
    check_division_code(code)


@pytest.mark.parametrize("code", ["", "37130", "3713000", "071300", "37130a"])
def test_bad_division_codes(code):
    with pytest.raises(ValidationError):
        check_division_code(code)


def test_phone_forms():
    assert normalise_phone("13800000001") == "+8613800000001"
    assert normalise_phone("+86 138-0000-0001") == "+8613800000001"
    with pytest.raises(ValidationError):
        normalise_phone("010-12345678")  # a Beijing landline cannot receive SMS


def test_store_url_key():
    assert store_url_key("https://www.Shop.Taobao.com/") == "shop.taobao.com"
    assert store_url_key("http://mall.jd.com/x") == "mall.jd.com/x"


@pytest.mark.django_db
def test_store_key_is_kept_on_save():
    merchant = Merchant.objects.create(name="x", uscc="91350100M000100Y43", division_code="350100")
    store = MerchantStore.objects.create(
        merchant=merchant, platform="淘宝", url="https://www.a.taobao.com/"
    )
    assert store.url_key == "a.taobao.com"
