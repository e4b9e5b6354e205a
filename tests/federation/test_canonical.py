"""JSON规范化 per RFC 8785: the RFC's own examples, its number table, and round trips."""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
import subprocess
from datetime import date
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest

from tests.conftest import need
from tongban.federation.canonical import MAX_EXACT_INT, canonical, loads

# RFC 8785 §3.2.2: the input, and §3.2.4: its canonical form as UTF-8 bytes.
RFC_INPUT = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_OUTPUT_HEX = """
7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
"""

# RFC 8785 §3.2.3: members sorted by UTF-16 code units.
RFC_SORTING_INPUT = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_SORTED_VALUES = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]

# RFC 8785 Appendix B: IEEE 754 bits and the expected serialisation.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(bits))[0]


def test_rfc_example_bytes() -> None:
    assert canonical(json.loads(RFC_INPUT)) == bytes.fromhex(RFC_OUTPUT_HEX)
    assert canonical(json.loads(RFC_INPUT)).decode() == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_rfc_sorting_example() -> None:
    out = json.loads(canonical(json.loads(RFC_SORTING_INPUT)))
    assert list(out.values()) == RFC_SORTED_VALUES


def test_keys_sorted_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, which sorts before U+E000..U+FFFF; by code point it is after.
    astral, private_use, last_bmp = "\U0001f600", "\ue000", "\uffff"
    value = {last_bmp: 3, private_use: 2, astral: 1}
    assert sorted(value) == [private_use, last_bmp, astral]  # Python's order, the wrong one for JCS
    assert canonical(value) == f'{{"{astral}":1,"{private_use}":2,"{last_bmp}":3}}'.encode()
    # The weird.json case from the JCS reference test data.
    weird = {"\u20ac": 1, "1": 2, "\u0080": 3, "\U0001f602": 4, "\u00f6": 5, "\ufb33": 6, "</script>": 7}
    expected = '{"1":2,"</script>":7,"\u0080":3,"\u00f6":5,"\u20ac":1,"\U0001f602":4,"\ufb33":6}'
    assert canonical(weird) == expected.encode()


def test_prefix_sorts_first_and_nesting_sorted() -> None:
    value = {"ab": 1, "a": {"z": [3, {"y": None, "x": True}], "b": False}, "": "empty"}
    assert canonical(value) == b'{"":"empty","a":{"b":false,"z":[3,{"x":true,"y":null}]},"ab":1}'


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_rfc_appendix_b_numbers(bits: str, expected: str) -> None:
    assert canonical(_double(bits)) == expected.encode()


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (333333333.33333329, "333333333.3333333"),
        (1e30, "1e+30"),
        (4.50, "4.5"),
        (2e-3, "0.002"),
        (1e-27, "1e-27"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123.0, "123"),
        (-1.5, "-1.5"),
        (1.25e-5, "0.0000125"),
        (1.5e300, "1.5e+300"),
    ],
)
def test_number_examples(number: float, expected: str) -> None:
    assert canonical(number) == expected.encode()


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_refused(number: float) -> None:
    with pytest.raises(ValueError, match="not a JSON number"):
        canonical({"x": [number]})


def test_integers_within_two_to_the_53() -> None:
    assert canonical(MAX_EXACT_INT) == b"9007199254740992"
    assert canonical(-MAX_EXACT_INT) == b"-9007199254740992"
    assert canonical([0, -1, 42]) == b"[0,-1,42]"
    for too_big in (MAX_EXACT_INT + 1, -MAX_EXACT_INT - 1, 10**30):
        with pytest.raises(ValueError, match=r"2\*\*53.*round-trip.*string"):
            canonical({"n": too_big})


def test_bool_is_a_literal_and_int_subclasses_are_numbers() -> None:
    class Level(IntEnum):
        HIGH = 3

    assert canonical([True, False, None, Level.HIGH]) == b"[true,false,null,3]"


