"""Cross-region agreements (通办协议).

信阳 is the hub of the demo: it has point-to-point agreements with the cities where its people work
(上海杨浦, 苏州, 南京秦淮, 嘉兴, 长治), a city cluster with its 大别山 neighbours in 湖北, and a cloud
alliance along the 淮河. 杨陵 and 殷都 have no agreement, so their windows receive only their own items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tongban.catalog.demo_data.items import code_of


@dataclass(frozen=True)
class AgreementSpec:
    name: str
    kind: str
    regions: tuple[str, ...]   # GB/T 2260 codes
    items: tuple[str, ...]     # item names; the loader passes their codes
    modes: tuple[str, ...]
    effective_from: date
    note: str = ""

    @property
    def item_codes(self) -> list[str]:
        return [code_of(name) for name in self.items]


# What a person who works far from home needs from home most (国办发〔2020〕35号's high-frequency list).
PEOPLE_ITEMS = ("开具户籍类证明", "无犯罪记录证明", "户口迁移", "企业职工基本养老保险关系转移接续",
                "社会保障卡申领", "失业登记", "职业资格证书核验", "异地就医登记备案", "住房公积金提取",
                "住房公积金异地转移接续")
BUSINESS_ITEMS = ("市场主体登记注册",)

XINYANG = "411500"

AGREEMENTS: tuple[AgreementSpec, ...] = (
    AgreementSpec("信阳市—上海市杨浦区政务服务“跨省通办”合作协议", "p2p", (XINYANG, "310110"),
                  (*PEOPLE_ITEMS, *BUSINESS_ITEMS), ("online", "proxy"), date(2021, 1, 1),
                  "杨浦是信阳籍务工人员集中地之一；双方互设跨省通办专窗，收件地负责身份核验和材料形式审查。"),
    AgreementSpec("信阳市—苏州市政务服务“跨省通办”合作协议", "p2p", (XINYANG, "320500"),
                  (*PEOPLE_ITEMS, *BUSINESS_ITEMS, "企业职工基本养老保险待遇申领", "学历公证"),
                  ("online", "proxy"), date(2021, 1, 1), "原件由收件地窗口寄递至办理地，结果寄回申请人。"),
    AgreementSpec("信阳市—南京市秦淮区政务服务“跨省通办”合作协议", "p2p", (XINYANG, "320104"),
                  (*PEOPLE_ITEMS, *BUSINESS_ITEMS), ("online", "proxy"), date(2021, 3, 1)),
    AgreementSpec("信阳市—嘉兴市政务服务“跨省通办”合作协议", "p2p", (XINYANG, "330400"),
                  (*PEOPLE_ITEMS, *BUSINESS_ITEMS), ("online", "proxy"), date(2021, 3, 1)),
    AgreementSpec("信阳市—长治市政务服务“跨省通办”合作协议", "p2p", (XINYANG, "140400"),
                  (*PEOPLE_ITEMS, *BUSINESS_ITEMS), ("online", "proxy"), date(2021, 6, 1)),
    AgreementSpec("大别山革命老区城市政务服务“跨省通办”协议（信阳、黄冈、孝感、随州）", "cluster",
                  (XINYANG, "421100", "420900", "421300"),
                  (*PEOPLE_ITEMS, *BUSINESS_ITEMS, "城乡居民基本养老保险关系转移接续",
                   "城乡居民基本医疗保险参保登记", "婚姻登记"),
                  ("online", "proxy", "joint"), date(2021, 1, 1),
                  "户口迁移等事项实行多地联办：迁入地一次受理，迁出地在系统内协同办理。"),
    AgreementSpec("淮河生态经济带政务服务“跨省通办”联盟", "alliance",
                  (XINYANG, "411700", "320800", "340300", "341200", "340400", "341500"),
                  ("开具户籍类证明", "无犯罪记录证明", "企业职工基本养老保险关系转移接续", "社会保障卡申领",
                   "异地就医登记备案", "住房公积金提取", *BUSINESS_ITEMS),
                  ("online", "proxy"), date(2021, 6, 1),
                  "云联盟：成员城市通过各自政务服务平台互设“跨省通办”专区。"),
)
