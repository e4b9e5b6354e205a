"""Guides of the items firms apply for: registration, licences, permits, invoices, mortgages, notarisation."""

from __future__ import annotations

from tongban.catalog.demo_data import license_types
from tongban.catalog.demo_data.common import (
    B_ESTATE,
    B_FOOD,
    B_INDUSTRIAL,
    B_MARKET,
    B_MARKET_RULES,
    B_PARTNERSHIP,
    B_PERMIT,
    BOTH,
    BOTH_OBJECTS,
    BUSINESS_LICENSE,
    COMMITMENT_TEXT,
    COPY,
    GOVERNMENT,
    ID_CARD,
    IMMEDIATE,
    INTERMEDIARY,
    LEGAL,
    OPTIONAL,
    PROXY_LETTER,
    REAL_ESTATE_CERT,
    TOLERATED,
    GuideSpec,
    application_form,
    changed,
    form,
    inspection,
    material,
    replacing,
)

MARKET_STEPS = ["受理", "审核", "核准"]
MARKET_LIMIT = {
    "statutory_limit": 3,
    "statutory_note": "申请材料齐全、符合法定形式的当场登记；不能当场登记的，"
                      "3个工作日内予以登记（《中华人民共和国市场主体登记管理条例》第十九条）",
}
LEGAL_REP_ID = changed(ID_CARD, name="法定代表人（负责人）居民身份证")
PREMISES = material("住所（经营场所）使用证明", source="applicant", form=COPY, licences=("REAL_ESTATE_CERT",),
                    notes="自有房屋提交不动产权证书；租赁房屋提交租赁合同及出租方产权证明",
                    standard="地址与申报的住所一致")

# --- 内资企业及分支机构设立登记 -----------------------------------------------------------------
COMPANY_MATERIALS = [
    application_form("公司登记（备案）申请书", B_MARKET_RULES),
    material("公司章程", basis="《中华人民共和国公司法》", notes="有限责任公司由全体股东签署"),
    material("股东的主体资格文件或者自然人身份证件", source=GOVERNMENT, form=COPY,
             licences=("ID_CARD", "BUSINESS_LICENSE")),
    LEGAL_REP_ID,
    PREMISES,
    material("法定代表人、董事、监事和经理的任职文件", notes="股东会决议、董事会决议或股东决定等"),
]

COMPANY = GuideSpec(
    "内资企业及分支机构设立登记",
    {
        "conditions": "已通过企业名称自主申报；住所（经营场所）真实合法；出资、"
                      "组织机构和法定代表人等符合《中华人民共和国公司法》等法律法规；申请材料齐全、"
                      "符合法定形式。",
        "service_objects": BOTH_OBJECTS, **MARKET_LIMIT,
        "promised_limit": 1, "promised_note": "企业开办全程网办，1个工作日内核发营业执照",
        "review_steps": MARKET_STEPS, "visits": 0,
        "result_type": "license", "result_name": "营业执照（同步生成电子营业执照）",
        "result_license_type": license_types.code("BUSINESS_LICENSE"),
        "form_schema": form("企业设立登记申请", "company_name", "legal_rep", "premises", "capital",
                            "business_scope", "phone"),
    },
    COMPANY_MATERIALS,
    {
        "信阳": {},
        "苏州": {"promised_limit": 4, "promised_unit": "hours",
                 "promised_note": "企业开办0.5个工作日内办结：营业执照、公章、发票、"
                                  "社保和公积金登记一并完成"},
        "杨浦": {"promised_note": "“一网通办”企业开办，营业执照1个工作日内核发"},
        "秦淮": {},
        # 浙江's 住所申报承诺制: the founders declare the address instead of proving it.
        "嘉兴": {"commitment_allowed": True, "commitment_text": COMMITMENT_TEXT,
                 "commitment_conditions": ["住所（经营场所）真实、合法，可用于经营"],
                 "materials": replacing(COMPANY_MATERIALS, PREMISES["name"],
                                        changed(PREMISES, on_commitment=True))},
        "长治": {"review_steps": ["审查", "审核", "审批"],
                 "promised_note": "行政审批服务管理局审批，1个工作日内办结"},
        "杨陵": {"promised_limit": 2, "review_steps": ["审查", "审核", "审批"], "visits": 1},
    })

