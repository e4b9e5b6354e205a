"""What each message type does at the receiving node: ``HANDLERS[type](envelope) -> result``.

A handler runs inside the transaction that records the message in the inbox, so it is applied exactly
once; what it returns goes into the signed receipt. A handler refuses a message by raising DomainError
(the sender gets a 422 with the reason, and may not retry the same message). Features register their
types with ``@handles("case.transfer")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tongban.federation.envelope import Envelope

Handler = Callable[[Envelope], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handles(message_type: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if message_type in HANDLERS:
            raise RuntimeError(f"two handlers for message type {message_type!r}")
        HANDLERS[message_type] = handler
        return handler

    return register


@handles("node.ping")
def ping(envelope: Envelope) -> dict[str, Any]:
    """A liveness and trust check between two nodes (`tongban federation ping NODE`)."""
    return {"pong": True, "note": str(envelope.body.get("note", ""))[:200]}
