"""Guides of the items people apply for at the police, civil affairs and health offices."""

from __future__ import annotations

from tongban.catalog.demo_data import license_types
from tongban.catalog.demo_data.common import (
    AGENT_ID,
    B_BIRTH,
    B_MARRIAGE,
    BIRTH_CERT,
    BOTH,
    GOVERNMENT,
    HOUSEHOLD_BOOK,
    ID_CARD,
    IMMEDIATE,
    MARRIAGE_CERT,
    OPTIONAL,
    PROXY_LETTER,
    REAL_ESTATE_CERT,
    GuideSpec,
    application_form,
    changed,
    form,
    inspection,
    material,
    without,
)

# --- 户口迁移: five reasons, one shape. Applied for at the place moved to (迁入地). -----------------
HUKOU_COMMON = {
    "statutory_limit": 20, "statutory_note": "按省级公安机关户籍管理规定的办结时限",
    "promised_limit": 10, "review_steps": ["受理", "审核", "审批"],
    "modes": ["window", "online", "proxy"], "result_type": "record",
    "result_name": "户口迁入登记（准予迁入）",
    "process": "迁入地受理 → 迁入地审核审批 → 通过公安户政系统通知迁出地迁出 → 迁入地办理落户。"
               "跨省迁移“一站式”办理，申请人无需往返迁出地。",
}
MOVE_IN_HOME = changed(REAL_ESTATE_CERT, name="迁入地合法稳定住所证明",
                       notes="自有住房提交不动产权证书；租赁住房提交租赁合同并经登记备案")
APPLICANT_BOOK = changed(HOUSEHOLD_BOOK, name="迁移人居民户口簿")
HOST_BOOK = changed(HOUSEHOLD_BOOK, name="被投靠人居民户口簿")
HUKOU_FORM = form("户口迁移申请", "name", "id_number", "from_region", "to_address", "phone")

# 大别山 cities do the move jointly (多地联办, SCENARIOS §3): 信阳 accepts, 黄冈 does the move-out.
DABIE_JOINT = {"modes": ["window", "online", "proxy", "joint"], "scope": "cross_province"}

SPOUSE = GuideSpec(
    "夫妻投靠户口迁移",
    {
        **HUKOU_COMMON,
        "conditions": "夫妻一方投靠另一方落户，"
                      "被投靠人具有迁入地常住户口且有合法稳定住所（迁入地对结婚年限有规定的，从其规定）。",
        "form_schema": form("夫妻投靠户口迁移申请", "name", "id_number", "spouse_name", "spouse_id_number",
                            "from_region", "to_address", "phone"),
    },
    [ID_CARD, APPLICANT_BOOK, HOST_BOOK, MARRIAGE_CERT, MOVE_IN_HOME],
    {
        "信阳": {**DABIE_JOINT, "joint_organs": ["黄冈市公安局", "孝感市公安局", "随州市公安局"],
                 "promised_note": "大别山城市间多地联办，申请人只跑迁入地一次"},
        "黄冈": {**DABIE_JOINT, "joint_organs": ["信阳市公安局"]},
        "孝感": {**DABIE_JOINT, "joint_organs": ["信阳市公安局"], "promised_limit": 15},
        "随州": {**DABIE_JOINT, "joint_organs": ["信阳市公安局"], "promised_limit": 15},
        "苏州": {"promised_limit": 7,
                 "conditions": "夫妻一方投靠另一方落户，结婚满2年，被投靠人在苏州市区有合法稳定住所。"},
    })

TRANSFER = GuideSpec(
    "工作调动户口迁移",
    {**HUKOU_COMMON, "conditions": "经组织人事部门批准调动工作，或被迁入地机关、事业单位正式录用的人员。",
     "form_schema": HUKOU_FORM},
    [ID_CARD, APPLICANT_BOOK,
     material("调动或录用审批手续", source=GOVERNMENT, notes="调令、录用通知书或组织人事部门批准文件"),
     MOVE_IN_HOME],
    {"信阳": {"modes": ["window", "online", "proxy"]}, "苏州": {"promised_limit": 7}, "杨浦": {},
     "秦淮": {}, "黄冈": {}})

