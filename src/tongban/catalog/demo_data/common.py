"""Building blocks the guides share: legal bases, materials every office asks for, form fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tongban.catalog import choices as c
from tongban.catalog.demo_data import license_types

Material = dict[str, Any]
Guide = dict[str, Any]


@dataclass(frozen=True)
class GuideSpec:
    """One item's guide as the regions publish it: what they share, and what differs per region.

    ``regions`` maps a region's short name (places.RegionSpec.short) to the elements that differ
    there; a ``materials`` entry replaces the whole material list. Place, hours and phones come from
    the region's hall. Only listed regions implement the item.
    """

    item: str                       # the item's name, as in items.ITEMS
    base: Guide
    materials: list[Material]
    regions: dict[str, Guide] = field(default_factory=dict)

# ---------------------------------------------------------------------------------------------
# Legal bases (设定依据). Article numbers are given only where the article says what is cited.
# ---------------------------------------------------------------------------------------------
B_ID_LAW = "《中华人民共和国居民身份证法》"
B_HUKOU = "《中华人民共和国户口登记条例》"
B_HUKOU_REFORM = "《国务院关于进一步推进户籍制度改革的意见》（国发〔2014〕25号）"
B_MARKET = "《中华人民共和国市场主体登记管理条例》（国务院令第746号）"
B_MARKET_RULES = "《中华人民共和国市场主体登记管理条例实施细则》（国家市场监督管理总局令第52号）"
B_PARTNERSHIP = "《中华人民共和国合伙企业法》第九条"
B_FOOD = ("《中华人民共和国食品安全法》第三十五条；"
          "《食品经营许可和备案管理办法》（国家市场监督管理总局令第78号）")
B_INDUSTRIAL = "《中华人民共和国工业产品生产许可证管理条例》（国务院令第440号）"
B_SEAL = ("《国务院关于国家行政机关和企业事业单位社会团体印章管理的规定》（国发〔1999〕25号）；"
          "《国务院关于第三批取消中央指定地方实施行政许可事项的决定》（国发〔2017〕7号）")
B_PENSION_TRANSFER = ("《中华人民共和国社会保险法》第十九条；"
                      "《城镇企业职工基本养老保险关系转移接续暂行办法》（国办发〔2009〕66号）")
B_RURAL_PENSION = ("《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）；"
                   "《城乡养老保险制度衔接暂行办法》（人社部发〔2014〕17号）")
B_UNEMPLOYMENT = "《中华人民共和国就业促进法》；《就业服务与就业管理规定》（劳动和社会保障部令第28号）"
B_QUALIFICATION = "《中华人民共和国劳动法》第六十九条"
B_SS_CARD = "《中华人民共和国社会保险法》第五十八条；《社会保障卡管理办法》"
B_SS_REGISTER = "《中华人民共和国社会保险法》第五十七条；《社会保险费征缴暂行条例》"
B_PENSION = ("《中华人民共和国社会保险法》第十六条；"
             "《国务院关于完善企业职工基本养老保险制度的决定》（国发〔2005〕38号）")
B_MEDICAL = "《中华人民共和国社会保险法》第二十三条、第二十五条"
B_CROSS_MEDICAL = ("《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》"
                   "（医保发〔2022〕22号）")
B_FUND = "《住房公积金管理条例》（国务院令第262号，2019年修订）"
B_FUND_WITHDRAW = B_FUND + "第二十四条、第二十五条"
B_FUND_ACCOUNT = B_FUND + "第十四条"
B_BIRTH = "《中华人民共和国母婴保健法》第二十三条"
B_CRIMINAL = "《公安机关办理犯罪记录查询工作规定》（公通字〔2021〕19号）"
B_PASSPORT = "《中华人民共和国护照法》第四条、第五条；《中华人民共和国出境入境管理法》"
B_MARRIAGE = "《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》"
B_DIVORCE = "《中华人民共和国民法典》第一千零七十六条、第一千零七十七条；《婚姻登记条例》"
B_PERMIT = "《排污许可管理条例》（国务院令第736号）"
B_NOTARY = "《中华人民共和国公证法》第十一条；《公证程序规则》"
B_ESTATE = "《不动产登记暂行条例》（国务院令第656号）；《中华人民共和国民法典》第四百零二条"
B_INVOICE = "《中华人民共和国发票管理办法》第十五条"
B_CROSS_REGION = "《国务院办公厅关于加快推进政务服务“跨省通办”的指导意见》（国办发〔2020〕35号）"
B_COMMITMENT = "《国务院办公厅关于全面推行证明事项告知承诺制的指导意见》（国办发〔2020〕42号）"

# ---------------------------------------------------------------------------------------------
# Materials (申请材料). ``material`` fills every element so each guide lists them in full.
# ---------------------------------------------------------------------------------------------
APPLICANT = c.MaterialSource.APPLICANT
GOVERNMENT = c.MaterialSource.GOVERNMENT
INTERMEDIARY = c.MaterialSource.INTERMEDIARY
ORIGINAL = c.MaterialForm.ORIGINAL
COPY = c.MaterialForm.COPY
BOTH = c.MaterialForm.ORIGINAL_AND_COPY
ELECTRONIC = c.MaterialForm.ELECTRONIC
REQUIRED = c.Necessity.REQUIRED
OPTIONAL = c.Necessity.OPTIONAL
TOLERATED = c.Necessity.TOLERATED


def material(name: str, *, basis: str = "", source: str = APPLICANT, copies: int = 1, form: str = ORIGINAL,
             necessity: str = REQUIRED, notes: str = "", standard: str = "",
             licences: tuple[str, ...] = ()) -> Material:
    """One material with every element of the national schema filled in."""
    return {
        "name": name, "legal_basis": basis, "source": source, "paper_copies": copies, "paper_size": "A4",
        "form": form, "necessity": necessity, "filling_notes": notes,
        "acceptance_standard": standard or "内容真实、完整、清晰，与原件一致",
        "license_types": [license_types.code(k) for k in licences], "main": False, "commitment_allowed": False,
    }


_MATERIAL_KEYWORDS = {"basis": "legal_basis", "copies": "paper_copies", "notes": "filling_notes",
                      "standard": "acceptance_standard", "licences": "license_types",
                      "on_commitment": "commitment_allowed"}


def changed(base: Material, **changes: Any) -> Material:
    """A copy of a material with some elements changed, named as in :func:`material`."""
    out = dict(base)
    for keyword, value in changes.items():
        key = _MATERIAL_KEYWORDS.get(keyword, keyword)
        assert key in out, f"not a material element: {keyword}"
        out[key] = [license_types.code(k) for k in value] if key == "license_types" else value
    out["license_types"] = list(out["license_types"])
    return out


# Government-issued papers, each replaceable by the e-licence whose type code it names.
ID_CARD = material("居民身份证", basis=B_ID_LAW, source=GOVERNMENT, form=BOTH, licences=("ID_CARD",),
                   standard="在有效期内；原件核验后退还，复印件正反面印于同一页")
HOUSEHOLD_BOOK = material("居民户口簿", basis=B_HUKOU, source=GOVERNMENT, form=BOTH,
                          licences=("HOUSEHOLD_REGISTER",), standard="户主页及本人页")
MARRIAGE_CERT = material("结婚证", basis=B_MARRIAGE, source=GOVERNMENT, form=BOTH, licences=("MARRIAGE_CERT",
                                                                                             ),
                         standard="持证人信息页及登记页")
BIRTH_CERT = material("出生医学证明", basis=B_BIRTH, source=GOVERNMENT, form=BOTH, licences=("BIRTH_CERT",),
                      standard="由助产机构签发，新生儿姓名与申报一致")
BUSINESS_LICENSE = material("营业执照", basis=B_MARKET, source=GOVERNMENT, form=BOTH,
                            licences=("BUSINESS_LICENSE",), standard="正本或副本，在有效期内")
REAL_ESTATE_CERT = material("不动产权证书", basis=B_ESTATE, source=GOVERNMENT, form=BOTH,
                            licences=("REAL_ESTATE_CERT",))
SS_CARD = material("社会保障卡", basis=B_SS_CARD, source=GOVERNMENT, form=ORIGINAL, copies=0,
                   licences=("SOCIAL_SECURITY_CARD",), standard="已启用金融功能，用于收款")
RETIREMENT_PROOF = material("退休证明（退休审批表或退休证）", basis=B_FUND_WITHDRAW, source=GOVERNMENT,
                            form=BOTH,
                            licences=("RETIREMENT_APPROVAL",),
                            notes="已与人社部门共享退休信息的，可免于提交")

# Papers the applicant writes or signs.
PROXY_LETTER = material("授权委托书", source=APPLICANT, necessity=OPTIONAL,
                        notes="委托他人代办的提供，须载明委托事项与权限")
AGENT_ID = changed(ID_CARD, name="受托人居民身份证", necessity=OPTIONAL, notes="委托他人代办的提供")
# 告知承诺 (国办发〔2020〕42号): the text the applicant signs instead of proving a condition.
COMMITMENT_TEXT = ("申请人承诺所告知的条件均已具备，所提供的信息真实、准确、完整，并愿意接受事后核查。"
                   "经核查承诺不实的，行政机关依法撤销已作出的决定，申请人承担相应法律责任，"
                   "虚假承诺情况记入信用记录，且此后不再适用告知承诺。")


def application_form(title: str, basis: str = "") -> Material:
    """The application form: a main review material, so never accepted as missing (容缺)."""
    return {**material(title, basis=basis, source=APPLICANT, standard="填写完整，签字（盖章）齐全",
                       notes="可在窗口领取或在网上办事大厅下载，填写完整并签字"), "main": True}


# ---------------------------------------------------------------------------------------------
# Form fields (申请表字段) as JSON Schema, with the Chinese titles applicants read.
# ---------------------------------------------------------------------------------------------
FIELDS: dict[str, dict[str, Any]] = {
    "name": {"type": "string", "title": "申请人姓名", "maxLength": 50},
    "id_number": {"type": "string", "title": "公民身份号码", "pattern": "^[0-9]{17}[0-9X]$"},
    "phone": {"type": "string", "title": "联系电话", "pattern": "^1[0-9]{10}$"},
    "address": {"type": "string", "title": "联系地址", "maxLength": 200},
    "postal_address": {"type": "string", "title": "结果邮寄地址", "maxLength": 200},
    "company_name": {"type": "string", "title": "企业名称", "maxLength": 100},
    "uscc": {"type": "string", "title": "统一社会信用代码", "pattern": "^[0-9A-HJ-NP-RTUW-Y]{18}$"},
    "legal_rep": {"type": "string", "title": "法定代表人（负责人）姓名", "maxLength": 50},
    "business_scope": {"type": "string", "title": "经营范围"},
    "premises": {"type": "string", "title": "住所（经营场所）", "maxLength": 200},
    "new_premises": {"type": "string", "title": "变更后住所", "maxLength": 200},
    "capital": {"type": "number", "title": "认缴出资额（万元）", "minimum": 0},
    "partners": {"type": "integer", "title": "合伙人人数", "minimum": 2},
    "bank_account": {"type": "string", "title": "收款银行账号", "maxLength": 32},
    "amount": {"type": "number", "title": "申请金额（元）", "minimum": 0},
    "from_region": {"type": "string", "title": "迁出地", "maxLength": 100},
    "to_address": {"type": "string", "title": "迁入地址", "maxLength": 200},
    "relation": {"type": "string", "title": "与投靠人关系", "enum": ["配偶", "父亲", "母亲"]},
    "purpose": {"type": "string", "title": "用途", "maxLength": 100},
    "baby_name": {"type": "string", "title": "新生儿姓名", "maxLength": 50},
    "birth_date": {"type": "string", "title": "出生日期", "format": "date"},
    "hospital": {"type": "string", "title": "出生医院", "maxLength": 100},
    "insured_region": {"type": "string", "title": "参保地", "maxLength": 100},
    "destination": {"type": "string", "title": "就医地", "maxLength": 100},
    "certificate_no": {"type": "string", "title": "证书编号", "maxLength": 50},
    "translation": {"type": "string", "title": "译文语种",
                    "enum": ["英文", "日文", "德文", "法文", "俄文", "其他"]},
    "country": {"type": "string", "title": "使用国家（地区）", "maxLength": 50},
    "house_address": {"type": "string", "title": "房屋坐落", "maxLength": 200},
    "loan_amount": {"type": "number", "title": "被担保主债权数额（万元）", "minimum": 0},
    "spouse_name": {"type": "string", "title": "配偶姓名", "maxLength": 50},
    "spouse_id_number": {"type": "string", "title": "配偶公民身份号码", "pattern": "^[0-9]{17}[0-9X]$"},
    "permit_type": {"type": "string", "title": "管理类别", "enum": ["重点管理", "简化管理"]},
    "product": {"type": "string", "title": "申请生产的产品", "maxLength": 100},
    "food_category": {"type": "string", "title": "经营项目",
                      "enum": ["预包装食品销售", "散装食品销售", "热食类食品制售", "冷食类食品制售",
                               "自制饮品制售"]},
    "employees": {"type": "integer", "title": "参保职工人数", "minimum": 1},
    "invoice_kind": {"type": "string", "title": "发票种类",
                     "enum": ["数电发票", "增值税专用发票", "增值税普通发票"]},
    "seal_kinds": {"type": "array", "title": "刻制印章种类", "items": {
        "type": "string", "enum": ["单位公章", "财务专用章", "合同专用章", "发票专用章", "法定代表人名章"]}},
}


def form(title: str, *fields: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON Schema object of the named fields; ``fields`` are required, ``optional`` are not."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "required": list(fields),
        "properties": {f: dict(FIELDS[f]) for f in (*fields, *optional)},
    }


def inspection(kind: str, limit: str, note: str) -> dict[str, str]:
    """A special procedure (特别程序): its time is not counted against the limit (行政许可法 art. 45)."""
    return {"kind": kind, "limit": limit, "note": note}


# ---------------------------------------------------------------------------------------------
# Guide elements most guides share; a GuideSpec states only what it changes.
# ---------------------------------------------------------------------------------------------
GUIDE_DEFAULTS: Guide = {
    "service_objects": [c.ServiceObject.NATURAL],
    "statutory_unit": c.LimitUnit.WORKING_DAYS, "statutory_note": "",
    "promised_unit": c.LimitUnit.WORKING_DAYS, "promised_note": "",
    "case_type": c.CaseType.PROMISED,
    "review_steps": ["受理", "审查", "审批"],
    "modes": [c.Mode.WINDOW, c.Mode.ONLINE],
    "commitment_allowed": False,
    "scope": c.Scope.CROSS_PROVINCE,
    "visits": 1, "appointment": True, "logistics": True, "online_payment": False,
    "fee_required": False, "fees": [],
    "result_type": c.ResultType.APPROVAL,
    "special_procedures": [], "joint_organs": [], "faq": [], "form_schema": {},
}

NATURAL = [c.ServiceObject.NATURAL]
LEGAL = [c.ServiceObject.LEGAL]
BOTH_OBJECTS = [c.ServiceObject.NATURAL, c.ServiceObject.LEGAL]
IMMEDIATE: Guide = {"case_type": c.CaseType.IMMEDIATE, "statutory_limit": 1, "promised_limit": 1,
                    "promised_note": "材料齐全、符合法定形式的，当场办结"}


def without(materials: list[Material], *names: str) -> list[Material]:
    """The list without the named materials (a region that dropped them)."""
    missing = set(names) - {m["name"] for m in materials}
    assert not missing, f"no such materials: {missing}"
    return [m for m in materials if m["name"] not in names]


def replacing(materials: list[Material], name: str, *new: Material) -> list[Material]:
    """The list with one material replaced by others, in its place."""
    assert any(m["name"] == name for m in materials), name
    out: list[Material] = []
    for m in materials:
        out.extend(new if m["name"] == name else (m,))
    return out
