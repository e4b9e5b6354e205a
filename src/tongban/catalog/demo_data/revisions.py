"""Second guide versions, so the version history and its diff have something to show.

Each tells a reform a region really went through: shorter limits after data sharing, 容缺受理, and
告知承诺 under the 2023 food business rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tongban.catalog.demo_data.common import COMMITMENT_TEXT, OPTIONAL, RETIREMENT_PROOF, Guide, changed
from tongban.catalog.demo_data.guides_business import (
    ADDRESS_MATERIALS_TOLERANT,
    FOOD_COMMITMENT_CONDITIONS,
    FOOD_ON_COMMITMENT,
)
from tongban.catalog.demo_data.guides_social import RETIRE_MATERIALS

# Version 1 of every demo guide takes effect on the day the first 跨省通办 agreements did.
V1_EFFECTIVE = date(2021, 1, 1)


@dataclass(frozen=True)
class RevisionSpec:
    item: str
    region: str            # short name (places.RegionSpec.short)
    effective: date        # when version 2 takes over from version 1
    changes: Guide = field(default_factory=dict)  # guide elements; "materials" replaces the list


RETIREMENT_SHARED = [
    changed(m, necessity=OPTIONAL, notes="退休信息已与人社部门共享，系统核验通过的免于提交")
    if m["name"] == RETIREMENT_PROOF["name"] else m
    for m in RETIRE_MATERIALS
]

REVISIONS: tuple[RevisionSpec, ...] = (
    RevisionSpec("正常退休提取住房公积金", "信阳", date(2023, 7, 1), {
        "promised_limit": 1, "promised_note": "退休信息与人社部门共享，材料齐全的1个工作日内办结",
        "modes": ["window", "online", "proxy", "kiosk"],
        "materials": RETIREMENT_SHARED,
    }),
    RevisionSpec("企业住所变更登记", "苏州", date(2023, 3, 1), {
        "promised_note": "推行容缺受理：租赁合同出租方盖章页可容缺，补齐后当场换发营业执照",
        "materials": ADDRESS_MATERIALS_TOLERANT,
    }),
    # 《食品经营许可和备案管理办法》 (总局令第78号) took effect on 2023-12-01.
    RevisionSpec("食品经营许可（新办）", "嘉兴", date(2023, 12, 1), {
        "commitment_allowed": True, "promised_limit": 1, "verification_days": 60,
        "commitment_text": COMMITMENT_TEXT, "commitment_conditions": FOOD_COMMITMENT_CONDITIONS,
        "promised_note": "告知承诺制办理，材料齐全当日发证；许可后60日内现场核查（事后核查）",
        # The site visit moves after the decision, so it no longer stops the clock.
        "review_steps": ["受理", "审查", "决定"], "special_procedures": [],
        "materials": FOOD_ON_COMMITMENT,
    }),
)
