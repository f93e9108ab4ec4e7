from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Assessed(models.TextChoices):
    ANYTIME = "anytime", _("Any time of the year")
    YEAR_END = "year_end", _("Only at year end")


class ResponsibleBody(models.TextChoices):
    POLICE = "police", _("Ward police")
    PARTY_COMMITTEE = "party_committee", _("Ward Party committee")
    PEOPLES_COMMITTEE = "peoples_committee", _("Ward People's Committee")
    OTHER = "other", _("Another body")


class CriteriaSet(models.Model):
    """A published set of criteria; its size is the number of its criteria."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    year = models.PositiveSmallIntegerField(_("year in force"))

    class Meta:
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class CriterionGroup(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.CASCADE,
        related_name="groups",
        verbose_name=_("criteria set"),
    )
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion group")
        verbose_name_plural = _("criterion groups")
        ordering = ["criteria_set", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "code"], name="group_code_unique_in_set"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.display_title}"

    @property
    def display_title(self) -> str:
        return _localised(self.title, self.title_en)


class Criterion(models.Model):
    ResponsibleBody = ResponsibleBody

    Assessed = Assessed

    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.CASCADE,
        related_name="criteria",
        verbose_name=_("criteria set"),
    )
    group = models.ForeignKey(
        CriterionGroup,
        on_delete=models.PROTECT,
        related_name="criteria",
        verbose_name=_("group"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    evidence_guidance = models.TextField(_("evidence guidance"), blank=True)
    responsible_body = models.CharField(
        _("responsible body"),
        max_length=32,
        choices=ResponsibleBody.choices,
        default=ResponsibleBody.POLICE,
    )
    assessed = models.CharField(
        _("assessed"),
        max_length=16,
        choices=Assessed.choices,
        default=Assessed.ANYTIME,
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["criteria_set", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "number"], name="criterion_number_unique_in_set"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="criterion_number_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(responsible_body__in=ResponsibleBody.values),
                name="criterion_responsible_body_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(assessed__in=Assessed.values),
                name="criterion_assessed_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.display_title}"

    @property
    def display_title(self) -> str:
        return _localised(self.title, self.title_en)

    @property
    def year_end_only(self) -> bool:
        return self.assessed == self.Assessed.YEAR_END


class Period(models.TextChoices):
    YEAR_TO_DATE = "year_to_date", _("From 1 January to the date of the figure")
    ON_DATE = "on_date", _("On the date of the figure")


class Rule(models.TextChoices):
    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")
    EQUAL = "equal", _("equal to")
    # The change against the same period of the year before, in per cent.
    CHANGE_AT_MOST = "change_at_most", _("change on the previous year at most")
    CHANGE_BELOW = "change_below", _("change on the previous year below")


CHANGE_RULES = frozenset({Rule.CHANGE_AT_MOST, Rule.CHANGE_BELOW})


class Indicator(models.Model):
    """A figure a criterion is measured by, and the rule it must meet.

    Values are kept per ward and code (`evidence.IndicatorValue`), so a code
    names the same figure in every year's set.
    """

    Period = Period
    Rule = Rule

    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("criterion"),
    )
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    period = models.CharField(
        _("period"), max_length=16, choices=Period.choices, default=Period.YEAR_TO_DATE
    )
    rule = models.CharField(_("rule"), max_length=16, choices=Rule.choices)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["criterion", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["criterion", "code"], name="indicator_code_unique_in_criterion"
            ),
            models.CheckConstraint(
                condition=models.Q(rule__in=Rule.values), name="indicator_rule_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=Period.values),
                name="indicator_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        """One code names one figure of one criterion in a set: figures are
        kept by code, and each is entered through its own criterion."""
        if self.criterion_id is None:
            return
        twins = Indicator.objects.filter(
            criterion__criteria_set_id=self.criterion.criteria_set_id, code=self.code
        ).exclude(pk=self.pk)
        if twins.exists():
            raise ValidationError(
                {"code": _("Another indicator of this criteria set has this code.")}
            )

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def compares_years(self) -> bool:
        return self.rule in CHANGE_RULES


def _localised(vietnamese: str, english: str) -> str:
    """The English text when the interface is in English and one exists."""
    if english and (get_language() or "vi").startswith("en"):
        return english
    return vietnamese
