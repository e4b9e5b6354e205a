"""The node operator's message log (报文日志) under /federation/log/: what this node sent (waiting,
delivered, dead letters), what it received and applied, and what it refused and why; one message with
the signed receipt kept as proof; and the retry (重新投递) of a dead letter.

The pages read; the one change they make, the retry, goes through ``services.retry``. Lists never show
a message's body: bodies can hold applicants' personal data. The page of one message shows its body
when the operator asks for it, and records that look-up (个人信息查阅记录) as every look-up of someone's
personal data is recorded.

Who may: the rule ``federation.operate`` (the node operator), as in the API of the same log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tongban.cases.pages.common import Errors, errors_from, role_needed, safe_next
from tongban.core.errors import DomainError
from tongban.federation import services
from tongban.federation.models import InboxMessage, OutboxMessage, OutboxState, RefusedMessage
from tongban.identity import services as identity
from tongban.identity.actor import Actor, actor_for
from tongban.identity.policy import may, visible
from tongban.web.views import not_found

OPERATE = "federation.operate"
PAGE_SIZE = 50
BOXES = ("sent", "received", "refused")
# A case.file body carries a file in base64: a page of megabytes helps nobody. Longer texts are cut here;
# the API returns the message whole.
LONG_TEXT = 500
BODY_REASON = "节点运维查看报文内容 / a node operator reading a message's content"
SHOWN_FIELDS = ["body", "receipt.result"]
HIDDEN = "…"
# What a search may hold, by the name of its field in the form.
SEARCH_FIELDS = ("id", "stream", "type", "node", "code")


# --- the language ---------------------------------------------------------------------------------


def _chosen_language(request: HttpRequest) -> str:
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        return translation.get_supported_language_variant(code) if code else settings.LANGUAGE_CODE
    except LookupError:
        return settings.LANGUAGE_CODE


def in_chosen_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render in the language chosen with the switcher.

    These pages sit beside the federation endpoint, outside the language-prefixed addresses, where
    LocaleMiddleware gives every request the default language. The switcher also sets the language
    cookie: it decides here (the browser's Accept-Language does not, so Chinese stays the default).
    """

    @wraps(view)
    def in_language(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = _chosen_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        patch_vary_headers(response, ("Cookie",))
        return response

    return in_language


# --- the search ---------------------------------------------------------------------------------------


@dataclass
class Search:
    """What the operator looks for: one box (sent, received, refused), a state of the sent ones, and the
    search fields, each stripped; ``errors`` for values the page cannot search by."""

    box: str = "sent"
    state: str = ""
    terms: dict[str, str] = field(default_factory=dict)
    errors: Errors = field(default_factory=Errors)

    def query(self, **changes: str) -> str:
        """The address's query for this search (and these changes), without the page number."""
        values = {"box": self.box, "state": self.state, **self.terms, **changes}
        return urlencode({k: v for k, v in values.items() if v})


def read_search(params: Any) -> Search:
    search = Search()
    box = str(params.get("box", "") or "sent").strip()
    if box in BOXES:
        search.box = box
    else:
        search.errors.add("box", _("Choose sent, received or refused messages."))
    state = str(params.get("state", "") or "").strip()
    if state and search.box == "sent":
        if state in OutboxState.values:
            search.state = state
        else:
            search.errors.add("state", _("The state is pending, delivered or dead."))
    search.terms = {name: str(params.get(name, "") or "").strip() for name in SEARCH_FIELDS}
    search.terms = {name: value for name, value in search.terms.items() if value}
    return search


def sent_messages(actor: Actor, search: Search) -> QuerySet[OutboxMessage]:
    """The outbox, newest first, as the search narrows it. Bodies and receipts stay in the database."""
    qs = visible(actor, OPERATE, OutboxMessage.objects.defer("body", "receipt"))
    terms = search.terms
    if search.state:
        qs = qs.filter(state=search.state)
    if "id" in terms:
        qs = qs.filter(id__startswith=terms["id"].lower())
    if "stream" in terms:
        qs = qs.filter(stream=terms["stream"])
    if "type" in terms:
        qs = qs.filter(type__startswith=terms["type"])
    if "node" in terms:
        qs = qs.filter(receiver=terms["node"])
    return qs.order_by("-created_at", "-id")


def received_messages(actor: Actor, search: Search) -> QuerySet[InboxMessage]:
    """The inbox, newest first. An envelope names no stream; the messages of a case name it in their body
    ("number"), so the stream case:NUMBER finds them; other streams exist only for sent messages."""
    qs = visible(actor, OPERATE, InboxMessage.objects.defer("envelope", "receipt"))
    terms = search.terms
    if "id" in terms:
        qs = qs.filter(id__startswith=terms["id"].lower())
    if "stream" in terms:
        kind, _colon, key = terms["stream"].partition(":")
        qs = qs.filter(type__startswith="case.", envelope__body__number=key) if kind == "case" and key else qs.none()
    if "type" in terms:
        qs = qs.filter(type__startswith=terms["type"])
    if "node" in terms:
        qs = qs.filter(sender=terms["node"])
    return qs.order_by("-received_at", "-id")


def refused_messages(actor: Actor, search: Search) -> QuerySet[RefusedMessage]:
    """The refusals, newest first. The excerpt (the start of what came) is left to the API and the admin."""
    qs = visible(actor, OPERATE, RefusedMessage.objects.defer("excerpt"))
    terms = search.terms
    if "id" in terms:
        # The id a refused message claimed is whatever came, in any case.
        qs = qs.filter(message_id__istartswith=terms["id"])
    if "node" in terms:
        qs = qs.filter(sender=terms["node"])
    if "code" in terms:
        qs = qs.filter(code=terms["code"])
    return qs.order_by("-at", "-id")


def dead_letters(actor: Actor) -> int:
    return visible(actor, OPERATE, OutboxMessage.objects.filter(state=OutboxState.DEAD)).count()


# --- showing a message ----------------------------------------------------------------------------


def labels(model: type[models.Model], *names: str) -> dict[str, str]:
    """Column and field labels from the model's own names, so the page and the admin say the same."""
    return {name: capfirst(str(model._meta.get_field(name).verbose_name)) for name in names}


def pretty(value: Any) -> tuple[str, bool]:
    """Indented JSON for reading, and whether a long text was cut short."""
    cut = False

    def shorten(item: Any) -> Any:
        nonlocal cut
        if isinstance(item, str) and len(item) > LONG_TEXT:
            cut = True
            return item[:LONG_TEXT] + "…"
        if isinstance(item, dict):
            return {key: shorten(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [shorten(inner) for inner in item]
        return item

    return json.dumps(shorten(value), ensure_ascii=False, indent=2), cut


def revealed_body(request: HttpRequest, actor: Actor, message: models.Model, body: Any) -> dict[str, Any] | None:
    """The body, when the operator asked to see it (``?show=body``), after recording the look-up."""
    if request.GET.get("show") != "body":
        return None
    identity.log_personal_data_access(actor, record=message, fields=SHOWN_FIELDS, reason=BODY_REASON)
    text, cut = pretty(body)
    return {"text": text, "cut": cut}


def receipt_text(receipt: Any, revealed: bool) -> tuple[str, bool]:
    """The receipt as JSON, and whether its result was left out.

    The result is what the receiver's handler answered, and the answer to a question (查询) can be
    someone's personal data: it is shown with the body or not at all. The rest (ids, digest, outcome,
    signature) is the proof, and names no one."""
    if not receipt:
        return "", False
    body = receipt.get("body") if isinstance(receipt, dict) else None
    if revealed or not isinstance(body, dict) or not body.get("result"):
        return pretty(receipt)[0], False
    return pretty({**receipt, "body": {**body, "result": HIDDEN}})[0], True


def search_labels(box: str) -> dict[str, str]:
    """The search fields' labels for a box: "node" is the receiver, the sender, or the claimed sender."""
    if box == "refused":
        found = labels(RefusedMessage, "message_id", "sender", "code")
        return {"id": found["message_id"], "node": found["sender"], "code": found["code"]}
    model, node = (OutboxMessage, "receiver") if box == "sent" else (InboxMessage, "sender")
    found = labels(model, "id", "type", node)
    stream = labels(OutboxMessage, "stream")["stream"]
    return {"id": found["id"], "type": found["type"], "node": found[node], "stream": stream}


def outcome_heading() -> str:
    # Not the model's "outcome": that msgid is a case's decision (决定结果), which an inbox row is not.
    return _("Outcome")


def _outcome_label(outcome: str) -> str:
    return _("applied, receipt answered") if outcome == "applied" else outcome


# --- the pages --------------------------------------------------------------------------------------


def _page(request: HttpRequest, qs: QuerySet) -> Page:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def render_log(request: HttpRequest, actor: Actor, search: Search, errors: Errors | None = None) -> HttpResponse:
    """The log page for this search; ``errors`` are a refused retry's, shown above it (nothing changed)."""
    lists = {"sent": sent_messages, "received": received_messages, "refused": refused_messages}
    page = _page(request, lists[search.box](actor, search))
    rows = list(page)
    if search.box == "received":
        rows = [(row, _outcome_label(row.outcome)) for row in rows]
    status = errors.status if errors else (search.errors.status if search.errors else 200)
    context = {
        "search": search,
        "values": search.terms,
        "page": page,
        "rows": rows,
        "extra": search.query(),
        "tabs": [
            ("sent", _("Sent messages"), reverse("federation:log") + "?box=sent"),
            ("received", _("Received messages"), reverse("federation:log") + "?box=received"),
            ("refused", _("Refused messages"), reverse("federation:log") + "?box=refused"),
        ],
        "states": [("", _("All sent messages")), *((s.value, capfirst(str(s.label))) for s in OutboxState)],
        "state_urls": {s: f"{reverse('federation:log')}?{search.query(state=s)}" for s in ("", *OutboxState.values)},
        "dead": dead_letters(actor),
        "dead_url": f"{reverse('federation:log')}?{urlencode({'box': 'sent', 'state': OutboxState.DEAD})}",
        "page_errors": errors or search.errors or None,
        # Where a retry comes back to: this list, also when a refused retry drew it (its address is the retry's).
        "here": f"{reverse('federation:log')}?{search.query(page=str(page.number) if page.number > 1 else '')}",
        "sent_labels": labels(OutboxMessage, "id", "receiver", "type", "stream", "state", "attempts", "last_error"),
        "received_labels": {**labels(InboxMessage, "id", "sender", "type"), "outcome": outcome_heading()},
        "refused_labels": labels(RefusedMessage, "code", "reason", "sender", "message_id", "remote_addr"),
        "search_labels": search_labels(search.box),
    }
    return render(request, "federation/log.html", context, status=status)


@in_chosen_language
@login_required
@require_safe
def log(request: HttpRequest) -> HttpResponse:
    """/federation/log/: one box of the log, searched, newest first, dead letters counted at the top."""
    actor = actor_for(request)
    decision = may(actor, OPERATE)
    if not decision:
        return role_needed(request, actor, decision.reason)
    return render_log(request, actor, read_search(request.GET))


def _operators_message(request: HttpRequest, model: type[Any], message_id: str) -> tuple[Actor, Any] | HttpResponse:
    """The operator and the message of ``model`` the page is about; or the page that says why not."""
    actor = actor_for(request)
    decision = may(actor, OPERATE)
    if not decision:
        return role_needed(request, actor, decision.reason)
    message = visible(actor, OPERATE, model.objects.all()).filter(pk=message_id).first()
    if message is None:
        return not_found(request, _("There is no message with this id in this node's log."))
    return actor, message


@in_chosen_language
@login_required
@require_safe
def sent(request: HttpRequest, message_id: str) -> HttpResponse:
    """One message of the outbox: where it stands, its last error, the receipt kept; its body on request."""
    found = _operators_message(request, OutboxMessage, message_id)
    if isinstance(found, HttpResponse):
        return found
    actor, message = found
    body = revealed_body(request, actor, message, message.body)
    receipt, result_hidden = receipt_text(message.receipt, body is not None)
    context = {
        "message": message,
        "labels": labels(
            OutboxMessage,
            "id",
            "receiver",
            "type",
            "stream",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "delivered_at",
            "body",
            "receipt",
        ),
        "body": body,
        "receipt": receipt,
        "result_hidden": result_hidden,
        "dead": message.state == OutboxState.DEAD,
        "back": f"{reverse('federation:log')}?{urlencode({'box': 'sent'})}",
    }
    return render(request, "federation/sent.html", context)


@in_chosen_language
@login_required
@require_safe
def received(request: HttpRequest, message_id: str) -> HttpResponse:
    """One message of the inbox: its signed envelope's header, the receipt answered; its body on request."""
    found = _operators_message(request, InboxMessage, message_id)
    if isinstance(found, HttpResponse):
        return found
    actor, message = found
    envelope = message.envelope if isinstance(message.envelope, dict) else {}
    body = revealed_body(request, actor, message, envelope.get("body", {}))
    receipt, result_hidden = receipt_text(message.receipt, body is not None)
    context = {
        "message": message,
        "labels": {
            **labels(InboxMessage, "id", "sender", "type", "received_at", "envelope", "receipt"),
            **labels(OutboxMessage, "body"),
            "outcome": outcome_heading(),
        },
        "outcome": _outcome_label(message.outcome),
        "header": pretty(envelope.get("header", {}))[0],
        "signature": str(envelope.get("signature", "")),
        "body": body,
        "receipt": receipt,
        "result_hidden": result_hidden,
        "back": f"{reverse('federation:log')}?{urlencode({'box': 'received'})}",
    }
    return render(request, "federation/received.html", context)


@in_chosen_language
@login_required
@require_POST
def retry(request: HttpRequest, message_id: str) -> HttpResponse:
    """重新投递: a dead letter goes back to the queue (``services.retry``), then the page it was sent from.

    A refusal (not a dead letter any more, no such message) is answered with the command's status and
    the log narrowed to that message, so the operator sees why and the message's state now."""
    actor = actor_for(request)
    decision = may(actor, OPERATE)
    if not decision:
        return role_needed(request, actor, decision.reason)
    try:
        message = services.retry(actor, message_id)
    except DomainError as exc:
        return render_log(request, actor, read_search({"box": "sent", "id": message_id}), errors_from(exc, set()))
    messages.success(request, _("Message %(id)s will be delivered again.") % {"id": message.pk})
    fallback = f"{reverse('federation:log')}?{urlencode({'box': 'sent', 'id': message.pk})}"
    return HttpResponseRedirect(safe_next(request, fallback))
