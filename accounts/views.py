"""Second-factor pages (verify at login, set up an authenticator) and the
page of a user's API tokens."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from . import second_factor, tokens
from .forms import ApiTokenForm, CodeForm
from .models import ApiToken


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator's code (or a recovery code)."""
    if not second_factor.has_second_factor(request.user):
        return redirect(f"{request.path}setup/?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor.verify(request, form.cleaned_data["code"])
        if check.passed:
            return redirect(_next(request))
        form.add_error("code", _refusal(check))
    return render(
        request,
        "accounts/two_factor.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app by its QR code, then show recovery codes."""
    if second_factor.has_second_factor(request.user):
        # Replacing an authenticator takes an administrator's reset, so a
        # stolen session cannot swap in the thief's phone.
        return redirect("two_factor")
    device = second_factor.pending_device(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check, codes = second_factor.confirm(request, form.cleaned_data["code"])
        if not check.passed and second_factor.has_second_factor(request.user):
            return redirect("two_factor")  # set up meanwhile, in another session
        if check.passed:
            messages.success(request, _("The second factor is set up."))
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error("code", _refusal(check))
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": second_factor.qr_svg(device),
            "secret": device.config_url.split("secret=")[1].split("&")[0],
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


def _refusal(check: second_factor.Check) -> str:
    if check.wait:
        return ngettext(
            "Too many wrong codes: wait %(seconds)d second, then enter the "
            "current code.",
            "Too many wrong codes: wait %(seconds)d seconds, then enter the "
            "current code.",
            check.wait,
        ) % {"seconds": check.wait}
    return _("This code is not right. Try the current one.")


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """What django-axes shows after too many failed logins."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm

    hours = f"{settings.AXES_COOLOFF_TIME:g}"
    message = _(
        "Too many failed logins for this user name from this computer. Try "
        "again in %(hours)s hour(s), or ask an administrator to unlock it."
    ) % {"hours": hours}
    return render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "lockout_message": message},
        status=429,
    )


#: Where the secret of a token just made waits for the page that shows it.
NEW_TOKEN = "new_api_token"  # noqa: S105 - a session key, not a secret


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens: make one (its secret shown this once), see
    when each was used, revoke one.

    A token made is shown by the page the form leads back to (post, then
    redirect), so that reloading it makes no second token; its secret waits
    in the session for that one page and is gone after it."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = tokens.issue_token(
            user=request.user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
        )
        request.session[NEW_TOKEN] = [issued.token.pk, issued.secret]
        return redirect("api_tokens")
    shown = None
    if NEW_TOKEN in request.session:
        pk, secret = request.session.pop(NEW_TOKEN)
        token = ApiToken.objects.filter(pk=pk, user=request.user).first()
        if token is not None:
            shown = tokens.Issued(token=token, secret=secret)
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "issued": shown,
            "tokens": ApiToken.objects.filter(user=request.user),
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens; another's is a 404."""
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404
    if tokens.revoke_token(token):
        messages.success(
            request,
            _("The token “%(name)s” is revoked: it no longer opens the API.")
            % {"name": token.name},
        )
    return redirect("api_tokens")