def test_string_escapes() -> None:
    controls = "".join(chr(c) for c in range(0x20))
    expected = (
        "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
        "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
    )
    assert canonical(controls) == f'"{expected}"'.encode()
    # Not escaped: '/', DEL, line/paragraph separators, non-ASCII, astral characters.
    plain = "a/b\x7f\u2028\u2029é政务服务\U0001f600"
    assert canonical(plain) == f'"{plain}"'.encode()
    assert canonical('say "hi" \\ bye') == b'"say \\"hi\\" \\\\ bye"'


def test_lone_surrogates_refused() -> None:
    for bad in ("\ud800", "x\udc00y", "\ude00\ud83d"):
        with pytest.raises(ValueError, match="lone surrogate"):
            canonical({"k": bad})
        with pytest.raises(ValueError, match="lone surrogate"):
            canonical({bad: 1})


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", Decimal("1.5"), date(2026, 1, 1), object(), {1: "int key"}])
def test_non_json_types_refused(value: object) -> None:
    with pytest.raises(TypeError):
        canonical({"v": value})


def test_empty_containers_and_tuples() -> None:
    assert canonical({}) == b"{}"
    assert canonical([]) == b"[]"
    assert canonical({"a": (1, [2, ()])}) == b'{"a":[1,[2,[]]]}'
    assert canonical("") == b'""'


def test_agrees_with_json_dumps_where_they_should() -> None:
    # For BMP-only keys and no floats, sorted json.dumps without spaces is JCS; check a varied sample.
    rng = random.Random(8785)
    for _ in range(200):
        value = _random_value(rng, depth=4, floats=False, astral=False)
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert canonical(value) == expected


# --- round trips -------------------------------------------------------------------------------------------

_CHARS = (
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0x20)]
    + ['"', "\\", "/", "\x7f", "é", "ö", "€", "政", "务", "\u2028", "\ue000", "\ufb33", "\uffff"]
)
_ASTRAL = ["\U0001f600", "\U00010000", "\U0010ffff", "\U00020000"]


def _random_text(rng: random.Random, astral: bool) -> str:
    pool = _CHARS + _ASTRAL if astral else _CHARS
    return "".join(rng.choice(pool) for _ in range(rng.randrange(0, 8)))


def _random_float(rng: random.Random) -> float:
    while True:
        pick = rng.random()
        if pick < 0.4:
            number = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]  # any double at all
        elif pick < 0.7:
            number = rng.uniform(-1e6, 1e6)
        elif pick < 0.85:
            number = round(rng.uniform(-1000, 1000), rng.randrange(0, 7)) * 10.0 ** rng.randrange(-30, 30)
        else:
            number = float(rng.randrange(-(2**70), 2**70))  # integral doubles, many beyond 2**53
        if math.isfinite(number):
            return number


def _random_value(rng: random.Random, depth: int, floats: bool = True, astral: bool = True) -> Any:
    kinds = ["null", "bool", "int", "str"] + (["float"] if floats else [])
    if depth > 0:
        kinds += ["list", "dict"] * 2
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, 1, -1, rng.randrange(-1000, 1000), rng.randrange(-MAX_EXACT_INT, MAX_EXACT_INT + 1)])
    if kind == "float":
        return _random_float(rng)
    if kind == "str":
        return _random_text(rng, astral)
    if kind == "list":
        return [_random_value(rng, depth - 1, floats, astral) for _ in range(rng.randrange(0, 5))]
    return {
        _random_text(rng, astral): _random_value(rng, depth - 1, floats, astral) for _ in range(rng.randrange(0, 6))
    }


def _has_big_integral_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer() and MAX_EXACT_INT < abs(value) < 1e21
    if isinstance(value, dict):
        return any(_has_big_integral_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_big_integral_float(v) for v in value)
    return False


def test_round_trip_through_json_loads() -> None:
    rng = random.Random(20260101)
    checked = 0
    for _ in range(3000):
        value = _random_value(rng, depth=5)
        if _has_big_integral_float(value):
            continue  # json.loads reads those back as ints beyond 2**53: see the next test
        once = canonical(value)
        assert canonical(json.loads(once)) == once
        assert json.loads(once) == value  # the same values: nothing was lost or changed
        checked += 1
    assert checked > 2000


