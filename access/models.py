"""Memberships: who holds which role over which ward or province."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from criteria.models import ResponsibleBody


class Role(models.TextChoices):
    OFFICER = "officer", _("Ward officer")
    CONTRIBUTOR = "contributor", _("Contributor (another body of the ward)")
    REVIEWER = "reviewer", _("Provincial reviewer")
    PROVINCIAL_LEADER = "provincial_leader", _("Provincial leader")
    MINISTRY_REVIEWER = "ministry_reviewer", _("Ministry reviewer")
    NATIONAL_LEADER = "national_leader", _("National leader")
    ADMINISTRATOR = "administrator", _("Administrator")


# Tuples, not sets: the constraint below must list them in a stable order.
WARD_ROLES = (Role.OFFICER, Role.CONTRIBUTOR)
PROVINCE_ROLES = (Role.REVIEWER, Role.PROVINCIAL_LEADER)
NATIONAL_ROLES = (Role.NATIONAL_LEADER, Role.ADMINISTRATOR)
# A Ministry reviewer covers the country (no province) or one province per
# membership.
COUNTRY_OR_PROVINCE_ROLES = (Role.MINISTRY_REVIEWER,)


class MembershipQuerySet(models.QuerySet):
    def reviewers_for(self, *, province_id: int, group_id: int) -> MembershipQuerySet:
        """Reviewer memberships whose scope covers a province and a group."""
        return (
            self.filter(role=Role.REVIEWER, province_id=province_id)
            .filter(Q(criterion_groups__isnull=True) | Q(criterion_groups__pk=group_id))
            .distinct()
        )

    def contributors_of(self, ward_id: int, body: str) -> MembershipQuerySet:
        """Contributor memberships of one ward's body."""
        return self.filter(role=Role.CONTRIBUTOR, ward_id=ward_id, body=body)

    def officers_of(self, ward_id: int) -> MembershipQuerySet:
        """Officer memberships of one ward."""
        return self.filter(role=Role.OFFICER, ward_id=ward_id)

    def leaders_of(self, province_id: int) -> MembershipQuerySet:
        """Provincial leader memberships of one province."""
        return self.filter(role=Role.PROVINCIAL_LEADER, province_id=province_id)

    def ministry_reviewers_for(self, province_id: int) -> MembershipQuerySet:
        """Ministry reviewers covering a province: the country's, or its own."""
        return self.filter(role=Role.MINISTRY_REVIEWER).filter(
            Q(province__isnull=True) | Q(province_id=province_id)
        )


class Membership(models.Model):
    """A user's role and the ward or province it covers."""

    Role = Role

    WARD_ROLES = WARD_ROLES
    PROVINCE_ROLES = PROVINCE_ROLES
    NATIONAL_ROLES = NATIONAL_ROLES
    COUNTRY_OR_PROVINCE_ROLES = COUNTRY_OR_PROVINCE_ROLES

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    ward = models.ForeignKey(
        "wards.Ward",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("ward"),
    )
    province = models.ForeignKey(
        "wards.Province",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("province"),
    )
    # A contributor's body: they work on the criteria it carries out.
    body = models.CharField(
        _("body"),
        max_length=32,
        choices=ResponsibleBody.choices,
        blank=True,
        help_text=_("For a contributor: the body whose criteria they work on."),
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
                    | models.Q(
                        role__in=[r.value for r in COUNTRY_OR_PROVINCE_ROLES],
                        ward__isnull=True,
                    )
                ),
                violation_error_message=_(
                    "A ward officer needs a ward, a reviewer or provincial leader "
                    "needs a province, a Ministry reviewer a province or none, "
                    "and national roles need neither."
                ),
            ),
            models.CheckConstraint(
                name="membership_body_only_for_contributor",
                condition=(
                    models.Q(role=Role.CONTRIBUTOR)
                    & models.Q(body__in=ResponsibleBody.values)
                    & ~models.Q(body=ResponsibleBody.POLICE)
                )
                | (~models.Q(role=Role.CONTRIBUTOR) & models.Q(body="")),
                violation_error_message=_(
                    "A contributor needs a body other than the ward police; "
                    "other roles have none."
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
