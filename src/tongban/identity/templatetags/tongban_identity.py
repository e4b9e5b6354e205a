"""Template filters that mask personal data on pages: ``{% load tongban_identity %}{{ p.id_number|mask_id }}``."""

from __future__ import annotations

from django import template

from tongban.identity import masking

register = template.Library()

register.filter("mask_id", masking.mask_id_number)
register.filter("mask_phone", masking.mask_phone)
register.filter("mask_name", masking.mask_name)