def test_round_trip_through_loads_includes_big_integral_floats() -> None:
    # JCS writes the double 1e20 as 100000000000000000000; json.loads makes that a Python int beyond
    # 2**53, which canonical() refuses. loads() reads it as a double, like every JCS peer does.
    once = canonical({"n": 1e20, "m": 2.0**60})
    # 2**60 = 1152921504606846976, but ECMAScript writes the shortest digits that read back as it.
    assert once == b'{"m":1152921504606847000,"n":100000000000000000000}'
    with pytest.raises(ValueError, match=r"2\*\*53"):
        canonical(json.loads(once))
    assert canonical(loads(once)) == once
    rng = random.Random(7493)
    for _ in range(3000):
        once = canonical(_random_value(rng, depth=5))
        assert canonical(loads(once)) == once
        assert canonical(loads(once.decode())) == once


def test_loads_refuses_what_i_json_forbids() -> None:
    with pytest.raises(ValueError, match="duplicate member name 'a'"):
        loads('{"a": 1, "b": {"a": 2, "a": 3}}')
    for literal in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError, match="not a JSON number"):
            loads(f"[{literal}]")
    assert loads('{"small": 9007199254740992, "big": 9007199254740993}') == {
        "small": 9007199254740992,
        "big": 9007199254740992.0,  # what a double-based reader sees
    }


# JCS is defined as ECMAScript's JSON.stringify with members sorted by UTF-16 code units (JavaScript's
# default string sort), so Node.js, when present, is an independent reference. The object is written by
# hand because JavaScript itself would put integer-like member names first.
NODE_JCS = r"""
const jcs = (v) => Array.isArray(v) ? "[" + v.map(jcs).join(",") + "]"
  : v !== null && typeof v === "object"
    ? "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}"
    : JSON.stringify(v);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(input.map(jcs).join("\n"));
"""


def test_agrees_with_node_json_stringify() -> None:
    node = shutil.which("node")
    need("Node.js (an independent JSON serialiser)", node is not None, "apt-get install nodejs")
    rng = random.Random(1984)
    values = [_random_value(rng, depth=4) for _ in range(2000)]
    values += [_double(bits) for bits, _ in APPENDIX_B]
    values.append({"10": 1, "9": 2, "a": 3, "1": 4})
    # ASCII-escaped transport, so that the comparison does not depend on either side's UTF-8 writer.
    done = subprocess.run(
        [node, "-e", NODE_JCS], input=json.dumps(values).encode(), capture_output=True, check=True, timeout=60
    )
    theirs = done.stdout.split(b"\n")
    assert len(theirs) == len(values)
    for value, their in zip(values, theirs, strict=True):
        assert canonical(value) == their, value


def test_the_fast_path_writes_exactly_what_the_full_path_writes():
    """Documents of strings, small integers, booleans and null take the json module's encoder; for every such
    value it must give the bytes of the full RFC 8785 writer, else the two paths would sign different bytes."""
    import random

    from tongban.federation.canonical import _full, _plain

    rng = random.Random(8785)
    alphabet = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "中", "\u2028", "\ufeff"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    def value(depth: int = 0):  # type: ignore[no-untyped-def]
        roll = rng.random()
        if depth > 3 or roll < 0.4:
            return rng.choice([None, True, False, rng.randint(-(2**53), 2**53), text()])
        if roll < 0.7:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {text(): value(depth + 1) for _ in range(rng.randint(0, 4))}

    for _ in range(2000):
        sample = value()
        assert _plain(sample)
        assert canonical(sample) == _full(sample)
    # and what must not take the fast path
    assert not _plain({"n": 1.5}) and not _plain([2**60]) and not _plain((1, 2)) and not _plain({1: "x"})
    assert canonical({"\U0001f600": 1, "\ufb33": 2}) == _full({"\U0001f600": 1, "\ufb33": 2})