# --- 合伙企业设立登记: 江苏 still asks five papers, 河南's reform two (四级四同 comparison) --------
PARTNERSHIP_MATERIALS = [
    application_form("合伙企业设立登记申请书", B_MARKET_RULES),
    material("全体合伙人签署的合伙协议", basis=B_PARTNERSHIP, notes="载明合伙企业法第十八条规定的事项"),
    material("全体合伙人的主体资格文件或者自然人身份证件", source=GOVERNMENT, form=COPY,
             licences=("ID_CARD", "BUSINESS_LICENSE")),
    changed(PREMISES, name="主要经营场所使用证明"),
    material("全体合伙人对各合伙人认缴或者实际缴付出资的确认书", basis=B_PARTNERSHIP,
             notes="以实物、知识产权等出资的，载明评估方式"),
]

PARTNERSHIP = GuideSpec(
    "合伙企业设立登记",
    {
        "conditions": "有二个以上合伙人，合伙人为自然人的应当具有完全民事行为能力；有书面合伙协议；"
                      "有合伙人认缴或者实际缴付的出资；"
                      "有合伙企业的名称和生产经营场所（《中华人民共和国合伙企业法》第十四条）。",
        "service_objects": BOTH_OBJECTS, **MARKET_LIMIT,
        "promised_limit": 1, "review_steps": MARKET_STEPS, "visits": 0,
        "result_type": "license", "result_name": "合伙企业营业执照",
        "result_license_type": license_types.code("BUSINESS_LICENSE"),
        "form_schema": form("合伙企业设立登记申请", "company_name", "legal_rep", "premises", "partners",
                            "capital", "business_scope", "phone"),
    },
    PARTNERSHIP_MATERIALS,
    {
        "苏州": {},
        # 河南 merged the confirmations into the application form, verifies partners' identity by
        # real-name login and shared e-licences, and takes the premises on declaration.
        "信阳": {
            "commitment_allowed": True, "commitment_text": COMMITMENT_TEXT,
            "commitment_conditions": ["主要经营场所真实、合法，可用于经营"],
            "promised_note": "推行住所申报承诺制，合伙人身份经实名认证和电子证照共享核验，无需另行提交",
            "materials": [
                application_form("合伙企业设立登记申请书（含出资确认及经营场所申报承诺）", B_MARKET_RULES),
                PARTNERSHIP_MATERIALS[1],
            ],
        },
        "长治": {"review_steps": ["审查", "审核", "审批"], "visits": 1, "promised_limit": 2},
    })

# --- 企业住所变更登记: 苏州's second version makes the lease's seal page 容缺 --------------------
ADDRESS_MATERIALS = [
    application_form("企业变更登记（备案）申请书", B_MARKET_RULES),
    material("关于变更住所的决议或者决定", notes="股东会决议、股东决定或董事会决议，按公司章程规定签署"),
    material("公司章程修正案", notes="法定代表人签署"),
    changed(PREMISES, name="新住所使用证明"),
    changed(BUSINESS_LICENSE, name="营业执照正、副本", form="original", notes="换发新照时交回原执照"),
]
LEASE = material("新住所租赁合同", form=COPY, notes="载明租赁房屋坐落、面积和租赁期限")
LEASE_SEAL_PAGE = material("租赁合同出租方盖章页", form="original", necessity=TOLERATED,
                           notes="可容缺受理：签署容缺受理承诺书后，在承诺期限内补交",
                           standard="出租方签字或加盖公章，与租赁合同骑缝一致")
# The signed 容缺受理承诺书 is kept with the case's commitment, not asked as a material of its own.
ADDRESS_MATERIALS_TOLERANT = replacing(ADDRESS_MATERIALS, "新住所使用证明", LEASE, LEASE_SEAL_PAGE)

