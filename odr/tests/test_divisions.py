"""Division names: the shortest name that is unambiguous in the country."""

from odr.divisions import (
    division_full_name,
    division_group,
    division_label,
    division_name,
    divisions_under,
)


def test_a_county_is_named_alone_when_no_other_has_its_name():
    assert division_name("371302") == "兰山区"
    assert division_label("371302") == "兰山区"
    assert division_full_name("371302") == "山东省临沂市兰山区"


def test_a_shared_name_takes_its_city_or_province():
    assert division_label("371312") == "临沂市河东区"  # Tianjin has a 河东区 too
    assert division_label("120102") == "天津市河东区"
    assert division_label("350102") == "福州市鼓楼区"
    assert division_label("110105") == "北京市朝阳区"
    assert division_full_name("110105") == "北京市朝阳区"  # a municipality has no city level


def test_cities_provinces_and_unknown_codes():
    assert (division_label("371300"), division_label("370000")) == ("临沂市", "山东省")
    assert division_full_name("419001") == "河南省济源市"  # directly under its province
    assert (division_name("371399"), division_label("371399")) == ("", "371399")
    assert division_full_name("371399") == ""


def test_groups_and_what_a_jurisdiction_covers():
    assert division_group("371302") == "371300"
    assert division_group("371300") == "371300"
    assert division_group("110105") == "110000"
    assert division_group("370000") == "370000"
    linyi = divisions_under("371300")
    assert linyi[0] == "371300" and "371302" in linyi and len(linyi) == 13
    assert all(c.endswith("00") for c in divisions_under("370000", depth="city"))
    country = divisions_under(None, depth="city")
    assert "110000" in country and "371300" in country and "371302" not in country
