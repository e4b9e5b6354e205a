"""The fixed vocabularies of identity: document types, staff roles, kinds of authorisation evidence."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdType(models.TextChoices):
    """证件类型: the identity documents a natural person may register with."""

    RESIDENT_ID = "resident_id", _("resident identity card")
    PASSPORT = "passport", _("passport")
    HK_MACAO_PERMIT = "hk_macao_permit", _("mainland travel permit for Hong Kong and Macao residents")
    TAIWAN_PERMIT = "taiwan_permit", _("mainland travel permit for Taiwan residents")
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident", _("foreign permanent resident ID card")


# Holders of these documents are Chinese citizens, so their nationality is always CHN.
CHINESE_ONLY = frozenset({IdType.RESIDENT_ID, IdType.HK_MACAO_PERMIT, IdType.TAIWAN_PERMIT})


class Role(models.TextChoices):
    """岗位角色: what a staff member may do, always within a region (and maybe a department)."""

    WINDOW_CLERK = "window_clerk", _("window clerk")
    REVIEWER = "reviewer", _("reviewer")
    DEPARTMENT_HEAD = "department_head", _("department head")
    SUPERVISOR = "supervisor", _("supervisor")
    CATALOG_ADMIN = "catalog_admin", _("catalog administrator")
    HOTLINE_OPERATOR = "hotline_operator", _("hotline operator")
    NODE_OPERATOR = "node_operator", _("node operator")


class Evidence(models.TextChoices):
    """How an authorisation (授权委托) was proven."""

    SIGNED_FORM = "signed_form", _("signed authorisation form")
    IN_PERSON = "in_person", _("in person, identity checked")
