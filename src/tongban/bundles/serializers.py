"""API representations of bundles (一件事). Detail fields are computed from the items' guides in force."""

from __future__ import annotations

from rest_framework import serializers

from tongban.bundles.models import Bundle


class BundleSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", help_text="GB/T 2260 code of the bundle's region")
    region_name = serializers.CharField(source="region.full_name", help_text="full name of the region")
    lead_department = serializers.CharField(
        source="lead_department.name", help_text="name of the department answerable for the bundle (牵头部门)"
    )
    lead_department_uscc = serializers.CharField(
        source="lead_department.uscc", help_text="unified social credit code of the lead department"
    )

    class Meta:
        model = Bundle
        fields = [
            "code",
            "name",
            "description",
            "region",
            "region_name",
            "lead_department",
            "lead_department_uscc",
            "promised_limit",
            "on_refusal",
            "published",
            "created_at",
        ]
        extra_kwargs = {
            "code": {"help_text": "short identifier of the bundle, used in its address"},
            "name": {"help_text": "name of the bundle, e.g. 新生儿出生一件事"},
            "published": {"help_text": "whether applicants may apply for the bundle"},
            "created_at": {"help_text": "when the bundle was defined"},
        }


class BundleItemSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="short name of the item within the bundle")
    implementation_code = serializers.CharField(help_text="实施编码 of the implementation")
    item_code = serializers.CharField(help_text="basic or handling code of the service item")
    name = serializers.CharField(help_text="name of the item in its guide in force")
    department = serializers.CharField(help_text="the implementing department")
    guide_version = serializers.IntegerField(help_text="number of the guide version in force")
    promised_limit = serializers.IntegerField(help_text="the item's own promised limit, in its guide's unit")
    depends_on = serializers.ListField(
        child=serializers.CharField(), help_text="keys of the items whose results this item waits for"
    )


class FieldConflictSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="name of the form field")
    items = serializers.ListField(child=serializers.CharField(), help_text="keys of the items that ask for it")
    reason = serializers.ChoiceField(choices=["type", "enum"], help_text="what differs: the type or the allowed values")


class MergedFormSerializer(serializers.Serializer):
    schema = serializers.JSONField(help_text="one JSON Schema: every field the items ask for, each once")
    fills = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="for each item key, the merged fields that fill its own form",
    )
    conflicts = FieldConflictSerializer(
        many=True, help_text="fields the items define incompatibly (a published bundle has none)"
    )


class MergedMaterialSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="the material's name as the first item asking for it gives it")
    names = serializers.ListField(child=serializers.CharField(), help_text="every name the items give it")
    license_types = serializers.ListField(
        child=serializers.CharField(), help_text="e-licence type codes that satisfy it"
    )
    necessity = serializers.CharField(help_text="required when any item requires it, else optional")
    serves = serializers.ListField(child=serializers.CharField(), help_text="keys of the items it serves")
    from_result_of = serializers.CharField(
        allow_null=True,
        help_text="key of the earlier item whose result provides it; the applicant is not asked for it",
    )


class SavingsSerializer(serializers.Serializer):
    fields_separately = serializers.IntegerField(help_text="form fields applying for each item on its own")
    fields_in_bundle = serializers.IntegerField(help_text="form fields through the bundle")
    materials_separately = serializers.IntegerField(help_text="materials applying for each item on its own")
    materials_in_bundle = serializers.IntegerField(help_text="materials the applicant gives through the bundle")
    from_results = serializers.ListField(
        child=serializers.CharField(), help_text="materials taken from earlier items' results (material ← item)"
    )


class BundleDetailSerializer(BundleSerializer):
    items = BundleItemSerializer(many=True, help_text="the items in the bundle's order")
    levels = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="item keys in parallel groups: a group starts when every group before it is done",
    )
    form = MergedFormSerializer(help_text="the merged application form")
    materials = MergedMaterialSerializer(many=True, help_text="the merged material list")
    savings = SavingsSerializer(help_text="what the applicant gives through the bundle against item by item")

    class Meta(BundleSerializer.Meta):
        fields = [*BundleSerializer.Meta.fields, "items", "levels", "form", "materials", "savings"]
