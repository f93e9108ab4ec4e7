from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .querysets import EnrolmentQuerySet, MembershipQuerySet, WardQuerySet


class Role(models.TextChoices):
    OFFICER = "officer", _("Ward officer")
    REVIEWER = "reviewer", _("Provincial reviewer")
    PROVINCIAL_LEADER = "provincial_leader", _("Provincial leader")
    NATIONAL_LEADER = "national_leader", _("National leader")
    ADMINISTRATOR = "administrator", _("Administrator")


class Track(models.TextChoices):
    MINISTRY = "ministry", _("Assigned by the Ministry")
    PROVINCE = "province", _("Added by the province")


class WardKind(models.TextChoices):
    PHUONG = "phuong", _("ward (phường)")
    XA = "xa", _("commune (xã)")
    DAC_KHU = "dac_khu", _("special zone (đặc khu)")


# Tuples, not sets: the constraint below must list them in a stable order.
WARD_ROLES = (Role.OFFICER,)
PROVINCE_ROLES = (Role.REVIEWER, Role.PROVINCIAL_LEADER)
NATIONAL_ROLES = (Role.NATIONAL_LEADER, Role.ADMINISTRATOR)


class Province(models.Model):
    code = models.CharField(_("official code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=128, unique=True)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    Kind = WardKind

    code = models.CharField(_("official unit code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(
        _("kind"), max_length=16, choices=WardKind.choices, default=WardKind.PHUONG
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="wards",
        verbose_name=_("province"),
    )
    active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )

    objects = WardQuerySet.as_manager()

    class Meta:
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        ordering = ["province__name", "name"]
        indexes = [models.Index(fields=["province", "name"])]
        constraints = [
            # Names are not unique: before the 2025 merger one province could
            # have several wards called "Quang Trung"; the unit code identifies.
            models.CheckConstraint(
                condition=models.Q(kind__in=WardKind.values),
                name="ward_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")),
                name="ward_not_merged_into_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.province})"


class Enrolment(models.Model):
    """A ward taking part in the programme for one year, against one set."""

    Track = Track

    ward = models.ForeignKey(
        Ward,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("ward"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    criteria_set = models.ForeignKey(
        "criteria.CriteriaSet",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("criteria set"),
    )
    track = models.CharField(_("track"), max_length=16, choices=Track.choices)
    recognition_number = models.CharField(
        _("recognition decision number"), max_length=64, blank=True
    )
    recognition_date = models.DateField(
        _("recognition decision date"), null=True, blank=True
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-year", "ward__province__name", "ward__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ward", "year"], name="one_enrolment_per_ward_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(track__in=Track.values),
                name="enrolment_track_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2100),
                name="enrolment_year_plausible",
            ),
        ]
        indexes = [models.Index(fields=["year", "track"])]

    def __str__(self) -> str:
        return f"{self.ward.name} — {self.year}"

    @property
    def progress(self) -> str:
        """ "18/22": approved criteria over the size of the set.

        Needs the annotations of `Enrolment.objects.with_progress()`.
        """
        return f"{self.approved_count}/{self.criteria_count}"

    @property
    def progress_percent(self) -> int:
        if not self.criteria_count:
            return 0
        return round(100 * self.approved_count / self.criteria_count)

    @property
    def is_complete(self) -> bool:
        return bool(self.criteria_count) and self.approved_count == self.criteria_count


class Membership(models.Model):
    """A user's role and the ward or province it covers."""

    Role = Role

    WARD_ROLES = WARD_ROLES
    PROVINCE_ROLES = PROVINCE_ROLES
    NATIONAL_ROLES = NATIONAL_ROLES

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    ward = models.ForeignKey(
        Ward,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("ward"),
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("province"),
    )
    criterion_groups = models.ManyToManyField(
        "criteria.CriterionGroup",
        blank=True,
        related_name="memberships",
        verbose_name=_("only these criterion groups"),
        help_text=_("Leave empty to cover every group."),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(
                        role__in=[r.value for r in WARD_ROLES],
                        ward__isnull=False,
                        province__isnull=True,
                    )
                    | models.Q(
                        role__in=[r.value for r in PROVINCE_ROLES],
                        ward__isnull=True,
                        province__isnull=False,
                    )
                    | models.Q(
                        role__in=[r.value for r in NATIONAL_ROLES],
                        ward__isnull=True,
                        province__isnull=True,
                    )
                ),
                violation_error_message=_(
                    "A ward officer needs a ward, a reviewer or provincial leader "
                    "needs a province, and national roles need neither."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "ward"],
                condition=models.Q(ward__isnull=False),
                name="membership_unique_per_ward",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "province"],
                condition=models.Q(province__isnull=False),
                name="membership_unique_per_province",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(ward__isnull=True, province__isnull=True),
                name="membership_unique_nationwide",
            ),
        ]

    def __str__(self) -> str:
        scope = self.ward or self.province or _("nationwide")
        return f"{self.user} — {self.get_role_display()} — {scope}"
