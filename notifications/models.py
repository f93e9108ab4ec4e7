"""What each person has been told, in the app and by e-mail, and how they
want to hear of each kind of thing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REVIEW = "review", _("A criterion submitted, approved or returned")
    RECOGNITION = "recognition", _("A step towards recognition")
    REMINDER = "reminder", _("A deadline coming up")
    ESCALATION = "escalation", _("A deadline passed")
    EXPIRY = "expiry", _("Evidence about to expire or expired")
    COMMENT = "comment", _("A message on a criterion, or a mention")


class Digest(models.TextChoices):
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class Delivery(models.TextChoices):
    EMAIL = "email", _("An e-mail at once")
    DIGEST = "digest", _("In the daily digest e-mail")
    NONE = "none", _("No e-mail, only the bell")


class Notification(models.Model):
    """One thing one person was told. Made once per `key`: a reminder that
    the worker would send twice (a restart, two workers) is not made again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=200)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # Taken by a task that is sending its mail (`services.send_mail_for`):
    # another leaves it alone until WORKER_LOST_SECONDS have passed.
    mailing_since = models.DateTimeField(
        _("being e-mailed since"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="one_notification_per_key"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="notification_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["key"]),
            models.Index(
                fields=["user"],
                condition=Q(mailed_at__isnull=True),
                name="notification_not_mailed",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    """How one person wants to hear of one kind of notification, or whether
    they want a digest. Without a row: an e-mail at once, and the digests."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices + Digest.choices
    )
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="one_preference_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} → {self.delivery}"
