"""Licence types (证照类型) of the demo: the national defining organs and the fields of each licence.

Type codes are the defining organ's USCC and a 3-digit sequence (GB/T 36904). The organs' codes here are
made with valid check characters but are not their real codes. Materials name these codes in
``license_types``; the key (``BUSINESS_LICENSE`` …) is only how the demo data refers to them.
"""

from __future__ import annotations

from typing import Any

from tongban.catalog.demo_data.places import ORGAN, make_uscc

NATIONAL = "100000"

# Defining organs: name → the USCC made for the demo.
ORGANS: dict[str, str] = {
    "国家市场监督管理总局": make_uscc(ORGAN, NATIONAL, "MB014302"),
    "国家卫生健康委员会": make_uscc(ORGAN, NATIONAL, "MB165302"),
    "民政部": make_uscc(ORGAN, NATIONAL, "00001350"),
    "自然资源部": make_uscc(ORGAN, NATIONAL, "MB196795"),
    "公安部": make_uscc(ORGAN, NATIONAL, "00001310"),
    "教育部": make_uscc(ORGAN, NATIONAL, "00001280"),
    "生态环境部": make_uscc(ORGAN, NATIONAL, "MB194298"),
    "住房和城乡建设部": make_uscc(ORGAN, NATIONAL, "00001360"),
    "国家医疗保障局": make_uscc(ORGAN, NATIONAL, "MB196178"),
    "人力资源和社会保障部": make_uscc(ORGAN, NATIONAL, "71783888"),
}


def _field(title: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, **more}


ID = {"pattern": "^[0-9]{17}[0-9X]$"}
USCC = {"pattern": "^[0-9A-HJ-NP-RTUW-Y]{18}$"}
DATE = {"format": "date"}


def _schema(title: str, required: tuple[str, ...], properties: dict[str, Any], holder: dict[str, str] | None = None
            ) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "required": list(required),
        "properties": properties,
    }
    if holder:
        schema["x-holder"] = holder  # which fields name the holder, when it is not the applicant
    return schema


