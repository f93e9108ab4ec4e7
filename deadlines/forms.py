from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import DayMonthYearField

from .models import Calendar, GroupDeadline
from .schedule import cycle_end, year_end_window_opens

DATES = ["registration_closes", "evidence_due", "year_end_evidence_due", "proposal_due"]


class CalendarForm(forms.ModelForm):
    """A year's dates, and a date of its own for any criterion group."""

    registration_closes = DayMonthYearField(
        label=gettext_lazy("Registration of wards closes"), required=False
    )
    evidence_due = DayMonthYearField(
        label=gettext_lazy("Evidence due (criteria assessed at any time)"),
        required=False,
    )
    year_end_evidence_due = DayMonthYearField(
        label=gettext_lazy("Evidence due (criteria assessed at year end)"),
        required=False,
    )
    review_days = forms.IntegerField(
        label=gettext_lazy("Days to decide on a submitted criterion"),
        min_value=1,
        max_value=90,
        required=False,
        error_messages={
            "min_value": gettext_lazy("Choose from 1 to 90 days."),
            "max_value": gettext_lazy("Choose from 1 to 90 days."),
            "invalid": gettext_lazy("Choose from 1 to 90 days."),
        },
    )
    proposal_due = DayMonthYearField(
        label=gettext_lazy("Complete wards proposed by"), required=False
    )

    class Meta:
        model = Calendar
        fields = [*DATES[:3], "review_days", "proposal_due"]

    def __init__(self, *args, year: int, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["review_days"].widget.attrs["placeholder"] = str(
            settings.REVIEW_OVERDUE_DAYS
        )
        self.groups = list(groups)
        own = {}
        if self.instance.pk:
            own = dict(
                self.instance.group_deadlines.values_list("group_id", "evidence_due")
            )
        for group in self.groups:
            self.fields[f"group_{group.pk}"] = DayMonthYearField(
                label=str(group), required=False, initial=own.get(group.pk)
            )

    def group_fields(self):
        return [self[f"group_{group.pk}"] for group in self.groups]

    def _check_day(self, name: str, day: dt.date | None) -> None:
        # A year's cycle may run into the first quarter of the next year.
        first, last = dt.date(self.year, 1, 1), cycle_end(self.year)
        if day is not None and not first <= day <= last:
            self.add_error(
                name,
                _("Choose a date between %(first)s and %(last)s.")
                % {
                    "first": date_format(first, "SHORT_DATE_FORMAT"),
                    "last": date_format(last, "SHORT_DATE_FORMAT"),
                },
            )

    def clean(self):
        data = super().clean() or {}
        for name in DATES:
            self._check_day(name, data.get(name))
        opens = year_end_window_opens(self.year)
        late = data.get("year_end_evidence_due")
        if late is not None and late < opens:
            self.add_error(
                "year_end_evidence_due",
                _(
                    "Year-end criteria can be submitted only from %(date)s: "
                    "their evidence cannot be due before then."
                )
                % {"date": date_format(opens, "SHORT_DATE_FORMAT")},
            )
        for group in self.groups:
            name = f"group_{group.pk}"
            day = data.get(name)
            self._check_day(name, day)
            year_end = (
                group.criteria.exists()
                and not group.criteria.exclude(assessed="year_end").exists()
            )
            if day is not None and year_end and day < opens:
                self.add_error(
                    name,
                    _("This group is assessed at year end, from %(date)s.")
                    % {"date": date_format(opens, "SHORT_DATE_FORMAT")},
                )
        self._check_order(data)
        return data

    def _check_order(self, data: dict) -> None:
        """Registration closes before any evidence is due, and proposals are
        due after all of it."""
        evidence = [
            day
            for name in ("evidence_due", "year_end_evidence_due")
            if (day := data.get(name)) is not None
        ] + [
            day
            for group in self.groups
            if (day := data.get(f"group_{group.pk}")) is not None
        ]
        if not evidence:
            return
        closes, proposals = data.get("registration_closes"), data.get("proposal_due")
        if closes is not None and closes > min(evidence):
            self.add_error(
                "registration_closes",
                _("Registration must close before evidence is due (%(date)s).")
                % {"date": date_format(min(evidence), "SHORT_DATE_FORMAT")},
            )
        if proposals is not None and proposals < max(evidence):
            self.add_error(
                "proposal_due",
                _("Proposals cannot be due before the last evidence (%(date)s).")
                % {"date": date_format(max(evidence), "SHORT_DATE_FORMAT")},
            )

    def save_for(self, *, province, actor) -> Calendar:
        """Save the dates as the calendar of (year, province): the row is
        made, or updated when another request made it meanwhile."""
        calendar, _made = Calendar.objects.update_or_create(
            year=self.year,
            province=province,
            defaults={
                **{name: self.cleaned_data.get(name) for name in self.Meta.fields},
                "set_by": actor,
                "set_at": timezone.now(),
            },
        )
        for group in self.groups:
            day = self.cleaned_data.get(f"group_{group.pk}")
            if day is None:
                GroupDeadline.objects.filter(calendar=calendar, group=group).delete()
            else:
                GroupDeadline.objects.update_or_create(
                    calendar=calendar, group=group, defaults={"evidence_due": day}
                )
        return calendar
