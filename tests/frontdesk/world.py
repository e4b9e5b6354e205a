"""Front desk test data: a hall in 411500 with a comprehensive window, a real-estate department window
(category B) and an output window, and a window clerk of the region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests import factories as f
from tests.identity import make
from tongban.catalog.models import Department, Hall, Window
from tongban.frontdesk.models import CategoryDepartment
from tongban.identity.actor import Actor, actor_for_user

IN, OUT = "411500", "320500"
ZONE = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)


@dataclass
class World:
    hall: Hall
    comprehensive: Window
    estate: Window
    output: Window
    estate_department: Department
    clerk: Any

    def actor(self, who: str = "clerk") -> Actor:
        return actor_for_user(getattr(self, who))


def world(hours: str = "") -> World:
    hall = Hall.objects.create(region_id=IN, name="信阳市政务服务中心", hours=hours)
    estate_department = f.department(IN, name="信阳市不动产登记中心")
    CategoryDepartment.objects.create(department=estate_department, category="B")
    comprehensive = Window.objects.create(hall=hall, number="01", name="综合受理", kind="comprehensive")
    estate = Window.objects.create(hall=hall, number="05", name="不动产", kind="special")
    estate.departments.add(estate_department)
    output = Window.objects.create(hall=hall, number="09", name="统一出件", kind="output")
    return World(hall, comprehensive, estate, output, estate_department, make.staff("window_clerk", IN))
