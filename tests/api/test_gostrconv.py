"""Go's strconv, once (engine/api/gostrconv.py): the spellings every printer and message shares."""
from __future__ import annotations

import pytest

from engine.api.gostrconv import (NumError, go_float, go_json_float, go_parse_int, go_parse_uint, go_quote,
                                  go_quote_rune, go_yaml_float)


@pytest.mark.parametrize("text, value", [("0", 0), ("-1", -1), ("0x1F", 31), ("0o17", 15), ("017", 15),
                                         ("0b101", 5), ("1_000", 1000), ("0x_1f", 31),
                                         ("-9223372036854775808", -(1 << 63))])
def test_parse_int_base_0_reads_what_go_reads(text, value):
    assert go_parse_int(text) == value


@pytest.mark.parametrize("text, err", [("08", "invalid syntax"), ("_1", "invalid syntax"), ("1__0", "invalid syntax"),
                                       ("1_", "invalid syntax"), ("", "invalid syntax"), ("0x", "invalid syntax"),
                                       ("9223372036854775808", "value out of range")])
def test_parse_int_errors_read_as_go_prints_them(text, err):
    with pytest.raises(NumError) as e:
        go_parse_int(text)
    assert str(e.value) == f"strconv.ParseInt: parsing {go_quote(text)}: {err}"


def test_parse_uint_takes_the_upper_half_and_no_sign():
    assert go_parse_uint("18446744073709551615") == (1 << 64) - 1
    with pytest.raises(NumError, match=r'^strconv.ParseUint: parsing "\+1": invalid syntax$'):
        go_parse_uint("+1")


def test_floats_as_strconv_json_and_go_yaml_write_them():
    assert [go_float(f) for f in (1e6, 123456.0, 1e-5, -0.0, float("inf"))] == ["1e+06", "123456", "1e-05", "-0", "+Inf"]
    assert [go_json_float(f) for f in (1e6, 1.5e-7, 1e21, 1e20)] == ["1000000", "1.5e-7", "1e+21", "100000000000000000000"]
    assert [go_yaml_float(f) for f in (float("nan"), float("-inf"), 0.5)] == [".nan", "-.inf", "0.5"]
    with pytest.raises(ValueError, match="json: unsupported value: NaN"):
        go_json_float(float("nan"))


def test_quote_and_quote_rune():
    assert go_quote('a"b\tc\x00é') == '"a\\"b\\tc\\x00é"'
    assert [go_quote_rune(c) for c in ("x", "'", '"', "\t", "\u200b")] == ["'x'", "'\\''", "'\"'", "'\\t'", "'\\u200b'"]


def test_parse_bool():
    from engine.api.gostrconv import go_parse_bool
    assert [go_parse_bool(s) for s in ("1", "T", "true", "0", "False")] == [True, True, True, False, False]
    with pytest.raises(NumError, match=r'^strconv.ParseBool: parsing "yes": invalid syntax$'):
        go_parse_bool("yes")
