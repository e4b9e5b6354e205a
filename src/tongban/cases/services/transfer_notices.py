"""The deciding node's notices (文书) for the applicant at the window that received the case (异地代收代办).

A change of a case at the deciding node that issues a notice (受理通知书, 不予受理, 一次性告知补正, 办结 …)
sends it back with the ``case.status`` message of that change: its kind, number, what it says (the
context it was rendered from, which holds the link its QR code prints) and when it was issued. The
receiving node keeps a copy on its case — same number, same content, marked with the issuing node — and
renders it with its own worker, so the window prints it for the applicant standing there.

The copy's QR code leads where the original's does: the issuing node's check page (核验), which answers for
the notice it issued. Rendered from the same context by the same software, the copy is the same PDF, byte
for byte, so a copy uploaded there matches too. The receiving node's own check page does not vouch for
another node's notice: the copy gets a token of its own, printed nowhere.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tongban.cases.choices import NoticeKind
from tongban.cases.models import Case, Notice
from tongban.core.errors import DomainError
from tongban.federation import services as federation
from tongban.federation.envelope import Envelope
from tongban.federation.models import OutboxMessage

# The case.status message a command queued, kept on the case object that command locked (each command
# locks its own), so that a notice the same command issues after the change joins that message.
_QUEUED_STATUS = "_transfer_status_message"


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


# --- at the deciding node -----------------------------------------------------------------------------


def unsent(case: Case) -> list[Notice]:
    """Notices of the case not yet sent: those issued before the change's message (a 容缺 notice at
    acceptance) or on no change of status (a 告知承诺书 signed there) go with the next message."""
    return list(case.notices.filter(node="", sent_in="").order_by("created_at", "id"))


def body(notice: Notice) -> dict[str, Any]:
    """A notice as the receiving node needs it to print the same one."""
    return {
        "kind": notice.kind,
        "number": notice.number,
        "context": notice.context,
        "verify_url": str(notice.context.get("verify_url", "")),
        "issued_at": (notice.created_at or timezone.now()).isoformat(),
    }


def sent_with(case: Case, message: OutboxMessage, notices: list[Notice]) -> None:
    """Record which message carries these notices, and keep it at hand for the notices still to come."""
    Notice.objects.filter(pk__in=[n.pk for n in notices]).update(sent_in=message.pk)
    setattr(case, _QUEUED_STATUS, message)


def notice_issued(case: Case, notice: Notice) -> None:
    """A notice issued here on a case another node's window received: it joins the status message of the
    change that produced it, when the same command queued one; otherwise it goes with the next one."""
    message: OutboxMessage | None = getattr(case, _QUEUED_STATUS, None)
    if message is None:
        return
    # The message was written in this transaction and no worker sees it before the commit: completing it
    # now is still composing it.
    federation.add_to_queued(message, "notices", [body(notice)])
    notice.sent_in = message.pk
    notice.save(update_fields=["sent_in"])


# --- at the receiving node ----------------------------------------------------------------------------


def _checked(item: Any, field: str) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(item, dict):
        raise _fail(field, "not_object", "文书应为对象", "a notice is given as an object")
    kind = str(item.get("kind", ""))
    if kind not in NoticeKind.values:
        raise _fail(f"{field}.kind", "unknown", f"未知的文书种类“{kind}”", f"unknown kind of notice '{kind}'")
    number = str(item.get("number", "")).strip()
    if not number or len(number) > 40:
        raise _fail(
            f"{field}.number", "invalid", "文书编号应为1至40个字符", "a notice number has 1 to 40 characters"
        )
    context = item.get("context")
    if not isinstance(context, dict):
        raise _fail(
            f"{field}.context", "not_object", "文书内容应为对象", "a notice's content is given as an object"
        )
    return kind, number, context


def keep_copies(envelope: Envelope, case: Case, sent: Any) -> list[Notice]:
    """Copies of the notices the deciding node issued with this change; a message of an earlier version
    carries none. Each is rendered by this node's worker once the message is applied."""
    if not sent:
        return []
    if not isinstance(sent, list):
        raise _fail("notices", "not_list", "文书应为列表", "the notices are given as a list")
    from tongban.cases.tasks import render_notice

    kept = []
    for i, item in enumerate(sent):
        kind, number, context = _checked(item, f"notices[{i}]")
        same = Notice.objects.filter(node=envelope.sender, number=number).first()
        if same is not None:
            if same.case_id != case.pk:
                raise _fail(
                    f"notices[{i}].number",
                    "duplicate",
                    f"节点“{envelope.sender}”的文书“{number}”已属于另一办件",
                    f"notice {number} of node {envelope.sender} belongs to another case here",
                )
            continue  # carried again: kept once
        if not context.get("verify_url") and item.get("verify_url"):
            context["verify_url"] = str(item["verify_url"])
        notice = Notice.objects.create(
            case=case, kind=kind, number=number, token=secrets.token_urlsafe(32), context=context, node=envelope.sender
        )
        issued = parse_datetime(str(item.get("issued_at", "")))
        if issued is not None:  # listed among the case's notices when it was issued, not when it arrived
            Notice.objects.filter(pk=notice.pk).update(created_at=issued)
        transaction.on_commit(lambda pk=notice.pk: render_notice.enqueue(pk))
        kept.append(notice)
    return kept
