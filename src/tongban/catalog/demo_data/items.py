"""Service items (政务服务事项) of the national 跨省通办 list (国办发〔2020〕35号) and their neighbours.

Basic codes are invented in the shape of real ones: ``000`` + a three-digit code of the national
department + a three-digit item number + three digits for the sub-item. Handling items (业务办理项)
carry their parent's code and a sequence number. 四级四同: name, code, basis and type are the same in
every region, which is why they live here and not in the regional guides.
"""

from __future__ import annotations

from dataclasses import dataclass

from tongban.catalog import choices as c
from tongban.catalog.demo_data import common as b

LICENSING = c.ItemType.LICENSING
BENEFIT = c.ItemType.BENEFIT
CONFIRMATION = c.ItemType.CONFIRMATION
OTHER = c.ItemType.OTHER_POWER
PUBLIC = c.ItemType.PUBLIC_SERVICE
FILING = c.ItemType.FILING

ALL_LEVELS = ("national", "provincial", "city", "county")
LOCAL = ("city", "county")
CITY = ("city",)


@dataclass(frozen=True)
class ItemSpec:
    code: str                  # basic code, or handling item code for handling items
    name: str
    item_type: str
    role: str                  # the kind of department that implements it (see places.py)
    legal_basis: str
    levels: tuple[str, ...] = LOCAL
    aliases: tuple[str, ...] = ()
    kind: str = c.ItemKind.MAIN
    parent: str | None = None  # the parent's code
    handling_kind: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def implementation_suffix(self) -> str:
        """The 13 characters after the organ's USCC in an implementation code: the national code
        (a handling item's parent code) and a digit for the handling item, 0 for the item itself."""
        if self.kind == c.ItemKind.HANDLING:
            parent, _, seq = self.code.partition("-")
            return parent + seq[-1]
        return self.code + "0"


def main(code: str, name: str, item_type: str, role: str, basis: str, levels: tuple[str, ...] = LOCAL, *,
         aliases: tuple[str, ...] = (), keywords: tuple[str, ...] = ()) -> ItemSpec:
    return ItemSpec(code, name, item_type, role, basis, levels, aliases, keywords=keywords)


def sub(code: str, name: str, parent: str, item_type: str, role: str, basis: str, *,
        aliases: tuple[str, ...] = (), keywords: tuple[str, ...] = ()) -> ItemSpec:
    return ItemSpec(code, name, item_type, role, basis, aliases=aliases, kind=c.ItemKind.SUB, parent=parent,
                    keywords=keywords)


def handling(code: str, name: str, parent: str, handling_kind: str, item_type: str, role: str, basis: str, *,
             aliases: tuple[str, ...] = ()) -> ItemSpec:
    return ItemSpec(code, name, item_type, role, basis, aliases=aliases, kind=c.ItemKind.HANDLING,
                    parent=parent, handling_kind=handling_kind)


NEW, CHANGE, RENEW, CANCEL = (c.HandlingKind.NEW, c.HandlingKind.CHANGE, c.HandlingKind.RENEW,
                              c.HandlingKind.CANCEL)
LICENCE_WORDS = ("营业执照", "开公司", "企业开办")
COMPANY_BASIS = b.B_MARKET + "；" + b.B_MARKET_RULES
PARTNERSHIP_BASIS = b.B_PARTNERSHIP + "；" + b.B_MARKET
HUKOU_MOVE = b.B_HUKOU + "第十条"
HUKOU_JOIN = HUKOU_MOVE + "；" + b.B_HUKOU_REFORM

