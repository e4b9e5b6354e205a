"""Guides of social insurance, medical insurance and housing fund items."""

from __future__ import annotations

from tongban.catalog.demo_data.common import (
    AGENT_ID,
    BIRTH_CERT,
    BUSINESS_LICENSE,
    COMMITMENT_TEXT,
    COPY,
    ELECTRONIC,
    GOVERNMENT,
    HOUSEHOLD_BOOK,
    ID_CARD,
    IMMEDIATE,
    LEGAL,
    MARRIAGE_CERT,
    OPTIONAL,
    PROXY_LETTER,
    REAL_ESTATE_CERT,
    RETIREMENT_PROOF,
    SS_CARD,
    TOLERATED,
    GuideSpec,
    application_form,
    changed,
    form,
    material,
)

SOCIAL_INSURANCE_URL = "https://si.12333.gov.cn/"   # 国家社会保险公共服务平台
MEDICAL_INSURANCE_URL = "https://fuwu.nhsa.gov.cn/"  # 国家医保服务平台
ID_OR_CARD = changed(ID_CARD, name="居民身份证或社会保障卡", licences=("ID_CARD", "SOCIAL_SECURITY_CARD"))
ONLINE_AND_WINDOW = ["window", "online"]

# --- 人力资源和社会保障 --------------------------------------------------------------------------
PENSION_TRANSFER = GuideSpec(
    "企业职工基本养老保险关系转移接续",
    {
        "conditions": "参加企业职工基本养老保险的人员跨省、市流动就业，并已在新就业地参保缴费的；"
                      "由本人向新参保地社会保险经办机构提出转移接续申请。",
        "statutory_limit": 45,
        "statutory_note": "转入地与转出地社会保险经办机构各在15个工作日内办结相关手续（国办发〔2009〕66号）",
        "promised_limit": 30, "review_steps": ["受理", "审核", "复核"],
        "modes": ["window", "online", "proxy"], "visits": 0, "scope": "nationwide",
        "online_url": SOCIAL_INSURANCE_URL, "result_type": "record",
        "result_name": "基本养老保险关系转移接续完成通知",
        "form_schema": form("基本养老保险关系转移接续申请", "name", "id_number", "insured_region", "phone"),
    },
    [ID_OR_CARD, application_form("基本养老保险关系转移接续申请表"),
     material("参保缴费凭证", source=GOVERNMENT, necessity=OPTIONAL, notes="已通过全国系统核验的免于提交")],
    {"信阳": {}, "苏州": {"promised_limit": 20, "modes": ONLINE_AND_WINDOW},
     "杨浦": {"promised_limit": 20, "modes": ONLINE_AND_WINDOW}, "秦淮": {"modes": ONLINE_AND_WINDOW},
     "嘉兴": {"promised_limit": 20, "modes": ONLINE_AND_WINDOW}, "长治": {"modes": ONLINE_AND_WINDOW},
     "黄冈": {}, "孝感": {}, "随州": {"promised_limit": 45}})

RURAL_PENSION_TRANSFER = GuideSpec(
    "城乡居民基本养老保险关系转移接续",
    {
        "conditions": "参加城乡居民基本养老保险的人员，在缴费期间户籍迁移、"
                      "需要跨省、市、县转移养老保险关系的。",
        "statutory_limit": 45, "statutory_note": "转入地、转出地各15个工作日内办结",
        "promised_limit": 30, "review_steps": ["受理", "审核", "复核"],
        "modes": ["window", "online", "proxy"], "visits": 0, "scope": "nationwide",
        "online_url": SOCIAL_INSURANCE_URL,
        "result_type": "record", "result_name": "城乡居民基本养老保险关系转入确认",
        "form_schema": form("城乡居民基本养老保险关系转移申请", "name", "id_number", "insured_region",
                            "phone"),
    },
    [ID_OR_CARD, changed(HOUSEHOLD_BOOK, notes="户籍已迁入本地的户口簿"),
     application_form("城乡居民基本养老保险关系转入申请表")],
    {"信阳": {}, "黄冈": {}, "孝感": {}, "随州": {},
     "杨陵": {"promised_limit": 20, "modes": ONLINE_AND_WINDOW}})