ADDRESS = GuideSpec(
    "企业住所变更登记",
    {
        "conditions": "企业住所（主要经营场所）发生变更的，应当自变更决议作出之日起30日内申请变更登记；"
                      "新住所跨登记机关辖区的，向迁入地登记机关申请。",
        "service_objects": LEGAL, **MARKET_LIMIT, "promised_limit": 1,
        "review_steps": MARKET_STEPS, "visits": 0,
        "result_type": "license", "result_name": "营业执照（换发）",
        "result_license_type": license_types.code("BUSINESS_LICENSE"),
        "form_schema": form("企业住所变更登记申请", "company_name", "uscc", "new_premises", "legal_rep",
                            "phone"),
    },
    ADDRESS_MATERIALS,
    {"苏州": {}, "信阳": {}, "秦淮": {"materials": ADDRESS_MATERIALS_TOLERANT,
                                     "promised_note": "容缺材料补齐后当场换发营业执照"},
     "嘉兴": {}, "杨浦": {"promised_note": "“一网通办”全程网办"}})

NAME_CHANGE = GuideSpec(
    "企业名称变更登记",
    {
        "conditions": "已通过企业名称自主申报系统申报拟变更的名称，并作出变更名称的决议或者决定。",
        "service_objects": LEGAL, **MARKET_LIMIT, "promised_limit": 1,
        "review_steps": MARKET_STEPS, "visits": 0,
        "result_type": "license", "result_name": "营业执照（换发）",
        "result_license_type": license_types.code("BUSINESS_LICENSE"),
        "form_schema": form("企业名称变更登记申请", "company_name", "uscc", "legal_rep", "phone"),
    },
    [ADDRESS_MATERIALS[0], changed(ADDRESS_MATERIALS[1], name="关于变更名称的决议或者决定"),
     ADDRESS_MATERIALS[2], ADDRESS_MATERIALS[4]],
    {"信阳": {}, "苏州": {}, "嘉兴": {}})

SIMPLE_CANCEL = GuideSpec(
    "企业简易注销登记",
    {
        "conditions": "未发生债权债务或者已将债权债务清偿完结，未发生或者已结清清偿费用、职工工资、"
                      "社会保险费用、法定补偿金、应缴纳税款（滞纳金、罚款），"
                      "并由全体投资人书面承诺对上述情况的真实性承担法律责任（《市场主体登记管理条例》"
                      "第三十三条）。",
        "service_objects": LEGAL, **MARKET_LIMIT, "promised_limit": 1,
        "review_steps": MARKET_STEPS, "visits": 0, "result_name": "准予简易注销登记通知书",
        "special_procedures": [inspection("公示", "20日",
                                          "通过国家企业信用信息公示系统公示，公示期内无异议的方可办理")],
        "form_schema": form("简易注销登记申请", "company_name", "uscc", "legal_rep", "phone"),
    },
    [application_form("简易注销登记申请书", B_MARKET_RULES),
     material("全体投资人承诺书", basis=B_MARKET, notes="全体投资人签字（盖章）"),
     changed(BUSINESS_LICENSE, name="营业执照正、副本", form="original",
             notes="注销时交回；遗失的在公示系统声明作废")],
    {"信阳": {}, "苏州": {}, "秦淮": {}, "长治": {"review_steps": ["审查", "审核", "审批"]}})

GENERAL_CANCEL = GuideSpec(
    "企业一般注销登记",
    {
        "conditions": "企业因解散、被宣告破产等原因终止，已依法组成清算组完成清算，"
                      "清算组已通知债权人并公告。",
        "service_objects": LEGAL, **MARKET_LIMIT, "promised_limit": 1,
        "review_steps": MARKET_STEPS, "result_name": "准予注销登记通知书",
        "special_procedures": [inspection("清算公告", "45日",
                                          "清算组通过国家企业信用信息公示系统公告，"
                                          "债权人申报债权期间不计入")],
        "form_schema": form("注销登记申请", "company_name", "uscc", "legal_rep", "phone"),
    },
    [application_form("注销登记申请书", B_MARKET_RULES),
     material("依法作出解散的决议或者决定"),
     material("经确认的清算报告", notes="全体股东或清算组成员签字确认"),
     changed(BUSINESS_LICENSE, name="营业执照正、副本", form="original", notes="注销时交回")],
    {"信阳": {}, "苏州": {}})

