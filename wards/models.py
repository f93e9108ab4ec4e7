"""Provinces and commune-level units, each valid for a period, with lineage.

A unit is its official code together with the period in which it is valid:
on 1 July 2025 many new units took the code of one of the units they
absorbed, so the old unit (closed the day before) keeps its own records.
`UnitChange` says what became of a unit: merged into, split between,
renamed as.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.collation import fold


class WardKind(models.TextChoices):
    PHUONG = "phuong", _("ward (phường)")
    XA = "xa", _("commune (xã)")
    DAC_KHU = "dac_khu", _("special zone (đặc khu)")
    THI_TRAN = "thi_tran", _("township (thị trấn)")
    # A few island districts had no communes: the old list names the district.
    HUYEN = "huyen", _("district (huyện)")


# How the official full name begins, by kind: "Phường An Hưng".
KIND_PREFIXES: dict[str, str] = {
    WardKind.PHUONG: "Phường",
    WardKind.XA: "Xã",
    WardKind.DAC_KHU: "Đặc khu",
    WardKind.THI_TRAN: "Thị trấn",
    WardKind.HUYEN: "Huyện",
}
PROVINCE_PREFIXES = ("Thành phố", "Tỉnh")
# The day the 63 provinces became 34 and some 10,000 units 3,321.
NATIONWIDE_MERGER = dt.date(2025, 7, 1)


def full_name(kind: str, name: str) -> str:
    """ "Phường An Hưng"; "Phường 1" stays as it is named."""
    prefix = KIND_PREFIXES.get(kind, "")
    if not prefix or name.startswith(prefix + " "):
        return name
    return f"{prefix} {name}"


class ValidQuerySet(models.QuerySet):
    def valid_on(self, day: dt.date):
        """Those in force on `day`."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def at_year_end(self, year: int):
        """Those in force on the last day of `year`: the units a year's results
        are for (one replaced on 1 July 2025 is not counted with its successor).
        None for a year no date can have."""
        if not dt.MINYEAR <= year <= dt.MAXYEAR:
            return self.none()
        return self.valid_on(dt.date(year, 12, 31))

    def valid_in(self, year: int):
        """Those in force on some day of `year`."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=dt.date(year, 12, 31)),
            Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1)),
        )


class Validity(models.Model):
    """The period a province or unit is in force; open at either end."""

    valid_from = models.DateField(
        _("valid from"),
        null=True,
        blank=True,
        help_text=_("Empty: in force before the lists the app holds."),
    )
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Empty: in force today.")
    )

    objects = ValidQuerySet.as_manager()

    class Meta:
        abstract = True

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def valid_in(self, year: int) -> bool:
        return (self.valid_from is None or self.valid_from.year <= year) and (
            self.valid_to is None or year <= self.valid_to.year
        )

    @property
    def closed(self) -> bool:
        return self.valid_to is not None


def _period_constraints(prefix: str) -> list:
    return [
        # A code names one unit at a time: one with no start date, and at most
        # one per start date (overlaps are refused by the import).
        models.UniqueConstraint(
            fields=["code"],
            condition=Q(valid_from__isnull=True),
            name=f"{prefix}_code_unique_without_start",
        ),
        models.UniqueConstraint(
            fields=["code", "valid_from"], name=f"{prefix}_code_unique_per_start"
        ),
        models.CheckConstraint(
            condition=Q(valid_from__isnull=True)
            | Q(valid_to__isnull=True)
            | Q(valid_from__lte=models.F("valid_to")),
            name=f"{prefix}_period_in_order",
        ),
    ]


class Province(Validity):
    code = models.CharField(_("official code"), max_length=8)
    name = models.CharField(_("name"), max_length=128)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["name"]
        constraints = _period_constraints("province")

    def __str__(self) -> str:
        return self.name


class Ward(Validity):
    """A commune-level unit (phường, xã, đặc khu; before 2025 also thị trấn)."""

    Kind = WardKind

    code = models.CharField(_("official unit code"), max_length=8)
    name = models.CharField(_("name"), max_length=128)
    # The name without case or diacritics, for search ("an hung").
    folded_name = models.CharField(
        max_length=128, default="", editable=False, db_index=True
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=WardKind.choices, default=WardKind.PHUONG
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="wards",
        verbose_name=_("province"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )

    class Meta:
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        ordering = ["province__name", "name"]
        indexes = [models.Index(fields=["province", "name"])]
        constraints = [
            # Names are not unique: before the 2025 merger one province could
            # have several wards called "Quang Trung"; the unit code identifies.
            models.CheckConstraint(
                condition=Q(kind__in=WardKind.values), name="ward_kind_valid"
            ),
            *_period_constraints("ward"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.province})"

    def save(self, *args, **kwargs) -> None:
        self.folded_name = fold(self.name)
        if "update_fields" in kwargs and "name" in (kwargs["update_fields"] or ()):
            kwargs["update_fields"] = {*kwargs["update_fields"], "folded_name"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return full_name(self.kind, self.name)


class UnitChange(models.Model):
    """What became of a unit: all or part of `predecessor` went to `successor`.

    A merger is several changes with one successor, a split several with one
    predecessor, a rename or a new code one change.
    """

    predecessor = models.ForeignKey(
        Ward,
        on_delete=models.PROTECT,
        related_name="successions",
        verbose_name=_("former unit"),
    )
    successor = models.ForeignKey(
        Ward,
        on_delete=models.PROTECT,
        related_name="origins",
        verbose_name=_("later unit"),
    )
    effective = models.DateField(_("in force from"))
    partial = models.BooleanField(
        _("part of it"),
        default=False,
        help_text=_("Only part of the former unit's area went to the later one."),
    )

    class Meta:
        verbose_name = _("unit change")
        verbose_name_plural = _("unit changes")
        ordering = ["effective", "predecessor__code", "successor__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="unit_change_once"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")),
                name="unit_change_between_two_units",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.effective})"


class ProvinceChange(models.Model):
    """All or part of a province went to another on `effective` (63 → 34)."""

    predecessor = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="successions"
    )
    successor = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="origins"
    )
    effective = models.DateField(_("in force from"))

    class Meta:
        verbose_name = _("province change")
        verbose_name_plural = _("province changes")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="province_change_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.effective})"
