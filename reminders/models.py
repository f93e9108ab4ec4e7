"""A record of each digest: one per person, kind and day, whatever happens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Digest


class SentDigest(models.Model):
    """One person's digest of one day. The row is made before the mail is
    sent, and only one can be made: two workers, or a worker that restarts,
    never send the same digest twice."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        EMPTY = "empty", _("Nothing to say")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Digest.choices)
    day = models.DateField(_("day"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["-day", "kind", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "day"], name="one_digest_per_person_per_day"
            ),
        ]
        indexes = [models.Index(fields=["day", "kind"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_kind_display()} {self.day}"
