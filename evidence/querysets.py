from __future__ import annotations

from typing import Any

from django.db import models

from wards.querysets import scope_of


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> AssessmentQuerySet:
        scope = scope_of(user)
        if scope.is_empty:
            return self.none()
        return self.filter(scope.ward_filter("enrolment__ward__"))

    def review_queue_for(self, user: Any) -> AssessmentQuerySet:
        """Submitted items this user may decide, oldest first."""
        return self.filter(scope_of(user).review_filter(), status="submitted").order_by(
            "submitted_at", "pk"
        )


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> EvidenceQuerySet:
        scope = scope_of(user)
        if scope.is_empty:
            return self.none()
        return self.filter(scope.ward_filter("assessment__enrolment__ward__"))


class ReviewEventQuerySet(models.QuerySet):
    def concerning(self, user: Any) -> ReviewEventQuerySet:
        """Recent events in the user's scope that others did, newest first."""
        scope = scope_of(user)
        if scope.is_empty:
            return self.none()
        return (
            self.filter(scope.ward_filter("assessment__enrolment__ward__"))
            .exclude(actor=user)
            # Claims and each file added are detail; the feed is for steps.
            .exclude(action__in=["claim", "add_evidence", "withdraw_evidence"])
            .order_by("-created_at", "-pk")
        )

    def recent_for(self, user: Any, *, limit: int = 8) -> list:
        """The latest events that concern `user`."""
        return list(
            self.concerning(user).select_related(
                "actor", "assessment__enrolment__ward", "assessment__criterion"
            )[:limit]
        )
