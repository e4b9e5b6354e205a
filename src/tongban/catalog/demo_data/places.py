"""Pilot regions: their implementing departments (实施机关), service hall and windows.

Departments are named by a role key (``fund``, ``police`` …) so that an item can say which kind of
department implements it; a region whose 行政审批服务局 has taken over a role routes it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tongban.catalog import choices as c
from tongban.core.codes import USCC_ALPHABET, uscc_check_char

# GB 11714 organisation code: 8 characters and a check character (weights below, MOD 11, 10 → X).
# The USCC embeds it at positions 9–17, so a demo code with a sound organisation code looks real.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(body: str) -> str:
    """The nine-character organisation code for an eight-character body."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(category: str, region_code: str, org_body: str) -> str:
    """A valid unified social credit code: 1 (编办) + category + region + organisation code + check."""
    first17 = category + region_code + organisation_code(org_body)
    assert all(ch in USCC_ALPHABET for ch in first17), first17
    return first17 + uscc_check_char(first17)


ORGAN = "11"        # 机构编制部门登记的机关
INSTITUTION = "12"  # 机构编制部门登记的事业单位


@dataclass(frozen=True)
class DepartmentSpec:
    role: str
    name: str
    org_body: str  # eight characters; ``MB…`` for organs registered after the 2015 code reform
    category: str = ORGAN

    @property
    def kind(self) -> str:
        return c.DepartmentKind.ORGAN if self.category == ORGAN else c.DepartmentKind.INSTITUTION


@dataclass(frozen=True)
class WindowSpec:
    number: str
    name: str
    kind: str
    roles: tuple[str, ...] = ()  # department windows: whose items they accept


@dataclass(frozen=True)
class RegionSpec:
    code: str
    short: str          # how people name the place: 信阳, 杨浦 …
    area_code: str      # telephone area code, for the 12345 hotline
    portal: str         # the provincial government service portal (网上办理地址)
    hall: str
    hall_address: str
    hours: str
    departments: tuple[DepartmentSpec, ...]
    windows: tuple[WindowSpec, ...]
    # Roles taken over by another department here, e.g. 山西's 行政审批服务管理局 registers businesses.
    routes: dict[str, str] = field(default_factory=dict)

    @property
    def phone(self) -> str:
        return f"{self.area_code}-12345"

    def department_for(self, role: str) -> DepartmentSpec:
        role = self.routes.get(role, role)
        for department in self.departments:
            if department.role == role:
                return department
        raise LookupError(f"{self.short} ({self.code}) has no department for the role '{role}'")

    def has_role(self, role: str) -> bool:
        return any(d.role == self.routes.get(role, role) for d in self.departments)


COMPREHENSIVE = c.WindowKind.COMPREHENSIVE
CROSS_REGION = c.WindowKind.CROSS_REGION
OUTPUT = c.WindowKind.OUTPUT
SPECIAL = c.WindowKind.SPECIAL

# The usual front desk after 一窗通办 reform: comprehensive windows, a 跨省通办 window, one output window.
STANDARD_WINDOWS = (
    WindowSpec("A01", "综合受理窗口（企业事项）", COMPREHENSIVE),
    WindowSpec("A02", "综合受理窗口（个人事项）", COMPREHENSIVE),
    WindowSpec("K01", "跨省通办专窗", CROSS_REGION),
    WindowSpec("C01", "统一出件窗口", OUTPUT),
)
FUND_WINDOW = WindowSpec("B05", "住房公积金业务窗口", SPECIAL, ("fund",))

HOURS_CENTRAL = "周一至周五 上午9:00—12:00，下午13:00—17:00（法定节假日除外）"
HOURS_NOON = "周一至周五 9:00—17:00，中午不间断；周六上午9:00—12:00延时服务"
HOURS_NORTH = "周一至周五 上午8:30—12:00，下午14:30—17:30（夏季）/14:00—17:00（冬季）"

HENAN = "https://www.hnzwfw.gov.cn/"
SHANGHAI = "https://zwdt.sh.gov.cn/"
JIANGSU = "https://www.jszwfw.gov.cn/"
ZHEJIANG = "https://www.zjzwfw.gov.cn/"
SHANXI = "https://www.sxzwfw.gov.cn/"
HUBEI = "https://zwfw.hubei.gov.cn/"
SHAANXI = "https://zwfw.shaanxi.gov.cn/"