# --- 食品经营许可: 嘉兴's second version grants it on commitment (SCENARIOS §5) ----------------
FOOD_MATERIALS = [
    application_form("食品经营许可申请书", B_FOOD),
    changed(BUSINESS_LICENSE, form=COPY),
    material("与食品经营相适应的主要设备设施、经营布局、操作流程等文件", basis=B_FOOD),
    material("食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度",
             basis=B_FOOD),
    changed(ID_CARD, name="食品安全管理人员居民身份证", form=COPY),
]
FOOD_INSPECTION = inspection("现场核查", "10个工作日",
                             "对经营场所进行现场核查；仅销售预包装食品的免于现场核查")
FOOD_ON_COMMITMENT = replacing(FOOD_MATERIALS, FOOD_MATERIALS[3]["name"],
                               changed(FOOD_MATERIALS[3], on_commitment=True))
FOOD_COMMITMENT_CONDITIONS = [
    "具有与经营的食品品种、数量相适应的经营场所、设备设施和合理布局",
    "已配备食品安全管理人员，并建立保证食品安全的规章制度",
]

FOOD_NEW = GuideSpec(
    "食品经营许可（新办）",
    {
        "conditions": "已取得营业执照等合法主体资格；具有与经营的食品品种、数量相适应的经营场所、"
                      "设备设施和合理布局；有食品安全管理人员和保证食品安全的规章制度"
                      "（《中华人民共和国食品安全法》第三十三条）。",
        "service_objects": LEGAL, "statutory_limit": 20,
        "statutory_note": "自受理申请之日起20个工作日内作出是否准予许可的决定"
                          "（《中华人民共和国食品安全法》第三十五条）",
        "promised_limit": 7, "review_steps": ["受理", "审查", "现场核查", "决定"],
        "special_procedures": [FOOD_INSPECTION], "scope": "province",
        "result_type": "license", "result_name": "食品经营许可证",
        "result_license_type": license_types.code("FOOD_BUSINESS_LICENSE"),
        "form_schema": form("食品经营许可申请", "company_name", "uscc", "premises", "food_category",
                            "legal_rep", "phone"),
    },
    FOOD_MATERIALS,
    {"信阳": {}, "苏州": {"promised_limit": 5}, "杨浦": {"promised_limit": 5},
     "长治": {"promised_limit": 5, "review_steps": ["审查", "现场核查", "审批"]},
     "嘉兴": {"promised_limit": 5}})

FOOD_RENEW = GuideSpec(
    "食品经营许可（延续）",
    {
        "conditions": "食品经营许可证有效期届满需要继续经营的，"
                      "应当在有效期届满前90个工作日至15个工作日期间提出延续申请。",
        "service_objects": LEGAL, "statutory_limit": 20, "promised_limit": 5, "scope": "province",
        "review_steps": ["受理", "审查", "决定"], "result_type": "license",
        "result_name": "食品经营许可证（延续）",
        "form_schema": form("食品经营许可延续申请", "company_name", "uscc", "certificate_no", "phone"),
    },
    [application_form("食品经营许可延续申请书", B_FOOD),
     material("食品经营许可证正、副本", source=GOVERNMENT, licences=("FOOD_BUSINESS_LICENSE",))],
    {"信阳": {}, "嘉兴": {"promised_limit": 3, "visits": 0}})

