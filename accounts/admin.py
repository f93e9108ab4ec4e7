from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from access import people
from access.admin import MembershipInline
from core.admin import ReadOnlyAdminMixin
from core.collation import vi_order

from . import second_factor, tokens
from .models import ApiToken, User


def _name_sign_in_apps() -> None:
    """Names that django-axes and django-otp give in English only.

    Their apps (and django-otp's models and fields) have no msgid to
    translate, so they are named here, where the admin shows them. Migrations
    do not see this: they read the names declared in the models.
    """
    django_apps.get_app_config("axes").verbose_name = _("Sign-in records")
    devices = [
        (
            TOTPDevice,
            _("Authenticator apps"),
            (_("authenticator app"), _("authenticator apps")),
        ),
        (
            StaticDevice,
            _("Recovery codes"),
            (_("set of recovery codes"), _("sets of recovery codes")),
        ),
    ]
    fields = {
        "user": _("user"),
        "name": _("name"),
        "confirmed": _("confirmed"),
        "created_at": _("created at"),
        "last_used_at": _("last used at"),
    }
    for model, app_name, (singular, plural) in devices:
        django_apps.get_app_config(model._meta.app_label).verbose_name = app_name
        model._meta.verbose_name = singular
        model._meta.verbose_name_plural = plural
        for field, field_name in fields.items():
            model._meta.get_field(field).verbose_name = field_name
        # Written in English, once, when django-otp's admin was loaded.
        admin.site.get_model_admin(model).search_help_text = _(
            "Search by the user's user name or e-mail address."
        )
    StaticToken._meta.verbose_name = _("recovery code")
    StaticToken._meta.verbose_name_plural = _("recovery codes")


_name_sign_in_apps()


@admin.register(User)
class KieuMauUserAdmin(UserAdmin):
    """Who each user is: name, role and unit, in Vietnamese order of names."""

    inlines = [MembershipInline]
    list_display = (
        "username",
        "full_name",
        "roles",
        "unit",
        "is_active",
        "last_login",
    )
    list_filter = ("memberships__role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "last_name", "first_name", "email")
    # Family name first, as the name is written (see User.get_full_name).
    fieldsets = tuple(
        (title, {**options, "fields": ("last_name", "first_name", "email")})
        if "first_name" in options["fields"]
        else (title, options)
        for title, options in UserAdmin.fieldsets or ()
    )
    actions = ["reset_second_factor", "end_sessions"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(people.with_units(""))

    def get_ordering(self, request):
        # Vietnamese lists go by the given name, then the family name.
        return [vi_order("first_name"), vi_order("last_name"), "username"]

    @admin.display(description=_("full name"), ordering=vi_order("first_name"))
    def full_name(self, user: User) -> str | None:
        return user.get_full_name() or None

    @admin.display(description=_("role"))
    def roles(self, user: User) -> str:
        return people.roles_of(user)

    @admin.display(description=_("unit"))
    def unit(self, user: User) -> str:
        return people.unit_of(user)

    @admin.action(description=_("Reset the second factor (enrol again at next login)"))
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            second_factor.reset(user)
            self.log_change(request, user, "Reset the second factor.")
        messages.success(
            request,
            ngettext(
                "The second factor of %(count)d user was reset.",
                "The second factors of %(count)d users were reset.",
                queryset.count(),
            )
            % {"count": queryset.count()},
        )

    @admin.action(description=_("End all their sessions"))
    def end_sessions(self, request, queryset):
        ended = sum(user.end_sessions() for user in queryset)
        messages.success(request, _("%(count)d sessions ended.") % {"count": ended})


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record of changes made in the admin: who, when, what. Read-only."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag"]
    list_filter = ["action_flag", "content_type", "action_time"]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    readonly_fields = [
        "action_time",
        "user",
        "content_type",
        "object_id",
        "object_repr",
        "action_flag",
        "change_message",
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Everyone's API tokens, never their secrets (only a digest is kept):
    an administrator sees who reads through the API and revokes a token that
    leaked. Deactivating a user also stops their tokens."""

    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    exclude = ["digest"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the chosen tokens"))
    def revoke(self, request, queryset):
        revoked = [token for token in queryset if tokens.revoke_token(token)]
        for token in revoked:
            self.log_change(request, token, "Revoked.")
        messages.success(
            request,
            ngettext(
                "%(count)d token revoked.", "%(count)d tokens revoked.", len(revoked)
            )
            % {"count": len(revoked)},
        )
