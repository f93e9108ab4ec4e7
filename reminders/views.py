"""The "my tasks" page: what the signed-in person must do next, by due date."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    return render(request, "reminders/my_tasks.html", {"tasks": []})