INDUSTRIAL = GuideSpec(
    "工业产品生产许可证",
    {
        "conditions": "有营业执照；有与所生产产品相适应的专业技术人员、生产条件和检验检疫手段、"
                      "技术文件和工艺文件；有健全有效的质量管理制度和责任制度；产品符合有关国家标准、"
                      "行业标准；符合国家产业政策。",
        "service_objects": LEGAL, "statutory_limit": 60, "promised_limit": 20, "scope": "province",
        "review_steps": ["受理", "审查", "审批"],
        "special_procedures": [inspection("产品检验", "按检验机构规定",
                                          "由企业委托有资质的检验机构检验，时间不计入"),
                               inspection("实地核查", "30日", "实行告知承诺的，发证后30日内开展实地核查")],
        "result_type": "license", "result_name": "全国工业产品生产许可证",
        "form_schema": form("工业产品生产许可申请", "company_name", "uscc", "product", "premises", "phone"),
    },
    [application_form("全国工业产品生产许可证申请书", B_INDUSTRIAL),
     changed(BUSINESS_LICENSE, form=COPY),
     material("产品检验报告", source=INTERMEDIARY, notes="由具备资质的检验机构出具，一年以内有效"),
     material("质量管理制度和责任制度文件")],
    {"信阳": {}, "苏州": {"promised_limit": 15}})

# --- 排污许可 -------------------------------------------------------------------------------
PERMIT_URL = "https://permit.mee.gov.cn/"  # 全国排污许可证管理信息平台
PERMIT_COMMON = {
    "service_objects": LEGAL, "scope": "province", "online_url": PERMIT_URL, "result_type": "license",
    "review_steps": ["受理", "技术审查", "审批"],
}
PERMIT_NEW = GuideSpec(
    "排污许可证核发",
    {
        **PERMIT_COMMON,
        "conditions": "依法取得建设项目环境影响报告书（表）批准文件或者已办理环境影响登记表备案；"
                      "污染物排放符合排放标准和重点污染物排放总量控制要求；"
                      "污染防治设施可以达到许可排放浓度要求；自行监测方案符合国家自行监测规范。",
        "statutory_limit": 30,
        "statutory_note": "实行重点管理的30日内、实行简化管理的20日内作出审批决定（《排污许可管理条例》）",
        "promised_limit": 15, "result_name": "排污许可证",
        "special_procedures": [inspection("现场核查", "10个工作日",
                                          "审批部门可以组织技术机构现场核查，时间不计入")],
        "form_schema": form("排污许可申请", "company_name", "uscc", "permit_type", "premises", "phone"),
    },
    [application_form("排污许可证申请表", B_PERMIT),
     material("自行监测方案", basis=B_PERMIT),
     material("环境影响评价审批文件或者环境影响登记表备案材料", source=GOVERNMENT, form=COPY,
              licences=("EIA_APPROVAL",)),
     material("污染防治设施、污染物排放口位置和数量、排放方式等情况说明", basis=B_PERMIT),
     material("排污单位对申请材料真实性、合法性、完整性负责的承诺书", basis=B_PERMIT)],
    {"信阳": {}, "苏州": {"promised_limit": 10}, "嘉兴": {"promised_limit": 10},
     "长治": {"review_steps": ["受理", "技术审查", "审核", "审批"]}})

PERMIT_CHANGE = GuideSpec(
    "排污许可证变更",
    {**PERMIT_COMMON, "conditions": "排污单位名称、住所、法定代表人或者主要负责人等发生变更的，"
                                    "应当自变更之日起30日内申请变更。",
     "statutory_limit": 20, "promised_limit": 10, "result_name": "排污许可证（变更）",
     "form_schema": form("排污许可变更申请", "company_name", "uscc", "certificate_no", "phone")},
    [application_form("排污许可证变更申请表", B_PERMIT),
     material("排污许可证正、副本", source=GOVERNMENT, licences=("POLLUTANT_PERMIT",)),
     material("变更事项的证明材料")],
    {"信阳": {}, "苏州": {"promised_limit": 5}})

PERMIT_RENEW = GuideSpec(
    "排污许可证延续",
    {**PERMIT_COMMON, "conditions": "排污许可证有效期届满需要继续排放污染物的，"
                                    "应当在有效期届满60日前提出延续申请。",
     "statutory_limit": 20, "promised_limit": 10, "result_name": "排污许可证（延续）",
     "form_schema": form("排污许可延续申请", "company_name", "uscc", "certificate_no", "phone")},
    [application_form("排污许可证延续申请表", B_PERMIT),
     material("排污许可证正、副本", source=GOVERNMENT, licences=("POLLUTANT_PERMIT",)),
     material("排污许可证执行报告", notes="最近一年度")],
    {"信阳": {}, "嘉兴": {"promised_limit": 7}})

