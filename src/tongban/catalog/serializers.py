"""API representations of the catalog. Field descriptions come from the models' help texts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongban.catalog import guide as guide_rules
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    Hall,
    ItemImplementation,
    MaterialRequirement,
    Region,
    ServiceItem,
    Window,
)


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(
        source="parent_id",
        allow_null=True,
        read_only=True,
        help_text="code of the parent division; null for a province",
    )
    full_name = serializers.CharField(read_only=True, help_text="name with its ancestors, e.g. 上海市杨浦区")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "full_name"]


class DepartmentSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", help_text="GB/T 2260 code of the department's region")

    class Meta:
        model = Department
        fields = ["id", "region", "name", "uscc", "kind", "phone", "address"]
        read_only_fields = ["id"]
        extra_kwargs = {"uscc": {"validators": []}}


class WindowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Window
        fields = ["number", "name", "kind", "departments"]


class HallSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", help_text="GB/T 2260 code of the hall's region")
    windows = WindowSerializer(many=True, read_only=True, help_text="the hall's windows")

    class Meta:
        model = Hall
        fields = ["id", "region", "name", "address", "hours", "phone", "windows"]


class ServiceItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True, help_text="basic code, or the handling item code for a handling item")
    parent = serializers.SerializerMethodField(help_text="code of the parent item")

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "code",
            "kind",
            "basic_code",
            "handling_code",
            "parent",
            "name",
            "item_type",
            "legal_basis",
            "exercise_levels",
            "handling_kind",
            "aliases",
            "keywords",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, obj: ServiceItem) -> str | None:
        return obj.parent.code if obj.parent_id else None


class ServiceItemWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ServiceItem._meta.get_field("kind").choices,
        default="main",
        help_text="main item, sub-item or handling item",
    )
    basic_code = serializers.CharField(required=False, allow_null=True, help_text="12-character basic code")
    handling_code = serializers.CharField(required=False, allow_null=True, help_text="handling item code")
    parent = serializers.CharField(required=False, allow_null=True, help_text="code of the parent item")
    name = serializers.CharField(help_text="the item's name")
    item_type = serializers.CharField(help_text="item type code: 1, 5, 7, 8, 9, 10, 20 or filing")
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="", help_text="legal basis")
    exercise_levels = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="levels that exercise the item"
    )
    handling_kind = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="new, change, renew or cancel (handling items)"
    )
    aliases = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="other names people search by"
    )
    keywords = serializers.ListField(
        child=serializers.CharField(), required=False, default=list, help_text="search keywords"
    )


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaterialRequirement
        fields = ["order", *guide_rules.MATERIAL_NAMES, "blank_form", "sample"]


class GuideVersionSerializer(serializers.ModelSerializer):
    materials = MaterialSerializer(many=True, read_only=True, help_text="the materials on this version's list")

    class Meta:
        model = GuideVersion
        fields = [
            "number",
            "status",
            "effective_from",
            "effective_to",
            "published_at",
            "content_hash",
            *guide_rules.FIELD_NAMES,
            "materials",
        ]


class GuideVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = GuideVersion
        fields = ["number", "status", "effective_from", "effective_to", "published_at", "content_hash"]


class ImplementationSerializer(serializers.ModelSerializer):
    item = ServiceItemSerializer(read_only=True, help_text="the service item implemented")
    region = RegionSerializer(read_only=True, help_text="the implementing region")
    department = DepartmentSerializer(read_only=True, help_text="the implementing department")
    guide = GuideVersionSerializer(
        source="current_version",
        read_only=True,
        allow_null=True,
        help_text="the published guide in force, with its materials",
    )

    class Meta:
        model = ItemImplementation
        fields = ["id", "implementation_code", "local_code", "item", "region", "department", "guide"]


class ImplementationListSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True, help_text="code of the item")
    item_name = serializers.CharField(source="item.name", read_only=True, help_text="name of the item")
    region = serializers.CharField(source="region_id", read_only=True, help_text="region code")
    region_name = serializers.CharField(source="region.full_name", read_only=True, help_text="region name")
    department_name = serializers.CharField(source="department.name", read_only=True, help_text="department name")
    modes = serializers.SerializerMethodField(help_text="handling modes of the guide in force")
    promised_limit = serializers.SerializerMethodField(help_text="promised limit of the guide in force")
    version = serializers.SerializerMethodField(help_text="number of the guide version in force")

    class Meta:
        model = ItemImplementation
        fields = [
            "id",
            "implementation_code",
            "item_code",
            "item_name",
            "region",
            "region_name",
            "department_name",
            "modes",
            "promised_limit",
            "version",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_modes(self, obj: ItemImplementation) -> list[str]:
        return obj.current_version.modes if obj.current_version else []

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_promised_limit(self, obj: ItemImplementation) -> int | None:
        return obj.current_version.promised_limit if obj.current_version else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version(self, obj: ItemImplementation) -> int | None:
        return obj.current_version.number if obj.current_version else None


class GuideWriteSerializer(serializers.Serializer):
    """A guide's content as written by a catalog admin; checked by the catalog's own rules."""

    guide = serializers.DictField(help_text="guide fields, as in GuideVersion (name, conditions, limits, …)")
    materials = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        allow_null=True,
        help_text="the full materials list; omitted keeps the draft's list",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        return super().to_internal_value(data)


class ImplementationWriteSerializer(GuideWriteSerializer):
    item = serializers.CharField(help_text="code of the item (basic or handling code)")
    department = serializers.CharField(help_text="USCC of the implementing department")
    implementation_code = serializers.CharField(help_text="implementation code (实施编码)")
    region = serializers.CharField(required=False, help_text="region code; the department's when omitted")
    local_code = serializers.CharField(required=False, allow_blank=True, default="", help_text="local code")


class PublishSerializer(serializers.Serializer):
    effective_from = serializers.DateField(required=False, help_text="first day in force; today when omitted")


class AgreementSerializer(serializers.ModelSerializer):
    regions = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="codes of the member regions"
    )
    items = serializers.SerializerMethodField(help_text="codes of the covered items")

    class Meta:
        model = Agreement
        fields = ["id", "name", "kind", "regions", "items", "modes", "effective_from", "effective_to", "note"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_items(self, obj: Agreement) -> list[str]:
        return [i.code for i in obj.items.all()]


class AgreementWriteSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="the agreement's name")
    kind = serializers.CharField(help_text="p2p, cluster or alliance")
    regions = serializers.ListField(child=serializers.CharField(), help_text="member region codes")
    items = serializers.ListField(child=serializers.CharField(), help_text="covered item codes")
    modes = serializers.ListField(child=serializers.CharField(), help_text="modes: online, proxy, joint, …")
    effective_from = serializers.DateField(help_text="first day in force")
    effective_to = serializers.DateField(required=False, allow_null=True, help_text="last day in force")
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="note")


class ReceivabilitySerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="whether the window may receive the item at all")
    modes = serializers.ListField(child=serializers.CharField(), help_text="the modes allowed")
    agreements = serializers.ListField(child=serializers.CharField(), help_text="the agreements that allow it")


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="the changed element")
    label = serializers.CharField(help_text="its name in the active language")
    kind = serializers.CharField(help_text="changed, added or removed")
    before = serializers.JSONField(help_text="value in the older version")
    after = serializers.JSONField(help_text="value in the newer version")


class DifferenceSerializer(serializers.Serializer):
    element = serializers.CharField(help_text="the element that differs (material:NAME or a guide field)")
    label = serializers.CharField(help_text="its name in the active language")
    values = serializers.DictField(help_text="implementation code → value (for materials: present or not)")


class ComparisonColumnSerializer(serializers.Serializer):
    implementation_code = serializers.CharField(help_text="implementation code")
    region = serializers.CharField(help_text="region code")
    region_name = serializers.CharField(help_text="region name")
    department = serializers.CharField(help_text="department name")
    materials = serializers.ListField(child=serializers.CharField(), help_text="material names")
    values = serializers.DictField(help_text="the compared guide fields")


class ComparisonSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="code of the compared item")
    columns = ComparisonColumnSerializer(many=True, help_text="one per implementation")
    differences = DifferenceSerializer(many=True, help_text="elements that differ between implementations")
