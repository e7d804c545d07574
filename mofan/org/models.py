"""The district as one tree of units (see docs/adr/0002-one-unit-tree-with-materialised-paths.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PATH_SEGMENT = 8  # "0000042." : 7 digits and a dot per level


class UnitKind(models.TextChoices):
    DISTRICT = "district", pgettext_lazy("unit kind", "District")  # 区
    TOWN = "town", _("Township / sub-district")  # 苏木镇(街道)
    VILLAGE = "village", _("Village / community")  # 嘎查村(社区)
    GRID = "grid", _("Grid")  # 网格
    ORGAN = "organ", _("Organ")  # 机关
    DEPARTMENT = "department", _("Department")  # 部门 / 科室 / 基层所 / 分局
    PARTY_COMMITTEE = "party_committee", _("Party committee")  # 党委
    PARTY_GENERAL_BRANCH = "party_general_branch", _("Party general branch")  # 党总支
    PARTY_BRANCH = "party_branch", _("Party branch")  # 党支部
    PARTY_GROUP = "party_group", _("Party group")  # 党小组
    CENTRE = "centre", _("Governance centre")  # 社会治理中心
    WINDOW = "window", _("Service window")  # 窗口
    STATION = "station", _("Service station")  # 站点 / 维权服务站
    MEDIATION_ORG = "mediation_org", _("Mediation organisation")  # 调解组织


AREA_KINDS = {UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID}
PARTY_KINDS = {UnitKind.PARTY_COMMITTEE, UnitKind.PARTY_GENERAL_BRANCH, UnitKind.PARTY_BRANCH, UnitKind.PARTY_GROUP}
SERVICE_KINDS = {UnitKind.CENTRE, UnitKind.WINDOW, UnitKind.STATION, UnitKind.MEDIATION_ORG}
ORGAN_KINDS = {UnitKind.ORGAN, UnitKind.DEPARTMENT}

# Which kinds may stand directly under which. None is the root.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    UnitKind.DISTRICT: {None},
    UnitKind.TOWN: {UnitKind.DISTRICT},
    UnitKind.VILLAGE: {UnitKind.TOWN},
    UnitKind.GRID: {UnitKind.VILLAGE},
    UnitKind.ORGAN: {UnitKind.DISTRICT, UnitKind.TOWN},
    UnitKind.DEPARTMENT: {UnitKind.ORGAN, UnitKind.DEPARTMENT},
    UnitKind.PARTY_COMMITTEE: {UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.ORGAN},
    UnitKind.PARTY_GENERAL_BRANCH: {UnitKind.ORGAN, UnitKind.PARTY_COMMITTEE, UnitKind.TOWN, UnitKind.VILLAGE},
    UnitKind.PARTY_BRANCH: {
        UnitKind.ORGAN, UnitKind.DEPARTMENT, UnitKind.PARTY_COMMITTEE, UnitKind.PARTY_GENERAL_BRANCH,
        UnitKind.TOWN, UnitKind.VILLAGE,
    },
    UnitKind.PARTY_GROUP: {UnitKind.PARTY_BRANCH},
    UnitKind.CENTRE: {UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE},
    UnitKind.WINDOW: {UnitKind.CENTRE, UnitKind.ORGAN, UnitKind.DEPARTMENT},
    UnitKind.STATION: {UnitKind.CENTRE, UnitKind.ORGAN, UnitKind.DEPARTMENT, UnitKind.TOWN, UnitKind.VILLAGE},
    UnitKind.MEDIATION_ORG: {UnitKind.CENTRE, UnitKind.ORGAN, UnitKind.DEPARTMENT, UnitKind.TOWN, UnitKind.VILLAGE},
}


class Unit(models.Model):
    """A node of the district: an area, an organ or department, a party organisation or a service point.

    ``path`` is the materialised path of primary keys ("0000001.0000007.0000042."), so "everything under
    this unit" is one indexed prefix query: ``Unit.objects.filter(path__startswith=unit.path)``.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    code = models.CharField(_("code"), max_length=32, blank=True, help_text=_("GB/T 2260-style area code or own code"))
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # unique=True also gives PostgreSQL a varchar_pattern_ops index, so prefix LIKE queries use an index.
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="org_unit_code_unique_when_set"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="org_unit_name_unique_in_parent"),
        ]
        indexes = [
            models.Index(fields=["kind", "path"], name="org_unit_kind_path_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_area(self) -> bool:
        return self.kind in AREA_KINDS

    def ancestor_paths(self) -> list[str]:
        """Paths of this unit and every ancestor, root first."""
        return [self.path[: i + PATH_SEGMENT] for i in range(0, len(self.path), PATH_SEGMENT)]

    def ancestor_ids(self) -> list[int]:
        return [int(self.path[i : i + PATH_SEGMENT - 1]) for i in range(0, len(self.path), PATH_SEGMENT)]


def path_segment(pk: int) -> str:
    return f"{pk:07d}."


class UnitChange(models.Model):
    """History of a unit: created, renamed, moved, closed. Old and new names and parents are kept."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        RENAMED = "renamed", _("Renamed")
        MOVED = "moved", _("Moved")
        UPDATED = "updated", _("Changed")
        CLOSED = "closed", pgettext_lazy("unit", "Closed")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    old_name = models.CharField(max_length=100, blank=True)
    new_name = models.CharField(max_length=100, blank=True)
    old_parent = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    new_parent = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("unit change")
        verbose_name_plural = _("unit history")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.kind}"


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """A person of the district. The 身份证号 is sensitive: stored SM4-encrypted, looked up by a keyed
    SM3 digest, and shown masked unless the viewer's role needs it (each unmasked view is audited)."""

    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_number_cipher = models.TextField(blank=True, editable=False)
    id_number_digest = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    is_party_member = models.BooleanField(_("party member"), default=False)
    post = models.CharField(_("post"), max_length=50, blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="people")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["unit", "id"], name="org_person_unit_id_idx"),
            # Lists show active people: counting them must not read every row of the subtree.
            models.Index(fields=["unit", "id"], condition=models.Q(is_active=True), name="org_person_active_unit_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_path(self) -> str:
        return self.unit.path
