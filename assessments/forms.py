from typing import cast

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DayMonthYearField, FigureField
from core.numbers import whole_number
from criteria.models import Criterion, Indicator

from .models import Enrolment, Evidence, Proposal, Track
from .uploads import accept_attribute


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            if not self.required:
                return []
            raise forms.ValidationError(_("Choose at least one file."))
        if len(files) > settings.EVIDENCE_MAX_FILES_PER_UPLOAD:
            raise forms.ValidationError(
                _("Send at most %(count)d files at once.")
                % {"count": settings.EVIDENCE_MAX_FILES_PER_UPLOAD}
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    # The field is called "files" in the page; Django takes declared fields
    # off the class, so Form.files (the uploaded files) is not shadowed.
    files = MultipleFileField(label=_("Files"))  # type: ignore[assignment]
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    document_date = DayMonthYearField(
        label=_("Date of the document (dd/mm/yyyy)"), required=False
    )
    valid_until = DayMonthYearField(
        label=_("Valid until (dd/mm/yyyy, for a certificate or an inspection record)"),
        required=False,
    )

    def __init__(self, *args, files_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = accept_attribute()
        self.fields["files"].required = files_required

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("document_date"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error(
                "valid_until",
                _("A document cannot be valid until a day before its own date."),
            )
        return cleaned


class ValidityForm(forms.Form):
    """How long a piece of evidence holds; empty for no end date."""

    valid_until = DayMonthYearField(
        label=_("Valid until (dd/mm/yyyy; empty: no end date)"), required=False
    )

    def __init__(self, *args, document_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.document_date = document_date

    def clean_valid_until(self):
        end = self.cleaned_data.get("valid_until")
        if end and self.document_date and end < self.document_date:
            raise forms.ValidationError(
                _("A document cannot be valid until a day before its own date.")
            )
        return end


class ReplacementForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the ward (optional)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Give the reason, so the ward knows what to fix.")
        },
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentThreadForm(forms.Form):
    """A message in a criterion's conversation, with a file if need be."""

    text = forms.CharField(
        label=_("Message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write the message before sending it."),
            "max_length": _("A message holds at most %(limit_value)d characters."),
        },
    )
    file = forms.FileField(label=_("A file (optional)"), required=False)


class FileChoiceField(forms.ModelChoiceField):
    """Files of a dossier, by the name they were uploaded with."""

    def label_from_instance(self, obj) -> str:
        return obj.original_name


class IndicatorValueForm(forms.Form):
    """A ward's figure for one of the criterion's indicators."""

    indicator: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Indicator"), queryset=Indicator.objects.none(), empty_label=None
    )
    period_end = DayMonthYearField(
        label=_("Period ends on (dd/mm/yyyy)"),
        help_text=_("From 1 January to this day, or on this day."),
    )
    value = FigureField(label=_("Figure"))
    source = forms.CharField(
        label=_("Source document"),
        max_length=255,
        help_text=_("The report the figure comes from: its number, date and issuer."),
        error_messages={
            "required": _("Say which document the figure comes from."),
        },
    )
    evidence: forms.ModelChoiceField = FileChoiceField(
        label=_("Its file in the dossier (optional)"),
        queryset=Evidence.objects.none(),
        required=False,
    )

    def __init__(self, *args, assessment, **kwargs):
        super().__init__(*args, **kwargs)
        indicator = cast(forms.ModelChoiceField, self.fields["indicator"])
        indicator.queryset = assessment.criterion.indicators.all()
        evidence = cast(forms.ModelChoiceField, self.fields["evidence"])
        evidence.queryset = assessment.evidence.filter(withdrawn_at=None)


class QuotaForm(forms.Form):
    province = forms.CharField(max_length=8)
    year = forms.IntegerField(min_value=2000, max_value=2100)
    wards = forms.IntegerField(
        label=_("Quota of wards"),
        min_value=0,
        max_value=9999,
        error_messages={
            "invalid": _("A quota is a whole number of wards, 0 or more."),
            "min_value": _("A quota is a whole number of wards, 0 or more."),
            "max_value": _("A quota is a whole number of wards, 0 or more."),
            "required": _("A quota is a whole number of wards, 0 or more."),
        },
    )


class ProposeForm(forms.Form):
    note = forms.CharField(
        label=_("Covering note (optional)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RowChoices(forms.ModelMultipleChoiceField):
    """Rows ticked by their keys; a value that is no key of a row (a letter,
    "²", more digits than any key) is refused before it reaches the database."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else []:
            if whole_number(pk, 18) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class CriterionChoices(RowChoices):
    def label_from_instance(self, obj) -> str:
        return f"{obj.number}. {obj.display_title}"


class ProposalChoices(RowChoices):
    def label_from_instance(self, obj) -> str:
        ward = obj.enrolment.ward
        return (
            f"{ward.full_name}, {ward.province.name} "
            f"({obj.enrolment.year}, {obj.get_track_display()})"
        )


class ReturnProposalForm(ReasonForm):
    """The criteria in question and why: exactly those are reopened."""

    criteria = CriterionChoices(
        label=_("Criteria in question"),
        queryset=Criterion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the criteria in question.")},
    )

    def __init__(self, *args, proposal, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(CriterionChoices, self.fields["criteria"])
        field.queryset = Criterion.objects.filter(
            criteria_set_id=proposal.enrolment.criteria_set_id
        ).order_by("number")


class DecisionForm(forms.Form):
    """A signed decision: what it says, its scan, and the wards it names."""

    track = forms.ChoiceField(label=_("Level"), choices=Track.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    number = forms.CharField(
        label=_("Number"),
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "1234/QĐ-BCA-V05"}),
    )
    date = DayMonthYearField(label=_("Date signed (dd/mm/yyyy)"))
    signer = forms.CharField(
        label=_("Signed by (name and title)"),
        max_length=200,
    )
    scan = forms.FileField(
        label=_("Signed scan (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf"}),
    )
    proposals = ProposalChoices(
        label=_("Wards recognised"),
        queryset=Proposal.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the wards the decision recognises.")},
    )
    note = forms.CharField(
        label=_("Note (for a correction: what it corrects)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(
                _("A decision is recorded once it is signed: this date is to come.")
            )
        return date

    def __init__(self, *args, user, corrects=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Accepted proposals no decision in force lists yet, where the user
        # decides; for a correction, also those the corrected one lists.
        candidates = Proposal.objects.decided_by(user).filter(
            status=Proposal.Status.ACCEPTED
        )
        waiting = Q(enrolment__stage=Enrolment.Stage.ACCEPTED)
        if corrects is not None:
            waiting |= Q(pk__in=corrects.proposals.values("pk"))
            candidates = candidates.filter(
                track=corrects.track, enrolment__year=corrects.year
            )
            self.initial.update(
                track=corrects.track,
                year=corrects.year,
                proposals=list(corrects.proposals.values_list("pk", flat=True)),
            )
            self.fields["note"].required = True
        field = cast(ProposalChoices, self.fields["proposals"])
        field.queryset = (
            candidates.filter(waiting)
            .select_related("enrolment__ward__province")
            .order_by("enrolment__year", "enrolment__ward__province__name")
        )
        # The year and level of the proposals waiting, when they are all one.
        waiting_for = set(field.queryset.values_list("enrolment__year", "track"))
        if len(waiting_for) == 1:
            [(year, track)] = waiting_for
            self.initial.setdefault("year", year)
            self.initial.setdefault("track", track)
