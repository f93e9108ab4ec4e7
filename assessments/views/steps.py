"""Taking a workflow step from a page, the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest

from .. import workflow


def take_step(
    request: HttpRequest,
    step: Callable[[], Any],
    done: str | Callable[[Any], str],
) -> None:
    """Take a workflow step and say its outcome at the top of the next page:
    `done`, or `done(result)`, when it is taken; the refusal's reason when
    it is refused. A step the user may not take at all is a 404, as for a
    record out of scope."""
    try:
        result = step()
    except workflow.NotAllowed:
        raise Http404 from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done(result) if callable(done) else done)
