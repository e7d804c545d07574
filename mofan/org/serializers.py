"""API shapes of units and people. Read serializers never carry the stored 身份证号 (cipher or digest), only
its masked copy, and the phone masked for every role: the clear values leave only through the unmask action
(``PersonViewSet.reveal``: PERSON_VIEW_SENSITIVE, a recent re-authentication, one audit row). Write
serializers only check types: the services validate against the tree and write."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from mofan.core.masking import mask_phone
from mofan.org.models import Gender, Person, Unit, UnitKind
from mofan.org.selectors import unit_list


class JurisdictionUnitField(serializers.PrimaryKeyRelatedField):
    """A unit id, accepted only when the unit lies in the requesting actor's jurisdiction; others are
    refused exactly like ids that do not exist."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None:
            return Unit.objects.none()
        return unit_list(actor=request.user)


class UnitSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None)

    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "kind_label", "code", "parent", "parent_name", "depth", "sort_order",
                  "is_active"]
        read_only_fields = fields


class UnitCreateSerializer(serializers.Serializer):
    parent = JurisdictionUnitField(queryset=Unit.objects.none())  # type: ignore[assignment]  # DRF pops declared fields
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    sort_order = serializers.IntegerField(min_value=0, required=False, default=0)


class UnitUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    sort_order = serializers.IntegerField(min_value=0, required=False)


class UnitMoveSerializer(serializers.Serializer):
    parent = JurisdictionUnitField(  # type: ignore[assignment]  # DRF pops declared fields
        queryset=Unit.objects.none(), help_text="The new parent unit.")


class PersonSerializer(serializers.ModelSerializer):
    gender_label = serializers.CharField(source="get_gender_display", read_only=True)
    phone = serializers.SerializerMethodField()
    id_number_masked = serializers.CharField(read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "gender", "gender_label", "phone", "id_number_masked", "is_party_member", "post",
                  "unit", "unit_name", "is_active"]
        read_only_fields = fields

    def get_phone(self, person: Person) -> str:
        """Masked for everyone, in lists and details alike (defect 13: it was clear for 系统管理员, unaudited)."""
        return mask_phone(person.phone)


class PersonCreateSerializer(serializers.Serializer):
    unit = JurisdictionUnitField(queryset=Unit.objects.none())
    name = serializers.CharField(max_length=50)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True, default="",
                                     help_text="Blank: taken from the ID number.")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="", write_only=True)
    is_party_member = serializers.BooleanField(required=False, default=False)
    post = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class PersonUpdateSerializer(serializers.Serializer):
    """Only the fields sent change. ``id_number`` absent keeps the stored number; an empty string clears it."""

    name = serializers.CharField(max_length=50, required=False)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True, write_only=True)
    is_party_member = serializers.BooleanField(required=False)
    post = serializers.CharField(max_length=50, required=False, allow_blank=True)


class PersonMoveSerializer(serializers.Serializer):
    unit = JurisdictionUnitField(queryset=Unit.objects.none(), help_text="The person's new unit.")


class PersonRevealSerializer(serializers.Serializer):
    id_number = serializers.CharField(help_text="The clear ID number; empty when none is stored.")
    phone = serializers.CharField()
