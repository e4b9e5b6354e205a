"""Opening hours (办公时间) read from a hall's free text, as far as they can be read: the time ranges in it.

"周一至周五 9:00-12:00，13:30-17:00" gives two ranges. Text without a range ("工作日") gives none, and then
no slot is refused for the time of day. Days of the week are not read: which days a hall opens follows
the working-day calendar with its make-up days, which the text cannot tell.
"""

from __future__ import annotations

import re
from datetime import time

_RANGE = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})")


def ranges(text: str) -> list[tuple[time, time]]:
    """The (opens, closes) ranges written in ``text``, in order; impossible times are left out."""
    found: list[tuple[time, time]] = []
    for h1, m1, h2, m2 in _RANGE.findall(text or ""):
        try:
            opens, closes = time(int(h1), int(m1)), time(int(h2), int(m2))
        except ValueError:  # 25:00 is no time
            continue
        if opens < closes:
            found.append((opens, closes))
    return found


def within(text: str, start: time, end: time) -> bool:
    """Whether [start, end] lies inside one range of ``text`` (True when the text gives no range)."""
    spans = ranges(text)
    return not spans or any(opens <= start and end <= closes for opens, closes in spans)
