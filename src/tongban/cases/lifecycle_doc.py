"""The lifecycle table rendered for people: a Mermaid state diagram and the table itself, in Markdown.

``tongban lifecycle_diagram`` writes it to docs/case-lifecycle.md, and a test fails when the committed
file differs from what the code renders, so the docs cannot drift from the table.
"""

from __future__ import annotations

from django.utils import translation

from tongban.cases.choices import Status
from tongban.cases.lifecycle import GUARDS, NEW, TRANSITIONS
from tongban.identity.choices import Role
from tongban.identity.policy import RULES

DOC_PATH = "docs/case-lifecycle.md"


def _status_name(status: str) -> str:
    if status == NEW:
        return "—"
    with translation.override("zh-hans"):
        zh = str(Status(status).label)
    with translation.override("en"):
        en = str(Status(status).label)
    return f"{zh} ({en})" if zh != en else en


def _who(rule_name: str) -> str:
    rule = RULES[rule_name]
    holders = []
    if rule.own:
        holders.append("the applicant (own case)")
    holders += [Role(r).value for r in sorted(rule.roles)]
    if rule_name == "case.system":
        holders = ["the worker (system)"]
    return f"`{rule_name}`: " + ", ".join(holders)


def render() -> str:
    lines = [
        "# Case lifecycle (办件流程)",
        "",
        "Generated from `src/tongban/cases/lifecycle.py` by `tongban lifecycle_diagram`; do not edit by hand.",
        "A test fails when this file and the table disagree.",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    drawn: set[tuple[str, str, str]] = set()
    for row in TRANSITIONS:
        if row.source == row.target:
            continue  # actions that record without moving the case are in the table below
        source = "[*]" if row.source == NEW else row.source
        key = (source, row.target, row.action)
        if key in drawn:
            continue
        drawn.add(key)
        lines.append(f"    {source} --> {row.target}: {row.action}")
    for status in Status:
        if status.value in {"completed", "refused", "withdrawn", "terminated"}:
            lines.append(f"    {status.value} --> [*]")
    lines += ["```", "", "## Statuses", "", "| status | name |", "|---|---|"]
    lines += [f"| `{s.value}` | {_status_name(s.value)} |" for s in Status]
    lines += [
        "",
        "## Transitions",
        "",
        "`who` is a rule of the permission policy (`src/tongban/identity/policy.py`), checked in the case's",
        "region and department; the roles listed hold it there.",
        "",
        "| from | action | to | who | when | what |",
        "|---|---|---|---|---|---|",
    ]
    for row in TRANSITIONS:
        guard = GUARDS[row.guard].explain.en if row.guard else ""
        lines.append(
            f"| `{row.source}` | `{row.action}` | `{row.target}` | {_who(row.who)} | {guard} | "
            f"{row.description.zh} / {row.description.en} |"
        )
    return "\n".join(lines) + "\n"