UNEMPLOYMENT = GuideSpec(
    "失业登记",
    {
        **IMMEDIATE,
        "conditions": "法定劳动年龄内、有劳动能力、有就业要求、处于无业状态的城乡劳动者，"
                      "可在常住地（户籍地、经常居住地）进行失业登记。",
        "modes": ["window", "online", "kiosk"], "visits": 0, "scope": "nationwide",
        "review_steps": ["受理", "登记"], "result_type": "record",
        "result_name": "失业登记（就业创业证电子记录）",
        "form_schema": form("失业登记", "name", "id_number", "address", "phone"),
    },
    [ID_OR_CARD, material("终止或解除劳动关系证明", necessity=OPTIONAL, notes="系统可查询到的免于提交")],
    {"信阳": {}, "苏州": {}, "秦淮": {}, "杨浦": {}, "长治": {"modes": ONLINE_AND_WINDOW}, "嘉兴": {}})

QUALIFICATION = GuideSpec(
    "职业资格证书核验",
    {
        **IMMEDIATE, "conditions": "需要核验职业资格证书真伪和信息的持证人或用人单位。",
        "service_objects": ["natural", "legal"], "modes": ONLINE_AND_WINDOW, "visits": 0,
        "scope": "nationwide", "review_steps": ["受理", "核验"],
        "result_type": "other", "result_name": "职业资格证书核验结果",
        "form_schema": form("职业资格证书核验", "name", "id_number", "certificate_no"),
    },
    [ID_CARD, material("职业资格证书", source=GOVERNMENT, form=COPY, licences=("QUALIFICATION_CERT",))],
    {"信阳": {}, "苏州": {}, "杨陵": {}, "长治": {}})

SS_CARD_APPLY = GuideSpec(
    "社会保障卡申领",
    {
        "conditions": "参加社会保险的人员和城乡居民（含新生儿），尚未领取社会保障卡的；"
                      "未成年人由监护人代为申领。",
        "statutory_limit": 20, "statutory_note": "按省级人力资源社会保障部门规定的制卡时限",
        "promised_limit": 10, "promised_note": "统一制卡，制成后通知领取或邮寄",
        "review_steps": ["受理", "审核", "制卡"], "modes": ["window", "online", "kiosk"],
        "scope": "nationwide", "result_type": "license", "result_name": "社会保障卡（同步签发电子社保卡）",
        "form_schema": form("社会保障卡申领", "name", "id_number", "phone", optional=("postal_address",)),
    },
    [ID_CARD, material("近期免冠彩色照片", form=ELECTRONIC, copies=0, necessity=OPTIONAL,
                       notes="可现场采集或上传符合标准的电子照片"),
     changed(ID_CARD, name="监护人居民身份证", necessity=OPTIONAL, notes="未成年人申领的提供")],
    {
        "信阳": {"modes": ["window", "online", "proxy", "kiosk"]},
        "苏州": {**IMMEDIATE, "promised_note": "即时制卡网点当场领卡"},
        "杨浦": {"promised_limit": 7},
        # 出生一件事: a newborn has no ID card yet; the household book and birth certificate stand in.
        "殷都": {**IMMEDIATE, "promised_note": "“出生一件事”窗口即时制卡",
                 "materials": [changed(HOUSEHOLD_BOOK, name="新生儿居民户口簿"), BIRTH_CERT,
                               changed(ID_CARD, name="监护人居民身份证")]},
        "长治": {}, "杨陵": {}, "黄冈": {},
    })

SS_REGISTER = GuideSpec(
    "单位社会保险登记",
    {
        **IMMEDIATE,
        "conditions": "用人单位自成立之日起30日内，凭营业执照、登记证书或者单位印章，"
                      "向当地社会保险经办机构申请办理社会保险登记（《中华人民共和国社会保险法》第五十七条）。",
        "statutory_limit": 15,
        "statutory_note": "自收到申请之日起15日内予以审核（《中华人民共和国社会保险法》第五十七条）",
        "service_objects": LEGAL, "visits": 0, "scope": "city", "review_steps": ["受理", "审核"],
        "result_type": "record", "result_name": "社会保险登记",
        "form_schema": form("单位社会保险登记", "company_name", "uscc", "legal_rep", "employees", "phone"),
    },
    [changed(BUSINESS_LICENSE, form=COPY), changed(ID_CARD, name="经办人居民身份证"),
     material("单位银行账户信息", necessity=OPTIONAL, notes="委托银行代扣社会保险费的提供")],
    {"信阳": {}, "苏州": {}, "嘉兴": {}, "长治": {}, "杨陵": {}})

