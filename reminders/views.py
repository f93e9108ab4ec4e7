"""The "my tasks" page: what the signed-in person must do next, by due date."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .todo import tasks_for

# A longer list is cut here; the rest is on the full lists it links to.
LONGEST_LIST = 50


@require_GET
@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """Every role's tasks of the signed-in user, the most pressing first."""
    tasks = tasks_for(request.user, timezone.localdate())
    return render(
        request,
        "reminders/my_tasks.html",
        {
            "tasks": tasks[:LONGEST_LIST],
            "total": len(tasks),
            "more": max(0, len(tasks) - LONGEST_LIST),
            "late": sum(task.overdue for task in tasks),
        },
    )