# Parents come before their children: the loader creates them in this order.
ITEMS: tuple[ItemSpec, ...] = (
    # 市场监管 ---------------------------------------------------------------------------------
    main("000139001000", "市场主体登记注册", LICENSING, "samr", b.B_MARKET, ALL_LEVELS,
         aliases=("工商注册", "营业执照", "市场主体登记")),
    sub("000139001001", "内资企业及分支机构设立登记", "000139001000", LICENSING, "samr", COMPANY_BASIS,
        aliases=(*LICENCE_WORDS, "公司注册", "分公司设立")),
    sub("000139001002", "合伙企业设立登记", "000139001000", LICENSING, "samr", PARTNERSHIP_BASIS,
        aliases=("营业执照", "合伙企业注册")),
    sub("000139001003", "企业变更登记", "000139001000", LICENSING, "samr", b.B_MARKET,
        aliases=("营业执照变更",)),
    handling("000139001003-001", "企业住所变更登记", "000139001003", CHANGE, LICENSING, "samr", b.B_MARKET,
             aliases=("地址变更", "迁址", "营业执照变更")),
    handling("000139001003-002", "企业名称变更登记", "000139001003", CHANGE, LICENSING, "samr", b.B_MARKET,
             aliases=("公司改名", "营业执照变更")),
    sub("000139001004", "企业注销登记", "000139001000", LICENSING, "samr", b.B_MARKET,
        aliases=("公司注销",)),
    handling("000139001004-001", "企业简易注销登记", "000139001004", CANCEL, LICENSING, "samr", b.B_MARKET,
             aliases=("简易注销", "公司注销")),
    handling("000139001004-002", "企业一般注销登记", "000139001004", CANCEL, LICENSING, "samr", b.B_MARKET,
             aliases=("公司注销",)),
    main("000139002000", "食品经营许可", LICENSING, "samr", b.B_FOOD,
         aliases=("食品经营许可证", "餐饮许可证", "开饭店", "开餐馆")),
    handling("000139002000-001", "食品经营许可（新办）", "000139002000", NEW, LICENSING, "samr", b.B_FOOD,
             aliases=("餐饮许可证", "食品经营许可证")),
    handling("000139002000-002", "食品经营许可（延续）", "000139002000", RENEW, LICENSING, "samr", b.B_FOOD,
             aliases=("食品经营许可证延续",)),
    main("000139003000", "工业产品生产许可证", LICENSING, "samr", b.B_INDUSTRIAL,
         ("national", "provincial", "city"), aliases=("生产许可证", "工业产品许可")),
    # 公安 -------------------------------------------------------------------------------------
    main("000104001000", "户口迁移", CONFIRMATION, "police", HUKOU_JOIN,
         aliases=("户口", "迁户口", "落户", "户口迁入")),
    sub("000104001001", "工作调动户口迁移", "000104001000", CONFIRMATION, "police", HUKOU_MOVE,
        aliases=("调动落户", "户口迁移")),
    sub("000104001002", "大中专院校录取学生户口迁移", "000104001000", CONFIRMATION, "police", HUKOU_MOVE,
        aliases=("学生户口迁移", "入学迁户口")),
    sub("000104001003", "大中专院校毕业生户口迁移", "000104001000", CONFIRMATION, "police", HUKOU_MOVE,
        aliases=("毕业生落户", "毕业迁户口")),
    sub("000104001004", "夫妻投靠户口迁移", "000104001000", CONFIRMATION, "police", HUKOU_JOIN,
        aliases=("夫妻投靠", "投靠落户")),
    sub("000104001005", "父母投靠子女户口迁移", "000104001000", CONFIRMATION, "police", HUKOU_JOIN,
        aliases=("老人投靠", "投靠子女")),
    main("000104002000", "开具户籍类证明", PUBLIC, "police", b.B_HUKOU,
         aliases=("户籍证明", "户口证明")),
    main("000104003000", "无犯罪记录证明", PUBLIC, "police", b.B_CRIMINAL,
         aliases=("无犯罪证明", "犯罪记录查询")),
    main("000104004000", "新生儿入户", CONFIRMATION, "police", b.B_HUKOU + "第七条",
         aliases=("出生登记", "新生儿落户", "上户口", "报户口"), keywords=("出生一件事",)),
    main("000104005000", "首次申领居民身份证", CONFIRMATION, "police", b.B_ID_LAW + "第二条、第八条",
         aliases=("身份证", "办身份证")),
    main("000104006000", "公章刻制备案", FILING, "police", b.B_SEAL,
         aliases=("刻章", "公章备案", "印章刻制"), keywords=("企业开办",)),
    main("000156001000", "普通护照签发", LICENSING, "police", b.B_PASSPORT,
         aliases=("护照", "办护照", "出国护照")),
    # 民政 -------------------------------------------------------------------------------------
    main("000107001000", "婚姻登记", CONFIRMATION, "civil", b.B_MARRIAGE, ("provincial", "city", "county"),
         aliases=("结婚", "领证")),
    sub("000107001001", "内地居民结婚登记", "000107001000", CONFIRMATION, "civil", b.B_MARRIAGE,
        aliases=("结婚登记", "结婚证", "领结婚证")),
    sub("000107001002", "内地居民离婚登记", "000107001000", CONFIRMATION, "civil", b.B_DIVORCE,
        aliases=("离婚登记", "离婚")),
    # 人社 -------------------------------------------------------------------------------------
    main("000111001000", "企业职工基本养老保险关系转移接续", PUBLIC, "hrss", b.B_PENSION_TRANSFER,
         aliases=("养老保险转移", "社保转移", "养老关系转移")),
    main("000111002000", "城乡居民基本养老保险关系转移接续", PUBLIC, "hrss", b.B_RURAL_PENSION,
         aliases=("居民养老保险转移", "城乡居民养老转移")),
    main("000111003000", "失业登记", PUBLIC, "hrss", b.B_UNEMPLOYMENT,
         aliases=("就业失业登记", "失业证")),
    main("000111004000", "职业资格证书核验", PUBLIC, "hrss", b.B_QUALIFICATION,
         aliases=("证书核验", "职业资格查询")),
    main("000111005000", "社会保障卡申领", PUBLIC, "hrss", b.B_SS_CARD,
         aliases=("社保卡", "办社保卡", "社保卡申领"), keywords=("出生一件事",)),
    main("000111006000", "单位社会保险登记", PUBLIC, "hrss", b.B_SS_REGISTER,
         aliases=("社保登记", "社保开户"), keywords=("企业开办",)),
    main("000111007000", "企业职工基本养老保险待遇申领", BENEFIT, "hrss", b.B_PENSION,
         aliases=("退休", "退休申报", "领养老金"), keywords=("退休一件事",)),
    # 医保 -------------------------------------------------------------------------------------
    main("000147001000", "基本医疗保险参保登记", PUBLIC, "medical", b.B_MEDICAL,
         aliases=("医保参保", "医保登记")),
    sub("000147001001", "城乡居民基本医疗保险参保登记", "000147001000", PUBLIC, "medical", b.B_MEDICAL,
        aliases=("居民医保", "新生儿医保", "医保参保"), keywords=("出生一件事",)),
    sub("000147001002", "职工基本医疗保险参保登记", "000147001000", PUBLIC, "medical", b.B_MEDICAL,
        aliases=("职工医保", "医保参保")),
    main("000147002000", "异地就医登记备案", PUBLIC, "medical", b.B_CROSS_MEDICAL,
         aliases=("就医备案", "异地就医", "医保备案", "就医结算备案")),
    main("000147003000", "门诊费用跨省直接结算", PUBLIC, "medical", b.B_CROSS_MEDICAL,
         aliases=("门诊结算", "异地门诊", "跨省门诊")),
    # 住房公积金 -------------------------------------------------------------------------------
    main("000114001000", "住房公积金提取", PUBLIC, "fund", b.B_FUND_WITHDRAW, CITY,
         aliases=("公积金提取", "取公积金")),
    sub("000114001001", "正常退休提取住房公积金", "000114001000", PUBLIC, "fund", b.B_FUND_WITHDRAW,
        aliases=("退休提取公积金", "公积金退休提取"), keywords=("退休一件事",)),
    sub("000114001002", "购房提取住房公积金", "000114001000", PUBLIC, "fund", b.B_FUND_WITHDRAW,
        aliases=("买房提取公积金", "公积金购房提取")),
    main("000114002000", "住房公积金单位登记开户", PUBLIC, "fund", b.B_FUND_ACCOUNT, CITY,
         aliases=("公积金开户", "单位公积金登记"), keywords=("企业开办",)),
    main("000114003000", "住房公积金异地转移接续", PUBLIC, "fund", b.B_FUND, CITY,
         aliases=("公积金转移", "公积金异地转移")),
    # 卫生健康 ---------------------------------------------------------------------------------
    main("000122001000", "出生医学证明签发", PUBLIC, "health", b.B_BIRTH,
         aliases=("出生证", "出生证明"), keywords=("出生一件事",)),
    # 生态环境 ---------------------------------------------------------------------------------
    main("000113001000", "排污许可", LICENSING, "eco", b.B_PERMIT, ("provincial", "city"),
         aliases=("排污许可证", "排污证")),
    handling("000113001000-001", "排污许可证核发", "000113001000", NEW, LICENSING, "eco", b.B_PERMIT,
             aliases=("排污许可证申领",)),
    handling("000113001000-002", "排污许可证变更", "000113001000", CHANGE, LICENSING, "eco", b.B_PERMIT),
    handling("000113001000-003", "排污许可证延续", "000113001000", RENEW, LICENSING, "eco", b.B_PERMIT),
    # 公证 -------------------------------------------------------------------------------------
    main("000108001000", "学历公证", PUBLIC, "notary", b.B_NOTARY,
         aliases=("毕业证公证", "学位公证")),
    main("000108002000", "机动车驾驶证公证", PUBLIC, "notary", b.B_NOTARY,
         aliases=("驾照公证", "驾驶证公证")),
    # 不动产登记 -------------------------------------------------------------------------------
    main("000112001000", "不动产抵押登记", CONFIRMATION, "estate", b.B_ESTATE,
         aliases=("抵押登记", "房屋抵押")),
    handling("000112001000-001", "不动产抵押权首次登记", "000112001000", NEW, CONFIRMATION, "estate",
             b.B_ESTATE, aliases=("抵押登记", "房屋抵押")),
    handling("000112001000-002", "不动产抵押权变更登记", "000112001000", CHANGE, CONFIRMATION, "estate",
             b.B_ESTATE),
    handling("000112001000-003", "不动产抵押权注销登记", "000112001000", CANCEL, CONFIRMATION, "estate",
             b.B_ESTATE, aliases=("解押", "抵押注销")),
    # 税务 -------------------------------------------------------------------------------------
    main("000136001000", "发票申领", OTHER, "tax", b.B_INVOICE,
         aliases=("领发票", "发票领用", "申领发票"), keywords=("企业开办",)),
)

BY_CODE: dict[str, ItemSpec] = {i.code: i for i in ITEMS}
BY_NAME: dict[str, ItemSpec] = {i.name: i for i in ITEMS}
PARENTS: set[str] = {i.parent for i in ITEMS if i.parent}
LEAVES: tuple[ItemSpec, ...] = tuple(i for i in ITEMS if i.code not in PARENTS)


def code_of(name: str) -> str:
    """An item's code by its name, so the tables below read in words."""
    return BY_NAME[name].code
