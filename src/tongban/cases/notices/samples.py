"""One realistic context per notice kind, for previews, tests and the benchmark.

The values are invented; the shapes are the contract :func:`tongban.cases.notices.render_pdf` expects.
"""

from __future__ import annotations

import copy

_COMMON = {
    "issued_on": "2026-11-22",
    "organ": "信阳市住房公积金管理中心",
    "region_name": "河南省信阳市",
    "case_number": "411500-2026-1120-000457",
    "item_name": "正常退休提取住房公积金",
    "applicant_name": "张秀兰",
    "applicant_id_masked": "4115**********123X",
    "arrived_on": "2026-11-20",
}

_SAMPLES: dict[str, dict] = {
    "acceptance": {
        "accepted_on": "2026-11-22",
        "statutory_deadline": "2026-12-21",
        "promised_deadline": "2026-12-04",
        "materials": [
            {"name": "居民身份证", "form": "原件核验"},
            {"name": "退休证或者退休审批表", "form": "复印件1份"},
            {"name": "本人银行卡（一类账户）", "form": "原件核验"},
            {"name": "住房公积金提取申请书", "form": "电子"},
        ],
        "enquiry_phone": "0376-12329",
    },
    "refusal": {
        "reasons": "申请人尚未达到法定退休年龄，也未办理退休手续，不属于正常退休提取住房公积金的情形。",
        "basis": "《住房公积金管理条例》第二十四条第一款第（二）项",
    },
    "correction": {
        "items": [
            {
                "name": "退休证或者退休审批表",
                "problem": "提交的复印件字迹模糊，无法辨认退休日期",
                "requirement": "提交清晰的复印件1份，并携带原件核验",
            },
            {
                "name": "本人银行卡（一类账户）",
                "problem": "所提交的银行卡为二类账户",
                "requirement": "提供本人名下一类银行结算账户",
            },
        ],
        "deadline": "2026-12-02",
        "note": "补正材料可通过“豫事办”上传，也可送至信阳市政务服务中心三楼公积金窗口。",
    },
    "decision": {
        "outcome": "approve",
        "basis": "《住房公积金管理条例》第二十四条",
        "result_name": "住房公积金提取到账通知",
        "delivery": "电子送达至申请人“豫事办”账户，提取资金转入申请人本人一类银行账户。",
    },
    "tolerance": {
        "items": [
            {
                "name": "婚姻状况证明",
                "problem": "申请时未提交",
                "requirement": "提交民政部门出具的婚姻登记记录证明",
            },
        ],
        "deadline": "2026-12-06",
        "accepted_on": "2026-11-22",
        "consequence": "逾期未补齐容缺材料的，本机关将终止办理，已作出的办理结果依法撤回。",
        "note": "补齐材料可通过“豫事办”上传，也可送至信阳市政务服务中心三楼公积金窗口。",
    },
    "commitment": {
        "conditions": [
            "申请人已达到国家法定退休年龄并办理退休手续",
            "申请人名下住房公积金账户未被冻结或者质押",
            "申请人提供的银行账户为本人名下一类账户",
        ],
        "materials": [{"name": "退休证或者退休审批表"}],
        "liability": "申请人作出不实承诺的，本机关将撤销办理结果、追回已提取资金，并将失信信息记入信用档案。",
        "signer_name": "张秀兰",
        "signed_on": "2026-11-22",
    },
    "lapse": {
        # Accepted with 婚姻状况证明 to follow by 6 December (the tolerance sample); it never came.
        "issued_on": "2026-12-08",
        "accepted_on": "2026-11-22",
        "items": [
            {
                "name": "婚姻状况证明",
                "problem": "未在承诺期限内补齐",
                "requirement": "重新申请时一并提交民政部门出具的婚姻登记记录证明",
            },
        ],
        "deadline": "2026-12-06",
        "reasons": "申请人未在承诺期限内补齐容缺材料，申请材料仍不齐全，不具备继续办理的条件。",
        "basis": "容缺受理的有关规定；申请人于2026年11月22日签署的容缺受理承诺书",
    },
    "revocation": {
        # Approved on 25 November on the applicant's commitment; the 事后核查 in January found it false.
        "issued_on": "2027-01-12",
        "accepted_on": "2026-11-22",
        "decided_on": "2026-11-25",
        "result_name": "住房公积金提取到账通知",
        "result_number": "XYGJJ-TQ-2026-004512",
        "conditions": [
            "申请人已达到国家法定退休年龄并办理退休手续",
            "申请人名下住房公积金账户未被冻结或者质押",
        ],
        "finding": "经与河南省社会保险经办机构共享数据比对，截至2027年1月8日，申请人尚未办理退休手续，"
        "与其承诺的“已达到国家法定退休年龄并办理退休手续”不符。",
        "reasons": "申请人以不实承诺取得住房公积金提取，不符合正常退休提取住房公积金的条件。",
        "basis": "《住房公积金管理条例》第二十四条\n"
        "《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》（国办发〔2020〕42号）",
        "note": "已提取的住房公积金，请自收到本决定书之日起十五日内退回本人住房公积金账户。",
    },
}

_NUMBER_CODES = {
    "acceptance": "SL",
    "refusal": "BY",
    "correction": "BZ",
    "decision": "BJ",
    "tolerance": "RQ",
    "commitment": "CN",
    "lapse": "ZZ",
    "revocation": "CX",
}


def sample_context(kind: str) -> dict:
    """A fresh, complete context for ``kind`` (a deep copy, so callers may change it)."""
    issued_on = _SAMPLES[kind].get("issued_on", _COMMON["issued_on"])
    number = f"411500-{_NUMBER_CODES[kind]}-{issued_on[:4]}-000123"
    return copy.deepcopy(
        {
            "number": number,
            "kind": kind,
            **_COMMON,
            "verify_url": f"https://zwfw.xinyang.gov.cn/v/{number}?c=8F3K2Q",
            **_SAMPLES[kind],
        }
    )