# --- 公章刻制备案, 发票申领: part of 企业开办 ------------------------------------------------
SEAL = GuideSpec(
    "公章刻制备案",
    {
        **IMMEDIATE,
        "conditions": "已取得营业执照的企业等单位，到公安机关备案的印章刻制企业刻制印章，"
                      "由刻制企业向公安机关备案。",
        "service_objects": LEGAL, "review_steps": ["受理", "备案"], "visits": 0, "scope": "city",
        "result_type": "record", "result_name": "印章备案信息",
        "form_schema": form("印章刻制备案", "company_name", "uscc", "seal_kinds", "phone"),
    },
    [changed(BUSINESS_LICENSE, form=COPY), LEGAL_REP_ID, PROXY_LETTER],
    {"信阳": {}, "苏州": {}, "嘉兴": {}, "长治": {}})

INVOICE = GuideSpec(
    "发票申领",
    {
        **IMMEDIATE,
        "conditions": "已办理税务登记信息确认的纳税人，"
                      "经主管税务机关核定发票票种（数电发票按授信额度开具）。",
        "service_objects": LEGAL, "review_steps": ["受理", "核定"], "visits": 0, "scope": "province",
        "result_type": "other", "result_name": "发票（数电发票授信额度）",
        "form_schema": form("发票领用", "company_name", "uscc", "invoice_kind", "phone"),
    },
    [changed(ID_CARD, name="经办人居民身份证"),
     material("发票专用章印模", necessity=OPTIONAL, notes="领用纸质发票的提供")],
    {"信阳": {}, "苏州": {}, "杨浦": {"promised_note": "电子税务局全程网办，即时开通"}})

# --- 不动产抵押登记 --------------------------------------------------------------------------
ESTATE_COMMON = {
    "service_objects": BOTH_OBJECTS, "statutory_limit": 30, "scope": "city",
    "statutory_note": "自受理登记申请之日起30个工作日内办结（《不动产登记暂行条例》第二十条）",
    "review_steps": ["受理", "审核", "登簿"], "result_type": "license",
}
ESTATE_FEE = {"name": "不动产登记费（抵押权登记）", "standard": "住宅80元/件，非住宅550元/件",
              "basis": "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》"
                       "（发改价格规〔2016〕2559号）",
              "reducible": True, "reduction_basis": "小微企业（含个体工商户）申请不动产登记的免收登记费"}
ESTATE_APPLICANTS = material("申请人身份证明", source=GOVERNMENT, form=COPY,
                             licences=("ID_CARD", "BUSINESS_LICENSE"),
                             notes="自然人提交居民身份证，法人提交营业执照")
MORTGAGE_NEW = GuideSpec(
    "不动产抵押权首次登记",
    {
        **ESTATE_COMMON,
        "conditions": "以依法可以抵押的不动产设定抵押，抵押人与抵押权人订立书面抵押合同的"
                      "（《中华人民共和国民法典》第四百条、第四百零二条）。",
        "promised_limit": 5, "result_name": "不动产登记证明（抵押权）",
        "fee_required": True, "fees": [ESTATE_FEE], "online_payment": True,
        "form_schema": form("不动产抵押登记申请", "name", "id_number", "house_address", "loan_amount",
                            "phone"),
    },
    [application_form("不动产登记申请书", B_ESTATE), ESTATE_APPLICANTS, REAL_ESTATE_CERT,
     material("主债权合同和抵押合同", notes="可以是单独订立的抵押合同，也可以是主债权合同中的抵押条款")],
    {"信阳": {}, "苏州": {"promised_limit": 1, "promised_note": "银行网点“不见面”抵押登记，1个工作日内办结",
                         "modes": ["window", "online"], "visits": 0},
     "嘉兴": {"promised_limit": 1, "visits": 0}})

