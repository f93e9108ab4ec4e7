from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access.scope import scope_of


class User(AbstractUser):
    """A person who signs in. What they may see comes from their memberships."""

    # Kept exact by `notifications.services` in the transaction that makes
    # or reads a notification: the bell on every page costs no query.
    unread_notifications = models.PositiveIntegerField(
        _("unread notifications"), default=0, editable=False
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def save(self, *args, **kwargs):
        was_active = None
        if self.pk is not None:
            was_active = (
                type(self)
                .objects.filter(pk=self.pk)
                .values_list("is_active", flat=True)
                .first()
            )
        super().save(*args, **kwargs)
        if was_active and not self.is_active:
            # Deactivation ends every session of the user at once.
            transaction.on_commit(self.end_sessions)

    def get_full_name(self) -> str:
        """Family name first, as Vietnamese names are written: "Nguyễn Văn An".

        `last_name` holds the family (and middle) name, "họ"; `first_name` the
        given name, "tên", which is also what lists sort by.
        """
        return " ".join(part for part in (self.last_name, self.first_name) if part)

    def end_sessions(self) -> int:
        """Sign the user out everywhere; returns how many sessions ended."""
        keys = list(self.sessions.values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        self.sessions.all().delete()
        return len(keys)

    @property
    def needs_second_factor(self) -> bool:
        """Reviewers, leaders and administrators must use a second factor."""
        if self.is_staff or self.is_superuser:
            return True
        return bool(scope_of(self).roles & set(settings.SECOND_FACTOR_ROLES))


class UserSession(models.Model):
    """Which sessions belong to whom, so they can all be ended at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sessions",
        verbose_name=_("user"),
    )
    session_key = models.CharField(_("session key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("signed in at"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A personal access token to the read-only API (`accounts.tokens`).

    Only the SHA-256 of the token is kept; the token itself is shown once,
    when it is made. It acts with its user's memberships of the moment, so a
    user who loses a role loses the data at once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    # Public: the start of the token, to tell tokens apart and to find one.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=models.Q(digest__regex=r"^[0-9a-f]{64}$"),
                name="api_token_digest_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_live(self, now=None) -> bool:
        """Neither revoked nor expired."""
        now = now or timezone.now()
        return self.revoked_at is None and now < self.expires_at