ENROL = GuideSpec(
    "大中专院校录取学生户口迁移",
    {**HUKOU_COMMON, "conditions": "被普通高等院校、中等专业学校录取，自愿将户口迁往学校集体户的新生。",
     "promised_limit": 5, "form_schema": HUKOU_FORM},
    [ID_CARD, APPLICANT_BOOK, material("录取通知书", source="other", form=BOTH, notes="学校出具")],
    {"信阳": {}, "黄冈": {}, "孝感": {}, "随州": {"promised_limit": 7}})

GRADUATE = GuideSpec(
    "大中专院校毕业生户口迁移",
    {**HUKOU_COMMON, "conditions": "大中专院校毕业生在毕业两年内，落户就业地或者迁回原籍的。",
     "form_schema": HUKOU_FORM},
    [ID_CARD, material("毕业证书", source=GOVERNMENT, form=BOTH, licences=("DIPLOMA",)),
     material("学校集体户口页或户籍证明", source=GOVERNMENT, licences=("HOUSEHOLD_REGISTER",)),
     material("劳动合同或就业协议", necessity=OPTIONAL, notes="落户就业地的提供"), MOVE_IN_HOME],
    {"信阳": {}, "苏州": {"promised_limit": 5}, "秦淮": {"promised_limit": 5}, "长治": {}})

PARENTS = GuideSpec(
    "父母投靠子女户口迁移",
    {**HUKOU_COMMON,
     "conditions": "父母投靠在迁入地落户的子女（迁入地对投靠人年龄或子女落户年限有规定的，从其规定）。",
     "form_schema": form("父母投靠子女户口迁移申请", "name", "id_number", "relation", "from_region",
                         "to_address", "phone")},
    [ID_CARD, APPLICANT_BOOK, changed(HOUSEHOLD_BOOK, name="子女居民户口簿"),
     changed(BIRTH_CERT, name="亲属关系证明", necessity=OPTIONAL,
             notes="户口簿无法体现亲属关系的提供，可用出生医学证明或其电子证照"),
     MOVE_IN_HOME],
    {"信阳": DABIE_JOINT | {"joint_organs": ["黄冈市公安局"]},
     "黄冈": DABIE_JOINT | {"joint_organs": ["信阳市公安局"]},
     "苏州": {"promised_limit": 7}})

# --- 户籍类证明, 无犯罪记录证明: results come back as e-certificates (SCENARIOS §2) -----------------
HUKOU_PROOF = GuideSpec(
    "开具户籍类证明",
    {
        **IMMEDIATE,
        "conditions": "本人或其近亲属因办理相关事务需要证明户籍信息，"
                      "且所需证明属于公安机关户籍类证明事项清单范围的。",
        "modes": ["window", "online", "kiosk"], "visits": 0, "scope": "nationwide",
        "review_steps": ["受理", "核查", "出具"], "result_type": "license",
        "result_name": "户籍证明（电子证明，可扫码核验）", "result_license_type": license_types.code("HOUSEHOLD_PROOF"),
        "form_schema": form("户籍类证明申请", "name", "id_number", "purpose", "phone"),
    },
    [ID_CARD, changed(HOUSEHOLD_BOOK, necessity=OPTIONAL, notes="到窗口办理的提供"), PROXY_LETTER, AGENT_ID],
    {"信阳": {"modes": ["window", "online", "proxy", "kiosk"]}, "杨浦": {}, "苏州": {}, "黄冈": {},
     "孝感": {}, "随州": {}, "长治": {"modes": ["window", "online"]},
     "殷都": {"modes": ["window", "online"]}})

CRIMINAL = GuideSpec(
    "无犯罪记录证明",
    {
        "conditions": "中国公民因就业、出国等需要查询本人有无犯罪记录的，可向户籍地或者居住地公安派出所申请；"
                      "单位可依法查询本单位拟录用人员的犯罪记录。",
        "statutory_limit": 3, "statutory_note": "公安机关应当在3个工作日内出具（公通字〔2021〕19号）",
        "promised_limit": 1, "review_steps": ["受理", "查询", "出具"],
        "modes": ["window", "online", "proxy"], "visits": 0, "scope": "nationwide",
        "result_type": "license", "result_name": "无犯罪记录证明（电子证明）",
        "result_license_type": license_types.code("NO_CRIMINAL_RECORD"),
        "form_schema": form("犯罪记录查询申请", "name", "id_number", "purpose", "phone"),
    },
    [ID_CARD, PROXY_LETTER, AGENT_ID],
    {"信阳": {}, "苏州": {}, "杨浦": {**IMMEDIATE, "modes": ["window", "online"]},
     "秦淮": {"modes": ["window", "online"]}, "嘉兴": {"modes": ["window", "online"]},
     "长治": {"promised_limit": 3, "modes": ["window", "online"], "visits": 1}})

