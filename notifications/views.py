"""The bell: a person's notifications, and how they want to hear of things."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.scope import scope_of

from .forms import PreferencesForm
from .models import Digest, Notification
from .services import mark_read

PER_PAGE = 30


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """A person's notifications, newest first, the unread marked."""
    rows = Notification.objects.filter(user=request.user)  # type: ignore[misc]
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go where it points."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    mark_read(request.user, [notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("inbox")


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    marked = mark_read(request.user)
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("inbox")


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """How a person wants to hear of each kind of thing."""
    # Leaders get the weekly digest; anyone may get the daily one.
    digests = [Digest.DAILY] + ([Digest.WEEKLY] if scope_of(request.user).leads else [])
    form = PreferencesForm(request.POST or None, user=request.user, digests=digests)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your choices are saved."))
        return redirect("notification_preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "digest_time": settings.DIGEST_TIME},
    )
