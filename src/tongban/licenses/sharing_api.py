"""Licence look-up API (全程证通): ``POST /api/v1/license-lookups/`` finds a holder's e-licences here and at
the other nodes, with the holder's consent; each found licence comes with this node's verification.

Use one for a case's material with ``POST /api/v1/cases/{number}/materials/{id}/use-license/``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.cases.models import Case
from tongban.core.errors import NotFound
from tongban.identity.actor import actor_for
from tongban.licenses import sharing


class LookupRequestSerializer(serializers.Serializer):
    holder_code = serializers.CharField(help_text="the holder's resident ID number or USCC")
    type_codes = serializers.ListField(
        child=serializers.CharField(), help_text="licence type codes to look for (a material's license_types)"
    )
    purpose = serializers.CharField(help_text="what the licence is needed for (kept with the look-up)")
    consent = serializers.CharField(help_text="how the holder agreed (授权), e.g. 本人到场签字同意")
    case = serializers.CharField(required=False, help_text="the case number the look-up serves")
    others = serializers.BooleanField(required=False, default=True, help_text="false: ask only this node")


class FoundSerializer(serializers.Serializer):
    node = serializers.CharField(help_text="the node that issued and holds the licence")
    identifier = serializers.CharField(help_text="GB/T 36904 identifier")
    name = serializers.CharField(help_text="licence type name")
    issuer = serializers.CharField(help_text="issuing organ")
    valid_to = serializers.CharField(allow_null=True, help_text="valid until (null: no end)")
    status = serializers.CharField(help_text="valid, suspended, revoked or superseded (as the issuing node says)")
    verification = serializers.DictField(help_text="this node's verification: valid, and each check")
    document = serializers.DictField(help_text="the signed document with its log proof, to pass to use-license")


class LookupAnswerSerializer(serializers.Serializer):
    found = FoundSerializer(many=True, help_text="licences found, this node's first")
    unanswered = serializers.ListField(
        child=serializers.CharField(), help_text="nodes asked that did not answer (down, unreachable, refused)"
    )


class LicenseLookupView(APIView):
    """Find a holder's licences with their consent (every look-up is kept, here and at the node asked)."""

    policy = {"POST": "license.lookup"}

    @extend_schema(
        summary="Find a holder's e-licences here and at the other nodes (with the holder's consent)",
        request=LookupRequestSerializer,
        responses=LookupAnswerSerializer,
    )
    def post(self, request: Request) -> Response:
        data: Any = request.data if hasattr(request.data, "get") else {}
        number = str(data.get("case") or "")
        case = None
        if number:
            case = Case.objects.filter(number=number).first()
            if case is None:
                raise NotFound.single("case", "not_found", "办件不存在", "no such case")
        codes = data.get("type_codes")
        if hasattr(data, "getlist") and not isinstance(data, dict):
            codes = data.getlist("type_codes")
        result = sharing.lookup(
            actor_for(request),
            holder_code=str(data.get("holder_code") or ""),
            type_codes=codes,
            purpose=str(data.get("purpose") or ""),
            consent=str(data.get("consent") or ""),
            case=case,
            ask_others=str(data.get("others", "true")).lower() not in ("0", "false", "no"),
        )
        return Response({"found": [f.as_dict() for f in result.found], "unanswered": result.unanswered})
