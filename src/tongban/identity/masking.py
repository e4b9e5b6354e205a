"""Masking of personal data for lists, logs and pages (个人信息去标识化展示).

Lists and logs show enough to tell people apart and to compare with a document held in the hand
(the region and the last digits), never the whole number. The unmasked value is only given after
the policy allows it and the look-up is logged (see services.reveal_person).
"""

from __future__ import annotations

import re

STAR = "*"
_MOBILE_RE = re.compile(r"^(\+?86)?1\d{10}$")


def mask_id_number(value: str | None) -> str:
    """``411502199001011234`` → ``4115**********1234``: the first and last four stay.

    Shorter numbers (passports, permits) keep less, so that at most about half is shown.
    """
    text = (value or "").strip()
    n = len(text)
    if n == 0:
        return ""
    if n >= 12:
        keep_head, keep_tail = 4, 4
    elif n >= 8:
        keep_head, keep_tail = 2, 2
    elif n >= 4:
        keep_head, keep_tail = 1, 1
    else:
        return STAR * n
    return text[:keep_head] + STAR * (n - keep_head - keep_tail) + text[n - keep_tail :]


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``; other numbers keep only their last four digits."""
    text = re.sub(r"[\s\-]", "", value or "")
    if not text:
        return ""
    if _MOBILE_RE.match(text):
        local = text[-11:]
        return local[:3] + STAR * 4 + local[-4:]
    if len(text) <= 4:
        return STAR * len(text)
    return STAR * (len(text) - 4) + text[-4:]


def mask_name(value: str | None) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``; Latin names keep each word's first letter."""
    text = (value or "").strip()
    if not text:
        return ""
    if re.search(r"[\u4e00-\u9fff]", text):
        return text[0] + STAR * (len(text) - 1) if len(text) > 1 else STAR
    return " ".join(word[0] + STAR * (len(word) - 1) for word in text.split())