MORTGAGE_CHANGE = GuideSpec(
    "不动产抵押权变更登记",
    {**ESTATE_COMMON, "conditions": "抵押当事人的姓名或者名称、被担保的债权数额、债务履行期限、"
                                    "抵押权顺位等发生变更的。",
     "promised_limit": 5, "result_name": "不动产登记证明（抵押权变更）",
     "form_schema": form("不动产抵押权变更登记申请", "name", "id_number", "house_address", "loan_amount",
                         "phone")},
    [application_form("不动产登记申请书", B_ESTATE), ESTATE_APPLICANTS,
     material("不动产登记证明（抵押权）", source=GOVERNMENT, licences=("REAL_ESTATE_PROOF",)),
     material("抵押权变更协议")],
    {"信阳": {}, "苏州": {"promised_limit": 1}})

MORTGAGE_CANCEL = GuideSpec(
    "不动产抵押权注销登记",
    {**ESTATE_COMMON, "conditions": "主债权消灭、抵押权已经实现或者抵押权人放弃抵押权的。",
     "promised_limit": 1, "promised_note": "抵押权人与抵押人共同申请的，当日办结", "visits": 0,
     "result_type": "record", "result_name": "抵押权注销登记记载于不动产登记簿",
     "form_schema": form("不动产抵押权注销登记申请", "name", "id_number", "house_address", "phone")},
    [application_form("不动产登记申请书", B_ESTATE), ESTATE_APPLICANTS,
     material("不动产登记证明（抵押权）", source=GOVERNMENT, licences=("REAL_ESTATE_PROOF",)),
     material("抵押权消灭的证明材料", notes="抵押权人出具的同意注销证明或债务清偿证明")],
    {"信阳": {}, "苏州": {}, "嘉兴": {}})

# --- 公证 -----------------------------------------------------------------------------------
NOTARY_COMMON = {
    "statutory_limit": 15, "statutory_note": "自受理之日起15个工作日内出具公证书（《公证程序规则》）",
    "review_steps": ["受理", "审查", "出证"], "scope": "nationwide", "result_type": "license",
    "fee_required": True, "online_payment": True, "visits": 0,
    "fees": [{"name": "公证费", "standard": "按省级价格主管部门核定的公证服务收费标准",
              "basis": "《中华人民共和国公证法》第三十四条",
              "reducible": True, "reduction_basis": "符合法律援助条件的减免"},
             {"name": "翻译费", "standard": "按译文字数收取", "basis": "公证机构服务项目收费公示",
              "reducible": False}],
}
DIPLOMA = GuideSpec(
    "学历公证",
    {**NOTARY_COMMON, "conditions": "当事人持有国家承认的学历、学位证书，需要在境外使用的。",
     "promised_limit": 5, "result_name": "学历公证书（附译文）",
     "form_schema": form("学历公证申请", "name", "id_number", "certificate_no", "translation", "country",
                         "phone")},
    [ID_CARD, material("学历证书或学位证书", source=GOVERNMENT, form=BOTH, licences=("DIPLOMA",)),
     PROXY_LETTER],
    {"信阳": {}, "苏州": {"promised_limit": 3}})

DRIVING = GuideSpec(
    "机动车驾驶证公证",
    {**NOTARY_COMMON, "conditions": "当事人持有有效的中华人民共和国机动车驾驶证，需要在境外使用的。",
     "promised_limit": 5, "result_name": "机动车驾驶证公证书（附译文）",
     "form_schema": form("驾驶证公证申请", "name", "id_number", "certificate_no", "translation", "country",
                         "phone")},
    [ID_CARD, material("机动车驾驶证", source=GOVERNMENT, form=BOTH, licences=("DRIVING_LICENCE",)),
     PROXY_LETTER],
    {"信阳": {"promised_limit": 3}, "苏州": {"promised_limit": 3}})

GUIDES = (COMPANY, PARTNERSHIP, ADDRESS, NAME_CHANGE, SIMPLE_CANCEL, GENERAL_CANCEL,
          FOOD_NEW, FOOD_RENEW, INDUSTRIAL, PERMIT_NEW, PERMIT_CHANGE, PERMIT_RENEW, SEAL, INVOICE,
          MORTGAGE_NEW, MORTGAGE_CHANGE, MORTGAGE_CANCEL, DIPLOMA, DRIVING)
