"""JSON规范化 (canonical JSON): the RFC 8785 JSON Canonicalization Scheme (JCS), the bytes nodes sign.

Two nodes must turn the same message into the same bytes before signing or verifying, whatever their
language. JCS is exactly what ECMAScript's ``JSON.stringify`` writes once object members are sorted,
so a JavaScript, Go or Java peer with a JCS library produces the same bytes as ``canonical()``:

* members sorted by their names as UTF-16 code units (not by code points, which Python's ``sorted``
  uses and which differs once a name has a character outside the Basic Multilingual Plane);
* no whitespace; strings with only the mandatory escapes; UTF-8 output;
* numbers as ECMAScript's ``Number.prototype.toString`` writes IEEE 754 doubles.

Only JSON's own types are accepted (dict with str keys, list/tuple, str, int, float, bool, None); any
other type is a TypeError, because a silent conversion would be signed as something the sender never
meant.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

__all__ = ["MAX_EXACT_INT", "canonical", "loads"]

# Every integer up to 2**53 in magnitude is an exact IEEE 754 double; above it, a JSON number read by an
# ECMAScript (or any double-based) peer may come back as a neighbouring integer.
MAX_EXACT_INT = 2**53

# RFC 8785 §3.2.2.2: the two-character escapes where JSON has them, \u00xx (lowercase hex) for the other
# controls, and nothing else escaped: not '/', not DEL, not non-ASCII.
_ESCAPES: dict[int, str] = {code: f"\\u{code:04x}" for code in range(0x20)}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises ValueError for NaN, infinities, integers beyond ±2**53, and strings that are not valid
    Unicode (lone surrogates); TypeError for anything that is not a JSON type or a non-str object key.
    """
    # Most documents (licences, envelopes) hold only strings, small integers, booleans and null, with no
    # character outside the Basic Multilingual Plane: for those the json module's C encoder, with sorted
    # keys and no spaces, writes exactly the JCS bytes, several times faster. Anything else (a float, a
    # big integer, a non-BMP character that changes the UTF-16 key order) takes the full path below.
    if _plain(value):
        text = _FAST.encode(value)
        if not _BEYOND_BMP.search(text):
            try:
                return text.encode("utf-8")
            except UnicodeEncodeError:
                pass  # a lone surrogate: the full path reports it
    return _full(value)


_FAST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False)
_BEYOND_BMP = re.compile("[\U00010000-\U0010FFFF]")


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only the types whose json-module form is already canonical."""
    kind = type(value)
    if kind is str or value is None or value is True or value is False:
        return True
    if kind is int:
        return -MAX_EXACT_INT <= value <= MAX_EXACT_INT
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if kind is list:
        return all(_plain(v) for v in value)
    return False


def _full(value: Any) -> bytes:
    parts: list[str] = []
    _write(value, parts)
    text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"a string contains a lone surrogate ({text[exc.start : exc.end]!a}); it is not valid Unicode "
            "and has no UTF-8 form, so it cannot be canonicalised (RFC 8785 §3.2.2.2)"
        ) from None


def loads(data: bytes | str) -> Any:
    """Parse JSON as a JCS peer sees it, so that ``canonical(loads(canonical(x))) == canonical(x)``.

    ``json.loads`` reads ``100000000000000000000`` (how JCS writes the double 1e20) as a Python int
    beyond 2**53, which canonical() must refuse; here such integers become floats, as in any
    double-based reader. NaN/Infinity literals and duplicate member names are refused, as RFC 8785
    requires I-JSON (RFC 7493) input.
    """
    return json.loads(data, parse_int=_parse_int, parse_constant=_refuse_constant, object_pairs_hook=_unique)


def _write(value: Any, out: list[str]) -> None:
    # bool before int: True is an int in Python but a literal in JSON.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_number(float(value)))
    elif isinstance(value, dict):
        _object(value, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(
            f"{type(value).__name__} is not a JSON type; convert it (to str, int, float, ...) before canonicalising"
        )


def _object(value: dict[Any, Any], out: list[str]) -> None:
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"object keys must be str, not {type(key).__name__} ({key!r})")
    # UTF-16-BE bytes compare exactly as UTF-16 code units do. "surrogatepass" lets a lone surrogate
    # through the sort so that canonical() reports it with a clear message afterwards.
    names = sorted(value, key=lambda name: name.encode("utf-16-be", "surrogatepass"))
    out.append("{")
    for index, name in enumerate(names):
        if index:
            out.append(",")
        out.append(_string(name))
        out.append(":")
        _write(value[name], out)
    out.append("}")


def _string(value: str) -> str:
    return '"' + value.translate(_ESCAPES) + '"'


def _integer(value: int) -> str:
    if -MAX_EXACT_INT <= value <= MAX_EXACT_INT:
        return int.__repr__(value)  # int's own digits, also for IntEnum and other subclasses
    raise ValueError(
        f"integer {value} is beyond ±2**53: JSON numbers are read as IEEE 754 doubles by JCS peers, so it "
        "would not round-trip and the signature would cover a different number; send it as a string"
    )


def _number(value: float) -> str:
    """ECMAScript Number.prototype.toString (ECMA-262 Number::toString), which RFC 8785 §3.2.2.3 adopts."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a JSON number (RFC 8785 §3.2.2.3 forbids NaN and Infinity)")
    if value == 0:
        return "0"  # also for -0.0, as ECMAScript writes it
    if value < 0:
        return "-" + _number(-value)
    # repr() gives the shortest digit string that reads back as the same double, the closest one when
    # several are as short: the same digits ECMAScript picks (its k "as small as possible").
    mantissa, _, exp = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    # ECMAScript's n: the value is 0.<digits> × 10**n.
    n = int(exp or "0") + len(whole)
    significant = digits.lstrip("0")
    n -= len(digits) - len(significant)
    digits = significant.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    exponent = n - 1
    sign = "+" if exponent >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{head}e{sign}{abs(exponent)}"


def _parse_int(text: str) -> int | float:
    number = int(text)
    return number if -MAX_EXACT_INT <= number <= MAX_EXACT_INT else float(text)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number (RFC 8785 §3.2.2.3)")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise ValueError(f"duplicate member name {name!r}: I-JSON (RFC 7493), required by RFC 8785, forbids it")
            seen.add(name)
    return result