# key: (organ, sequence, name, holder kind, validity years, printed form, schema)
TYPES: dict[str, tuple[str, str, str, str, int | None, str, dict[str, Any]]] = {
    "BUSINESS_LICENSE": (
        "国家市场监督管理总局", "001", "营业执照", "legal", None, "license",
        _schema("营业执照", ("company_name", "uscc", "legal_rep", "premises", "business_scope", "entity_type"), {
            "company_name": _field("名称"),
            "uscc": _field("统一社会信用代码", **USCC),
            "entity_type": _field("类型"),
            "legal_rep": _field("法定代表人"),
            "capital": {"type": "number", "title": "注册资本（万元）", "minimum": 0},
            "premises": _field("住所"),
            "business_scope": _field("经营范围"),
            "established_on": _field("成立日期", **DATE),
        }, {"name": "company_name", "code": "uscc", "code_type": "049"}),
    ),
    "FOOD_BUSINESS_LICENSE": (
        "国家市场监督管理总局", "002", "食品经营许可证", "legal", 5, "license",
        _schema("食品经营许可证", ("company_name", "uscc", "premises", "food_category"), {
            "company_name": _field("经营者名称"),
            "uscc": _field("社会信用代码", **USCC),
            "premises": _field("经营场所"),
            "food_category": _field("经营项目"),
        }, {"name": "company_name", "code": "uscc", "code_type": "049"}),
    ),
    "BIRTH_CERT": (
        "国家卫生健康委员会", "001", "出生医学证明", "natural", None, "certificate",
        _schema("出生医学证明", ("baby_name", "birth_date", "hospital", "name", "id_number"), {
            "baby_name": _field("新生儿姓名"),
            "birth_date": _field("出生日期", **DATE),
            "hospital": _field("出生地点（助产机构）"),
            "name": _field("母亲（监护人）姓名"),
            "id_number": _field("母亲（监护人）公民身份号码", **ID),
        }, {"name": "name", "code": "id_number", "code_type": "111"}),
    ),
    "MARRIAGE_CERT": (
        "民政部", "001", "结婚证", "natural", None, "certificate",
        _schema("结婚证", ("name", "id_number", "spouse_name", "spouse_id_number"), {
            "name": _field("持证人"),
            "id_number": _field("持证人身份证件号", **ID),
            "spouse_name": _field("配偶"),
            "spouse_id_number": _field("配偶身份证件号", **ID),
            "registered_on": _field("登记日期", **DATE),
        }),
    ),
    "REAL_ESTATE_CERT": (
        "自然资源部", "001", "不动产权证书", "natural", None, "certificate",
        _schema("不动产权证书", ("name", "id_number", "house_address", "unit_number"), {
            "name": _field("权利人"),
            "id_number": _field("权利人证件号", **ID),
            "house_address": _field("坐落"),
            "unit_number": _field("不动产单元号"),
            "area": {"type": "number", "title": "面积（平方米）", "minimum": 0},
            "use": _field("用途"),
        }),
    ),
    "REAL_ESTATE_PROOF": ("自然资源部", "002", "不动产登记证明", "natural", None, "certificate",
                          _schema("不动产登记证明", ("name", "id_number"), {
                              "name": _field("权利人"), "id_number": _field("证件号", **ID),
                              "house_address": _field("坐落")})),
    "HUKOU_TRANSFER": (
        "公安部", "003", "户口迁移证明", "natural", None, "certificate",
        _schema("户口迁移证明", ("name", "id_number", "from_region", "to_address"), {
            "name": _field("姓名"),
            "id_number": _field("公民身份号码", **ID),
            "from_region": _field("迁出地"),
            "to_address": _field("迁往地址"),
            "reason": _field("迁移原因"),
        }),
    ),
    "NO_CRIMINAL_RECORD": (
        "公安部", "004", "无犯罪记录证明", "natural", None, "certificate",
        _schema("无犯罪记录证明", ("name", "id_number", "purpose"), {
            "name": _field("姓名"),
            "id_number": _field("公民身份号码", **ID),
            "purpose": _field("用途"),
            "finding": _field("查询结果", default="未发现有犯罪记录"),
        }),
    ),
    "HOUSEHOLD_PROOF": (
        "公安部", "007", "户籍证明", "natural", None, "certificate",
        _schema("户籍证明", ("name", "id_number", "purpose"), {
            "name": _field("姓名"), "id_number": _field("公民身份号码", **ID), "purpose": _field("用途"),
            "registered_address": _field("户籍地址")}),
    ),
    "ID_CARD": ("公安部", "001", "居民身份证", "natural", 20, "certificate",
                _schema("居民身份证", ("name", "id_number"), {"name": _field("姓名"),
                                                              "id_number": _field("公民身份号码", **ID)})),
    "HOUSEHOLD_REGISTER": ("公安部", "002", "居民户口簿", "natural", None, "certificate",
                           _schema("居民户口簿", ("name", "id_number"), {"name": _field("户主姓名"),
                                                                       "id_number": _field("公民身份号码", **ID)})),
    "DRIVING_LICENCE": ("公安部", "005", "机动车驾驶证", "natural", 6, "certificate",
                        _schema("机动车驾驶证", ("name", "id_number"), {"name": _field("姓名"),
                                                                       "id_number": _field("证号", **ID)})),
    "RESIDENCE_PERMIT": ("公安部", "006", "居住证", "natural", 1, "certificate",
                         _schema("居住证", ("name", "id_number"), {"name": _field("姓名"),
                                                                  "id_number": _field("公民身份号码", **ID)})),
    "DIPLOMA": ("教育部", "001", "学历证书", "natural", None, "certificate",
                _schema("学历证书", ("name", "id_number"), {"name": _field("姓名"),
                                                          "id_number": _field("身份证件号", **ID),
                                                          "certificate_no": _field("证书编号")})),
    "EIA_APPROVAL": ("生态环境部", "001", "环境影响评价批复", "legal", None, "certificate",
                     _schema("环境影响评价批复", ("company_name", "uscc"), {
                         "company_name": _field("建设单位"), "uscc": _field("统一社会信用代码", **USCC)},
                         {"name": "company_name", "code": "uscc", "code_type": "049"})),
    "POLLUTANT_PERMIT": ("生态环境部", "002", "排污许可证", "legal", 5, "license",
                         _schema("排污许可证", ("company_name", "uscc", "permit_type"), {
                             "company_name": _field("单位名称"), "uscc": _field("统一社会信用代码", **USCC),
                             "permit_type": _field("管理类别"), "premises": _field("生产经营场所地址")},
                             {"name": "company_name", "code": "uscc", "code_type": "049"})),
    "HOUSE_CONTRACT_FILING": ("住房和城乡建设部", "001", "商品房买卖合同备案证明", "natural", None, "certificate",
                              _schema("商品房买卖合同备案证明", ("name", "id_number"), {
                                  "name": _field("买受人"), "id_number": _field("证件号", **ID),
                                  "house_address": _field("房屋坐落")})),
    "MEDICAL_INSURANCE_CODE": ("国家医疗保障局", "001", "医保电子凭证", "natural", None, "certificate",
                               _schema("医保电子凭证", ("name", "id_number"), {
                                   "name": _field("姓名"), "id_number": _field("公民身份号码", **ID)})),
    "QUALIFICATION_CERT": ("人力资源和社会保障部", "001", "职业资格证书", "natural", None, "certificate",
                           _schema("职业资格证书", ("name", "id_number"), {
                               "name": _field("姓名"), "id_number": _field("身份证件号", **ID),
                               "certificate_no": _field("证书编号")})),
    "SOCIAL_SECURITY_CARD": ("人力资源和社会保障部", "002", "社会保障卡", "natural", 10, "certificate",
                             _schema("社会保障卡", ("name", "id_number"), {
                                 "name": _field("姓名"), "id_number": _field("社会保障号码", **ID)})),
    "RETIREMENT_APPROVAL": ("人力资源和社会保障部", "003", "退休审批表", "natural", None, "certificate",
                            _schema("退休审批表", ("name", "id_number"), {
                                "name": _field("姓名"), "id_number": _field("公民身份号码", **ID),
                                "retired_on": _field("退休日期", **DATE)})),
}

CODES: dict[str, str] = {key: ORGANS[spec[0]] + spec[1] for key, spec in TYPES.items()}


def code(key: str) -> str:
    return CODES[key]


def rows() -> list[dict[str, Any]]:
    """The LicenseType rows of the demo."""
    out = []
    for key, (organ, _seq, name, holder, years, template, schema) in TYPES.items():
        out.append({"code": CODES[key], "name": name, "defining_organ_name": organ, "holder_kind": holder,
                    "validity_years": years, "template": template, "schema": schema})
    return out