PENSION_CLAIM = GuideSpec(
    "企业职工基本养老保险待遇申领",
    {
        "conditions": "参加企业职工基本养老保险，达到法定退休年龄（含弹性退休）"
                      "且累计缴费年限达到规定最低缴费年限的人员。",
        "statutory_limit": 20, "statutory_note": "按省级人力资源社会保障部门规定的办结时限",
        "promised_limit": 10, "review_steps": ["受理", "审核", "复核", "审批"], "scope": "province",
        "result_type": "payment", "result_name": "基本养老金核定通知及按月发放",
        "form_schema": form("养老保险待遇申领", "name", "id_number", "bank_account", "phone"),
    },
    [ID_OR_CARD, SS_CARD, material("本人人事档案", source=GOVERNMENT, necessity=OPTIONAL,
                                   notes="由存档机构调取，无需本人提交；灵活就业人员按要求提供")],
    {"信阳": {},
     "苏州": {"promised_limit": 5, "promised_note": "“退休一件事”一次申请，5个工作日内发放首月养老金"},
     "长治": {}, "黄冈": {"promised_limit": 15}})

# --- 医疗保障 --------------------------------------------------------------------------------
RESIDENT_MEDICAL = GuideSpec(
    "城乡居民基本医疗保险参保登记",
    {
        **IMMEDIATE,
        "conditions": "未参加职工基本医疗保险的城乡居民（含新生儿、在校学生、灵活就业人员）；"
                      "新生儿可凭出生医学证明或户口簿参保。",
        "modes": ["window", "online", "kiosk"], "visits": 0, "scope": "province",
        "review_steps": ["受理", "登记"], "result_type": "record",
        "result_name": "城乡居民基本医疗保险参保登记",
        "form_schema": form("城乡居民医保参保登记", "name", "id_number", "address", "phone"),
    },
    [changed(ID_CARD, name="居民身份证或居民户口簿", licences=("ID_CARD", "HOUSEHOLD_REGISTER")),
     changed(BIRTH_CERT, necessity=OPTIONAL, notes="新生儿参保的提供")],
    {"殷都": {"promised_note": "“出生一件事”一窗受理，当场参保",
              "materials": [BIRTH_CERT, changed(HOUSEHOLD_BOOK, name="新生儿居民户口簿"),
                            changed(ID_CARD, name="监护人居民身份证")]},
     "信阳": {}, "黄冈": {}, "孝感": {}, "随州": {}})

STAFF_MEDICAL = GuideSpec(
    "职工基本医疗保险参保登记",
    {
        **IMMEDIATE, "conditions": "用人单位为其职工办理职工基本医疗保险参保登记。",
        "service_objects": LEGAL, "visits": 0, "scope": "city",
        "review_steps": ["受理", "登记"], "result_type": "record", "result_name": "职工基本医疗保险参保登记",
        "form_schema": form("职工医保参保登记", "company_name", "uscc", "employees", "phone"),
    },
    [application_form("参保人员增加表"), changed(ID_CARD, name="经办人居民身份证")],
    {"信阳": {}, "苏州": {}, "杨浦": {}, "嘉兴": {}, "长治": {}})

