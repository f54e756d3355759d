"""cases.carried: what a form was loaded with, carried signed, read back only for its own
form, and compared as a form shows values."""

import datetime

from django.test import RequestFactory

from cases import carried


def post(value):
    return RequestFactory().post("/", {carried.FIELD: value})


def test_read_back_for_its_own_form_only():
    values = {"held_on": datetime.date(2026, 12, 5), "importance": 6, "themes": ["a", "b"]}
    token = carried.token(("gesprek", 7), values)
    assert carried.posted(post(token), ("gesprek", 7)) == {
        "held_on": "2026-12-05",
        "importance": 6,
        "themes": ["a", "b"],
    }
    assert carried.posted(post(token), ("gesprek", 8)) is None  # another log's form
    assert carried.posted(post(token), ("leidraad", 7, 2)) is None
    assert carried.posted(post(token[:-2] + "xx"), ("gesprek", 7)) is None  # forged
    assert carried.posted(post(""), ("gesprek", 7)) is None  # a form from before


def test_same_as_a_form_shows_them():
    assert carried.same(None, "") and carried.same(False, None) and carried.same("", False)
    assert carried.same("regel 1\r\nregel 2 ", "regel 1\nregel 2")
    assert carried.same(datetime.date(2026, 12, 5), "2026-12-05")
    assert carried.same(["b", "a"], ("a", "b"))
    assert carried.same(6, "6") and carried.same(True, True)
    assert not carried.same("ja", "") and not carried.same(6, 7)
    assert not carried.same(["a"], ["a", "b"]) and not carried.same(True, False)
    assert carried.same("Zoë’s “werk”", "Zoë’s “werk”")  # any text survives the round trip
    token = carried.token(("x",), {"t": "Zoë’s “werk”"})
    assert carried.posted(post(token), ("x",)) == {"t": "Zoë’s “werk”"}
