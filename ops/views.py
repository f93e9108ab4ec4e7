"""Admin pages of the operator."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import worker

#: Who may see the worker page, beside superusers: whoever may read task results.
VIEW_TASKS = "django_tasks_database.view_dbtaskresult"


def may_see_worker(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether `user` may see the worker page."""
    if not isinstance(user, PermissionsMixin):  # anonymous
        return False
    return bool(user.is_active and (user.is_superuser or user.has_perm(VIEW_TASKS)))


def worker_page(request: HttpRequest) -> HttpResponse:
    """The page "Worker and schedule": whether the worker really works. Reached
    through `admin.site.admin_view`, so only signed-in staff get here; of those, only
    whoever may read task results sees it, the others a 404."""
    if not may_see_worker(request.user):
        raise Http404
    now = timezone.now()
    mail = worker.mail(now)
    jobs = worker.jobs(now)
    context = {
        **admin.site.each_context(request),
        "title": _("Worker and schedule"),
        "now": now,
        "jobs": jobs,
        "unscheduled": [job for job in jobs if not job.scheduled],
        "queue": worker.queue(now),
        "workers": worker.workers(now),
        "mail": mail,
        "digest_statuses": worker.DIGEST_STATUSES,
        "digest_rows": worker.digest_rows(mail),
        "failure_days": worker.FAILURE_WINDOW.days,
        "stale_minutes": int(worker.STALE_AFTER.total_seconds() // 60),
    }
    return TemplateResponse(request, "admin/worker.html", context)