MEDICAL_FILING = GuideSpec(
    "异地就医登记备案",
    {
        **IMMEDIATE,
        "conditions": "参加基本医疗保险，因异地长期居住、工作或者临时外出就医，"
                      "需要在参保地以外的定点医药机构就医并直接结算的参保人员。",
        "modes": ["window", "online", "proxy"], "visits": 0, "scope": "nationwide",
        "commitment_allowed": True, "commitment_text": COMMITMENT_TEXT,
        "commitment_conditions": ["已在备案地长期居住或工作（异地长期居住人员承诺备案）"],
        "online_url": MEDICAL_INSURANCE_URL, "review_steps": ["受理", "备案"],
        "result_type": "record", "result_name": "异地就医备案（即时生效）",
        "form_schema": form("异地就医登记备案", "name", "id_number", "insured_region", "destination",
                            "phone"),
    },
    [changed(ID_CARD, name="医保电子凭证或居民身份证", form=ELECTRONIC, copies=0,
             licences=("MEDICAL_INSURANCE_CODE", "ID_CARD")),
     material("异地就医备案个人承诺书", notes="以承诺代替居住证明、工作证明")],
    {"信阳": {}, "苏州": {"modes": ONLINE_AND_WINDOW}, "杨浦": {"modes": ONLINE_AND_WINDOW},
     "秦淮": {"modes": ONLINE_AND_WINDOW}, "嘉兴": {"modes": ONLINE_AND_WINDOW}, "长治": {}, "杨陵": {},
     "黄冈": {}})

OUTPATIENT = GuideSpec(
    "门诊费用跨省直接结算",
    {
        **IMMEDIATE,
        "conditions": "已办理异地就医备案的参保人员，"
                      "在就医地开通门诊费用跨省直接结算的定点医药机构就医购药。",
        "modes": ["window"], "visits": 1, "logistics": False, "appointment": False, "scope": "nationwide",
        "review_steps": ["结算"], "result_type": "payment", "result_name": "门诊费用直接结算单",
        "form_schema": form("门诊费用跨省直接结算", "name", "id_number", "insured_region", "destination"),
    },
    [changed(SS_CARD, name="社会保障卡或医保电子凭证",
             licences=("SOCIAL_SECURITY_CARD", "MEDICAL_INSURANCE_CODE"), standard="在就医机构刷卡或扫码")],
    {"信阳": {}, "苏州": {}, "杨浦": {}, "嘉兴": {}})

# --- 住房公积金 ------------------------------------------------------------------------------
FUND_LIMIT = {
    "statutory_limit": 3,
    "statutory_note": "自受理申请之日起3日内作出准予提取或者不准提取的决定"
                      "（《住房公积金管理条例》第二十五条）",
}
BANK_CARD = material("本人银行借记卡", form=COPY, notes="用于接收提取款，须为本人名下一类账户")
RETIRE_MATERIALS = [ID_CARD, RETIREMENT_PROOF, BANK_CARD]

RETIRE = GuideSpec(
    "正常退休提取住房公积金",
    {
        **FUND_LIMIT,
        "conditions": "缴存职工达到法定退休年龄并已办理退休手续的，"
                      "可申请提取本人住房公积金账户全部余额并办理销户（《住房公积金管理条例》第二十四条）。",
        "promised_limit": 3, "review_steps": ["受理", "审批"], "modes": ["window", "online", "proxy"],
        "scope": "nationwide", "result_type": "payment", "result_name": "住房公积金提取到账通知",
        "form_schema": form("住房公积金提取申请", "name", "id_number", "bank_account", "phone",
                            optional=("postal_address",)),
    },
    RETIRE_MATERIALS,
    {
        "信阳": {"process": "申请（本地窗口、网上或异地代收窗口）→ 受理 → 审批 → 资金划转至本人账户 → "
                            "结果通知；异地代收的，收件地窗口核验身份和材料形式后流转至信阳市住房公积金"
                            "管理中心，原件邮寄。"},
        "苏州": {**IMMEDIATE, **FUND_LIMIT, "modes": ["window", "online", "kiosk"]},
        "嘉兴": {"promised_limit": 1, "modes": ONLINE_AND_WINDOW, "visits": 0},
        "长治": {"review_steps": ["受理", "审核", "审批"]},
        "黄冈": {"modes": ["window", "online", "proxy"]}, "孝感": {}, "随州": {},
    })

HOUSE_MATERIALS = [
    ID_CARD,
    material("购房合同", form=COPY, licences=("HOUSE_CONTRACT_FILING",),
             notes="已网签备案的可通过共享核验免于提交"),
    material("购房发票", source="other", form=COPY, notes="开发商或税务机关开具的不动产销售发票"),
    changed(REAL_ESTATE_CERT, necessity=OPTIONAL, notes="已取得不动产权证书的提供"),
    # SCENARIOS §7: the marriage may be proved by the 结婚证 e-licence instead of a copy.
    changed(MARRIAGE_CERT, necessity=OPTIONAL, notes="配偶提取或以配偶名义购房的提供；可用电子证照代替"),
    BANK_CARD,
]