# --- 出生一件事 (SCENARIOS §4): the birth certificate issued first is the next step's material ----
NEWBORN = GuideSpec(
    "新生儿入户",
    {
        **IMMEDIATE,
        "conditions": "婴儿出生后一个月以内，由户主、亲属、抚养人向婴儿常住地户口登记机关申报出生登记"
                      "（《中华人民共和国户口登记条例》第七条），随父或者随母落户。",
        "review_steps": ["受理", "审核", "登记"], "scope": "province", "result_type": "record",
        "result_name": "出生登记（居民户口簿新生儿页）",
        "form_schema": form("出生登记申报", "baby_name", "birth_date", "hospital", "name", "id_number",
                            "phone"),
    },
    [BIRTH_CERT, changed(ID_CARD, name="父母双方居民身份证"),
     changed(HOUSEHOLD_BOOK, name="落户方居民户口簿"),
     changed(MARRIAGE_CERT, name="父母结婚证", necessity=OPTIONAL, notes="非婚生育的按规定提交其他材料")],
    {"殷都": {"modes": ["window", "online"], "promised_note": "“出生一件事”一窗受理，当场办结"},
     "信阳": {}, "苏州": {"visits": 0}, "黄冈": {}})

FIRST_ID = GuideSpec(
    "首次申领居民身份证",
    {
        "conditions": "年满十六周岁的中国公民应当申请领取居民身份证；未满十六周岁的，可以依照规定申请领取。",
        "statutory_limit": 60, "statutory_unit": "calendar_days", "promised_unit": "calendar_days",
        "statutory_note": "公安机关应当自受理之日起60日内发放居民身份证（《中华人民共和国居民身份证法》）",
        "promised_limit": 20, "modes": ["window"], "review_steps": ["受理", "审核", "签发"],
        "scope": "nationwide", "result_type": "license", "result_name": "中华人民共和国居民身份证",
        "fee_required": True, "online_payment": True,
        "fees": [{"name": "居民身份证工本费", "standard": "20元/证",
                  "basis": "《中华人民共和国居民身份证法》第二十条",
                  "reducible": True, "reduction_basis": "城市最低生活保障对象、农村特殊生活困难居民免收；"
                                                        "其他生活确有困难的，可以减半收取"}],
        "form_schema": form("居民身份证申领登记", "name", "id_number", "address", "phone",
                            optional=("postal_address",)),
    },
    [HOUSEHOLD_BOOK, changed(ID_CARD, name="监护人居民身份证", necessity=OPTIONAL,
                             notes="未满十六周岁的由监护人陪同")],
    {"信阳": {"promised_limit": 15}, "殷都": {"promised_limit": 15}, "苏州": {"promised_limit": 10},
     "长治": {}})

PASSPORT = GuideSpec(
    "普通护照签发",
    {
        "conditions": "中国公民因前往外国定居、探亲、学习、就业、旅行、从事商务活动等非公务原因出国的；"
                      "自2019年起可在全国任一出入境管理机构申请。",
        "statutory_limit": 15,
        "statutory_note": "自收到申请材料之日起15日内签发（《中华人民共和国护照法》第五条）",
        "promised_limit": 7, "modes": ["window", "kiosk"], "review_steps": ["受理", "审核", "签发"],
        "scope": "nationwide", "result_type": "license", "result_name": "中华人民共和国普通护照",
        "fee_required": True, "online_payment": True,
        "fees": [{"name": "普通护照工本费", "standard": "120元/本",
                  "basis": "国家发展改革委、财政部核定的出入境证件收费标准", "reducible": False}],
        "form_schema": form("中国公民出入境证件申请", "name", "id_number", "address", "phone",
                            optional=("postal_address",)),
    },
    [ID_CARD, material("近期免冠彩色照片", necessity=OPTIONAL, notes="可在受理现场免费采集")],
    {"信阳": {}, "苏州": {"promised_limit": 5}, "杨浦": {"promised_limit": 5}, "嘉兴": {}})

# --- 婚姻登记 -------------------------------------------------------------------------------
STATEMENT = material("本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明",
                     basis=B_MARRIAGE, notes="在婚姻登记机关现场签署")
