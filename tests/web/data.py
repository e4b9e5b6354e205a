"""A small catalog like the demo's, built through the catalog commands, for page and browser tests.

信阳 publishes 正常退休提取住房公积金 (two versions, the second changing materials), 苏州 may receive it
under an agreement; 合伙企业设立登记 asks 5 materials in 苏州 and 2 in 信阳; 社会保障卡申领 is found as 社保.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tests import factories
from tongban.catalog import services
from tongban.catalog.models import ItemImplementation, ServiceItem
from tongban.identity.actor import SYSTEM

XINYANG, SUZHOU = "411500", "320500"

FUND_MATERIALS = [
    {
        "name": "居民身份证",
        "form": "original",
        "paper_copies": 0,
        "necessity": "required",
        "source": "government",
        "license_types": ["11100000000013100M001"],
        "acceptance_standard": "在有效期内",
    },
    {
        "name": "退休证明",
        "form": "copy",
        "paper_copies": 1,
        "paper_size": "A4",
        "necessity": "required",
        "source": "government",
        "legal_basis": "《住房公积金管理条例》第二十四条",
    },
    {
        "name": "本人银行卡",
        "form": "original",
        "paper_copies": 0,
        "necessity": "tolerated",
        "source": "applicant",
        "filling_notes": "须为本人一类银行账户",
    },
]

FUND_GUIDE = {
    "name": "正常退休提取住房公积金",
    "legal_basis": "《住房公积金管理条例》第二十四条",
    "conditions": "已办理退休手续的缴存职工",
    "service_objects": ["natural"],
    "statutory_limit": 20,
    "promised_limit": 3,
    "promised_note": "材料齐全当场受理",
    "case_type": "promised",
    "modes": ["window", "online", "proxy"],
    "review_steps": ["审查", "审批"],
    "scope": "nationwide",
    "online_depth": 4,
    "visits": 0,
    "appointment": True,
    "logistics": True,
    "result_type": "payment",
    "result_name": "住房公积金提取到账通知",
    "special_procedures": [{"kind": "异地核查", "limit": "10个工作日", "note": "需外地协查时"}],
    "place": "信阳市政务服务中心二楼住房公积金窗口",
    "hours": "周一至周五 9:00-12:00, 13:00-17:00",
    "enquiry_phone": "0376-12329",
    "complaint_phone": "0376-12345",
    "faq": [{"question": "退休后多久可以提取？", "answer": "办理退休手续后即可申请。"}],
    "form_schema": {
        "type": "object",
        "required": ["account"],
        "properties": {
            "account": {"type": "string", "title": "收款银行账号"},
            "phone": {"type": "string", "title": "联系电话"},
        },
    },
}


@dataclass
class Catalog:
    fund: ItemImplementation  # 信阳 正常退休提取住房公积金, version 2 in force
    fund_item: ServiceItem
    partnership: ServiceItem  # 合伙企业设立登记: 苏州 5 materials, 信阳 2
    partnership_suzhou: ItemImplementation
    partnership_xinyang: ItemImplementation
    card: ItemImplementation  # 社会保障卡申领 (alias 社保卡)


def build() -> Catalog:
    fund_item = factories.item("正常退休提取住房公积金", "20", aliases=["退休提取公积金"])
    centre = factories.department(XINYANG, name="信阳市住房公积金管理中心", phone="0376-12329")
    fund = factories.implementation(fund_item, centre, guide_data=dict(FUND_GUIDE), material_list=FUND_MATERIALS)
    # Version 2: the retirement proof is now asked as original and copy, a social security card is added.
    draft = services.start_revision(SYSTEM, fund)
    materials = [dict(m) for m in FUND_MATERIALS]
    materials[1]["form"] = "original_and_copy"
    materials.append({"name": "社会保障卡", "form": "original", "necessity": "optional"})
    services.update_draft(SYSTEM, draft, guide={"promised_limit": 1}, materials=materials)
    services.publish_guide(SYSTEM, draft)
    fund.refresh_from_db()

    partnership = factories.item("合伙企业设立登记", "1")
    legal = {
        "service_objects": ["legal"],
        "modes": ["window", "online"],
        "result_type": "license",
        "result_name": "营业执照",
        "conditions": "有二个以上合伙人，有书面合伙协议和经营场所",
        "scope": "province",
        "review_steps": ["受理", "核准"],
    }
    suzhou = factories.implementation(
        partnership,
        factories.department(SUZHOU, name="苏州市市场监督管理局"),
        region_code=SUZHOU,
        guide_data=factories.guide(name="合伙企业设立登记", promised_limit=3, **legal),
        material_list=factories.materials(
            "合伙企业设立登记申请书",
            "全体合伙人签署的合伙协议",
            "全体合伙人的主体资格文件",
            "全体合伙人对各合伙人认缴出资的确认书",
            "主要经营场所证明",
        ),
    )
    xinyang = factories.implementation(
        partnership,
        factories.department(XINYANG, name="信阳市市场监督管理局"),
        guide_data=factories.guide(name="合伙企业设立登记", promised_limit=1, **legal),
        material_list=factories.materials("合伙企业设立登记申请书", "全体合伙人签署的合伙协议"),
    )

    card_item = factories.item("社会保障卡申领", "20", aliases=["社保卡"])
    card = factories.implementation(
        card_item,
        factories.department(XINYANG, name="信阳市人力资源和社会保障局"),
        guide_data=factories.guide(
            name="社会保障卡申领",
            modes=["window", "kiosk"],
            scope="province",
            conditions="参加本市社会保险的人员",
            result_type="license",
            result_name="社会保障卡",
            promised_limit=10,
        ),
        material_list=factories.materials("居民身份证", "近期免冠证件照片"),
    )

    services.create_agreement(
        SYSTEM,
        name="苏信跨省通办",
        kind="p2p",
        region_codes=[SUZHOU, XINYANG],
        item_codes=[fund_item.basic_code],
        modes=["proxy"],
        effective_from=date(2024, 1, 1),
    )
    return Catalog(fund, fund_item, partnership, suzhou, xinyang, card)