HOUSE = GuideSpec(
    "购房提取住房公积金",
    {
        **FUND_LIMIT,
        "conditions": "职工及其配偶购买自住住房的，可在购房合同备案或不动产登记之日起规定期限内申请提取"
                      "（《住房公积金管理条例》第二十四条）；提取总额不超过购房款。",
        "promised_limit": 3, "review_steps": ["受理", "审核", "审批"], "modes": ["window", "online", "proxy"],
        "scope": "nationwide", "result_type": "payment", "result_name": "住房公积金提取到账通知",
        "form_schema": form("购房提取住房公积金申请", "name", "id_number", "house_address", "amount",
                            "bank_account", "phone", optional=("spouse_name", "spouse_id_number")),
    },
    HOUSE_MATERIALS,
    {
        # SCENARIOS §6 on this node: the invoice may follow the application (容缺受理).
        "信阳": {"materials": [changed(m, necessity=TOLERATED, notes="可容缺受理，按容缺受理告知书的期限补交")
                               if m["name"] == "购房发票" else m for m in HOUSE_MATERIALS]},
        "苏州": {"promised_limit": 1, "modes": ONLINE_AND_WINDOW,
                 "materials": [changed(m, necessity=TOLERATED, notes="可容缺受理，3个工作日内补交")
                               if m["name"] == "购房发票" else m for m in HOUSE_MATERIALS]},
        "嘉兴": {"promised_limit": 1, "modes": ONLINE_AND_WINDOW, "visits": 0},
        "长治": {}, "黄冈": {"modes": ["window", "online", "proxy"]},
    })

FUND_ACCOUNT = GuideSpec(
    "住房公积金单位登记开户",
    {
        **IMMEDIATE,
        "conditions": "新设立的单位应当自设立之日起30日内到住房公积金管理中心办理住房公积金缴存登记，"
                      "并为本单位职工办理账户设立手续（《住房公积金管理条例》第十四条）。",
        "statutory_limit": 3, "statutory_note": "按住房公积金管理中心规定的办结时限",
        "service_objects": LEGAL, "visits": 0, "scope": "city", "review_steps": ["受理", "审核"],
        "result_type": "record", "result_name": "住房公积金单位缴存登记（单位账号）",
        "form_schema": form("住房公积金单位缴存登记", "company_name", "uscc", "legal_rep", "employees",
                            "phone"),
    },
    [application_form("住房公积金单位缴存登记表"), changed(BUSINESS_LICENSE, form=COPY),
     changed(ID_CARD, name="经办人居民身份证")],
    {"信阳": {}, "苏州": {}, "嘉兴": {}, "长治": {}})

FUND_TRANSFER = GuideSpec(
    "住房公积金异地转移接续",
    {
        "conditions": "职工跨城市就业，已在转入地开立住房公积金个人账户，原缴存地账户已封存的，"
                      "向转入地住房公积金管理中心申请转移接续。",
        "statutory_limit": 15, "statutory_note": "按全国住房公积金异地转移接续业务规定的办结时限",
        "promised_limit": 5, "review_steps": ["受理", "审核"], "modes": ["window", "online"], "visits": 0,
        "scope": "nationwide", "result_type": "record", "result_name": "住房公积金异地转移接续完成通知",
        "form_schema": form("住房公积金异地转移接续申请", "name", "id_number", "insured_region", "phone"),
    },
    [ID_CARD, PROXY_LETTER, AGENT_ID],
    {"信阳": {"promised_limit": 3}, "苏州": {"promised_limit": 3}, "嘉兴": {}, "黄冈": {}, "孝感": {},
     "随州": {}, "长治": {}})

GUIDES = (PENSION_TRANSFER, RURAL_PENSION_TRANSFER, UNEMPLOYMENT, QUALIFICATION, SS_CARD_APPLY, SS_REGISTER,
          PENSION_CLAIM, RESIDENT_MEDICAL, STAFF_MEDICAL, MEDICAL_FILING, OUTPATIENT, RETIRE, HOUSE,
          FUND_ACCOUNT, FUND_TRANSFER)