MARRIAGE_MATERIALS = [changed(ID_CARD, name="双方居民身份证"), changed(HOUSEHOLD_BOOK, name="双方居民户口簿"),
                      material("双方近期半身免冠合影照片", copies=3, notes="2寸红底"), STATEMENT]
# 婚姻登记“跨省通办”: at the usual residence, on ID card (and residence permit) alone, no 户口簿.
MARRIAGE_ANYWHERE = [
    *without(MARRIAGE_MATERIALS, "双方居民户口簿"),
    material("居住证", source=GOVERNMENT, necessity=OPTIONAL, licences=("RESIDENCE_PERMIT",),
             notes="一方在本地经常居住但户籍不在本地的提供"),
]

MARRY = GuideSpec(
    "内地居民结婚登记",
    {
        **IMMEDIATE,
        "conditions": "男女双方完全自愿，男年满二十二周岁、女年满二十周岁，双方均无配偶，"
                      "没有直系血亲和三代以内旁系血亲关系（《中华人民共和国民法典》"
                      "第一千零四十六条至第一千零四十八条），双方亲自到场。",
        "modes": ["window"], "review_steps": ["受理", "审查", "登记"], "logistics": False,
        "scope": "province", "result_type": "license", "result_name": "结婚证（同步生成电子证照）",
        "result_license_type": license_types.code("MARRIAGE_CERT"),
        "form_schema": form("申请结婚登记声明书", "name", "id_number", "spouse_name", "spouse_id_number",
                            "phone"),
    },
    MARRIAGE_MATERIALS,
    {"信阳": {}, "黄冈": {}, "孝感": {}, "随州": {},
     "苏州": {"materials": MARRIAGE_ANYWHERE, "scope": "cross_province"},
     "杨浦": {"materials": MARRIAGE_ANYWHERE, "scope": "cross_province"},
     "秦淮": {"materials": MARRIAGE_ANYWHERE, "scope": "cross_province"}})

DIVORCE = GuideSpec(
    "内地居民离婚登记",
    {
        **IMMEDIATE,
        "conditions": "男女双方自愿离婚，并对子女抚养、财产以及债务处理等事项协商一致，签订书面离婚协议，"
                      "双方亲自到场。",
        "statutory_note": "冷静期届满后30日内双方亲自到场申请发给离婚证的，当场办结",
        "modes": ["window"], "review_steps": ["受理", "冷静期", "审查", "登记"], "logistics": False,
        "visits": 2, "scope": "province", "result_type": "license", "result_name": "离婚证",
        "special_procedures": [inspection("离婚冷静期", "30日",
                                          "自收到离婚登记申请之日起30日内，任何一方不愿意离婚的，"
                                          "可以撤回申请（《中华人民共和国民法典》第一千零七十七条）")],
        "form_schema": form("申请离婚登记声明书", "name", "id_number", "spouse_name", "spouse_id_number",
                            "phone"),
    },
    [changed(ID_CARD, name="双方居民身份证"), MARRIAGE_CERT,
     material("离婚协议书", copies=3, notes="双方签字")],
    {"信阳": {}, "苏州": {}})

BIRTH_PROOF = GuideSpec(
    "出生医学证明签发",
    {
        **IMMEDIATE,
        "conditions": "在依法取得助产技术服务资质的医疗机构内出生的新生儿，由其父母（监护人）申请，"
                      "助产机构签发（《中华人民共和国母婴保健法》第二十三条）。",
        "modes": ["window", "online"], "review_steps": ["受理", "核对", "签发"], "scope": "county",
        "result_type": "license", "result_name": "出生医学证明（同步生成电子证照）",
        "result_license_type": license_types.code("BIRTH_CERT"),
        "form_schema": form("出生医学证明首次签发登记", "baby_name", "birth_date", "hospital", "name",
                            "id_number", "phone"),
    },
    [application_form("出生医学证明首次签发登记表", B_BIRTH), changed(ID_CARD, name="新生儿父母居民身份证")],
    {"殷都": {"promised_note": "“出生一件事”一窗受理，在助产机构或窗口当场签发"}, "信阳": {}, "苏州": {}})

GUIDES = (SPOUSE, TRANSFER, ENROL, GRADUATE, PARENTS, HUKOU_PROOF, CRIMINAL, NEWBORN, FIRST_ID, PASSPORT,
          MARRY, DIVORCE, BIRTH_PROOF)