D = DepartmentSpec

REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(
        "411500", "信阳", "0376", HENAN, "信阳市政务服务中心", "河南省信阳市羊山新区", HOURS_CENTRAL,
        (D("samr", "信阳市市场监督管理局", "MB1D3207"),
         D("police", "信阳市公安局", "00617015"),
         D("hrss", "信阳市人力资源和社会保障局", "55428032"),
         D("medical", "信阳市医疗保障局", "MB1F7318"),
         D("fund", "信阳市住房公积金管理中心", "41705226", INSTITUTION),
         D("civil", "信阳市民政局", "00617023"),
         D("estate", "信阳市不动产登记中心", "MB1C0945", INSTITUTION),
         D("health", "信阳市卫生健康委员会", "MB1D3185"),
         D("tax", "国家税务总局信阳市税务局", "MB1E2763"),
         D("eco", "信阳市生态环境局", "MB1D3290"),
         D("notary", "河南省信阳市公证处", "41705412", INSTITUTION)),
        (*STANDARD_WINDOWS, FUND_WINDOW)),
    RegionSpec(
        "310110", "杨浦", "021", SHANGHAI, "杨浦区行政服务中心", "上海市杨浦区", HOURS_NOON,
        (D("samr", "上海市杨浦区市场监督管理局", "MB2F0184"),
         D("police", "上海市公安局杨浦分局", "42500117"),
         D("hrss", "上海市杨浦区人力资源和社会保障局", "00245231"),
         D("medical", "上海市杨浦区医疗保障局", "MB2F5826"),
         D("civil", "上海市杨浦区民政局", "00245186"),
         D("health", "上海市杨浦区卫生健康委员会", "MB2F0211"),
         D("tax", "国家税务总局上海市杨浦区税务局", "MB2F3374")),
        STANDARD_WINDOWS),
    RegionSpec(
        "320500", "苏州", "0512", JIANGSU, "苏州市政务服务中心", "江苏省苏州市姑苏区", HOURS_NOON,
        (D("samr", "苏州市市场监督管理局", "MB1M3021"),
         D("police", "苏州市公安局", "01400763"),
         D("hrss", "苏州市人力资源和社会保障局", "01400819"),
         D("medical", "苏州市医疗保障局", "MB1M7734"),
         D("fund", "苏州市住房公积金管理中心", "46645219", INSTITUTION),
         D("civil", "苏州市民政局", "01400790"),
         D("estate", "苏州市不动产登记中心", "MB1N0423", INSTITUTION),
         D("health", "苏州市卫生健康委员会", "MB1M3099"),
         D("eco", "苏州市生态环境局", "MB1M3064"),
         D("tax", "国家税务总局苏州市税务局", "MB1M5148"),
         D("notary", "江苏省苏州市公证处", "46645430", INSTITUTION)),
        (*STANDARD_WINDOWS, FUND_WINDOW)),
    RegionSpec(
        "320104", "秦淮", "025", JIANGSU, "秦淮区政务服务中心", "江苏省南京市秦淮区", HOURS_NOON,
        (D("samr", "南京市秦淮区市场监督管理局", "MB1P2735"),
         D("police", "南京市公安局秦淮分局", "42600835"),
         D("hrss", "南京市秦淮区人力资源和社会保障局", "01322468"),
         D("medical", "南京市秦淮区医疗保障局", "MB1P6097"),
         D("civil", "南京市秦淮区民政局", "01322409")),
        STANDARD_WINDOWS),
    RegionSpec(
        "330400", "嘉兴", "0573", ZHEJIANG, "嘉兴市行政服务中心", "浙江省嘉兴市南湖区", HOURS_NOON,
        (D("samr", "嘉兴市市场监督管理局", "MB1A4468"),
         D("police", "嘉兴市公安局", "00276151"),
         D("hrss", "嘉兴市人力资源和社会保障局", "00276226"),
         D("medical", "嘉兴市医疗保障局", "MB1A8205"),
         D("fund", "嘉兴市住房公积金管理服务中心", "47006537", INSTITUTION),
         D("civil", "嘉兴市民政局", "00276145"),
         D("eco", "嘉兴市生态环境局", "MB1A4492"),
         D("estate", "嘉兴市不动产登记服务中心", "MB1B0318", INSTITUTION)),
        (*STANDARD_WINDOWS, FUND_WINDOW)),
    RegionSpec(
        "140400", "长治", "0355", SHANXI, "长治市政务服务中心", "山西省长治市潞州区", HOURS_NORTH,
        (D("approval", "长治市行政审批服务管理局", "MB1C8542"),
         D("samr", "长治市市场监督管理局", "MB1C7713"),
         D("police", "长治市公安局", "01244806"),
         D("hrss", "长治市人力资源和社会保障局", "01244873"),
         D("medical", "长治市医疗保障局", "MB1D0267"),
         D("fund", "长治市住房公积金管理中心", "40868519", INSTITUTION),
         D("civil", "长治市民政局", "01244830")),
        (*STANDARD_WINDOWS, FUND_WINDOW),
        # 山西 moved licensing and registration to the 行政审批服务管理局 in its 2018 reform.
        routes={"samr": "approval", "eco": "approval"}),
    RegionSpec(
        "421100", "黄冈", "0713", HUBEI, "黄冈市政务服务中心", "湖北省黄冈市黄州区", HOURS_CENTRAL,
        (D("samr", "黄冈市市场监督管理局", "MB1J9827"),
         D("police", "黄冈市公安局", "01707522"),
         D("hrss", "黄冈市人力资源和社会保障局", "01707590"),
         D("medical", "黄冈市医疗保障局", "MB1K2053"),
         D("fund", "黄冈市住房公积金中心", "42081367", INSTITUTION),
         D("civil", "黄冈市民政局", "01707549")),
        (*STANDARD_WINDOWS, FUND_WINDOW)),
    RegionSpec(
        "420900", "孝感", "0712", HUBEI, "孝感市政务服务中心", "湖北省孝感市孝南区", HOURS_CENTRAL,
        (D("police", "孝感市公安局", "01191736"),
         D("hrss", "孝感市人力资源和社会保障局", "01191787"),
         D("medical", "孝感市医疗保障局", "MB1L0569"),
         D("fund", "孝感市住房公积金中心", "42031846", INSTITUTION),
         D("civil", "孝感市民政局", "01191752")),
        STANDARD_WINDOWS),
    RegionSpec(
        "421300", "随州", "0722", HUBEI, "随州市政务服务中心", "湖北省随州市曾都区", HOURS_CENTRAL,
        (D("police", "随州市公安局", "72610458"),
         D("hrss", "随州市人力资源和社会保障局", "72610497"),
         D("medical", "随州市医疗保障局", "MB1P4630"),
         D("fund", "随州市住房公积金中心", "72614103", INSTITUTION),
         D("civil", "随州市民政局", "72610482")),
        STANDARD_WINDOWS),
    RegionSpec(
        "610403", "杨陵", "029", SHAANXI, "杨凌示范区政务服务中心", "陕西省杨凌示范区（杨陵区）", HOURS_NORTH,
        (D("approval", "杨凌示范区行政审批服务局", "MB2A7345"),
         D("police", "杨凌示范区公安局", "43601528"),
         D("hrss", "杨凌示范区人力资源和社会保障局", "43601561"),
         D("medical", "杨凌示范区医疗保障局", "MB2B0924")),
        STANDARD_WINDOWS,
        routes={"samr": "approval"}),
    RegionSpec(
        "410505", "殷都", "0372", HENAN, "殷都区政务服务中心", "河南省安阳市殷都区", HOURS_CENTRAL,
        (D("health", "安阳市殷都区卫生健康委员会", "MB1E5730"),
         D("police", "安阳市公安局殷都分局", "41733825"),
         D("medical", "安阳市殷都区医疗保障局", "MB1E6103"),
         D("hrss", "安阳市殷都区人力资源和社会保障局", "00631527"),
         D("civil", "安阳市殷都区民政局", "00631543"),
         D("samr", "安阳市殷都区市场监督管理局", "MB1E5687")),
        # 一件事 starts at a comprehensive window of its own (SCENARIOS §4).
        (WindowSpec("A01", "“一件事”综合受理窗口", COMPREHENSIVE), *STANDARD_WINDOWS[1:])),
)

BY_CODE: dict[str, RegionSpec] = {r.code: r for r in REGIONS}
BY_SHORT: dict[str, RegionSpec] = {r.short: r for r in REGIONS}
