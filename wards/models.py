from django.db import models
from django.utils.translation import gettext_lazy as _


class WardKind(models.TextChoices):
    PHUONG = "phuong", _("ward (phường)")
    XA = "xa", _("commune (xã)")
    DAC_KHU = "dac_khu", _("special zone (đặc khu)")


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
