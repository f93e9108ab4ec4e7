"""The dates of a year's cycle: set for the country, or by a province for its
own wards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Calendar(models.Model):
    """The deadlines of one year: the country's (no province), or one
    province's own. A date a province leaves empty is the country's."""

    year = models.PositiveSmallIntegerField(_("year"))
    province = models.ForeignKey(
        "wards.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calendars",
        verbose_name=_("province"),
    )
    registration_closes = models.DateField(
        _("registration closes"), null=True, blank=True
    )
    evidence_due = models.DateField(
        _("evidence due"),
        null=True,
        blank=True,
        help_text=_("For criteria assessed at any time of the year."),
    )
    year_end_evidence_due = models.DateField(
        _("year-end evidence due"),
        null=True,
        blank=True,
        help_text=_("For criteria assessed only at year end."),
    )
    review_days = models.PositiveSmallIntegerField(
        _("days to review"),
        null=True,
        blank=True,
        help_text=_(
            "A submitted criterion is due for a decision this many days later."
        ),
    )
    proposal_due = models.DateField(_("proposals due"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        ordering = ["-year", "province__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "province"], name="one_calendar_per_province_year"
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(province__isnull=True),
                name="one_national_calendar_per_year",
            ),
            models.CheckConstraint(
                condition=Q(review_days__isnull=True) | Q(review_days__gte=1),
                name="calendar_review_days_positive",
            ),
        ]

    def __str__(self) -> str:
        where = self.province.name if self.province else _("whole country")
        return f"{self.year} — {where}"


class GroupDeadline(models.Model):
    """Evidence of one criterion group due on its own date."""

    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.CASCADE,
        related_name="group_deadlines",
        verbose_name=_("calendar"),
    )
    group = models.ForeignKey(
        "criteria.CriterionGroup",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("criterion group"),
    )
    evidence_due = models.DateField(_("evidence due"))

    class Meta:
        verbose_name = _("deadline of a criterion group")
        verbose_name_plural = _("deadlines of criterion groups")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "group"], name="one_deadline_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.calendar} — {self.group}: {self.evidence_due}"
