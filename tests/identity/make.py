"""Identity test data, built through the identity commands as the system actor."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth.models import User
from stdnum.cn import ric

from tongban.identity import services
from tongban.identity.actor import SYSTEM
from tongban.identity.models import Person, StaffAssignment

_serial = itertools.count(100)
PASSWORD = "x-very-long-password-1"


def resident_id(prefix: str = "411502", born: str = "20000101", seq: int | None = None) -> str:
    """A valid 居民身份证号码 (411502 浉河区 exists since 1998, hence a birth in 2000)."""
    body = f"{prefix}{born}{(seq if seq is not None else next(_serial) % 1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def user(username: str | None = None, **kw: Any) -> User:
    return User.objects.create_user(username or f"user{next(_serial)}", password=PASSWORD, **kw)


def person(region: str = "411500", account: User | None = None, **kw: Any) -> Person:
    kw.setdefault("name", "张三")
    kw.setdefault("id_type", "resident_id")
    kw.setdefault("id_number", resident_id())
    kw.setdefault("phone", "13812345678")
    return services.register_person(SYSTEM, region_code=region, user=account, **kw)


def applicant(region: str = "411500") -> User:
    """A login with a registered person record and no staff role."""
    account = user()
    person(region, account=account, name="李四")
    return account


def staff(
    role: str,
    region: str = "411500",
    *,
    descendants: bool = False,
    department: Any = None,
    account: User | None = None,
) -> User:
    account = account or user(f"{role}-{region}-{next(_serial)}")
    services.assign_role(
        SYSTEM,
        user=account,
        role=role,
        region_code=region,
        department=department,
        include_descendants=descendants,
    )
    return account


def assignment_of(account: User, role: str | None = None) -> StaffAssignment:
    qs = StaffAssignment.objects.filter(user=account, active=True)
    return qs.get(role=role) if role else qs.get()
