from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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
    # Typed as dd/mm/yyyy whatever the browser's language: a text field, not
    # the browser's date picker, which shows its own locale's order.
    document_date = forms.DateField(
        label=_("Date of the document (dd/mm/yyyy)"),
        required=False,
        widget=forms.DateInput(
            format="%d/%m/%Y",
            attrs={
                "placeholder": _("dd/mm/yyyy"),
                "inputmode": "numeric",
                "autocomplete": "off",
                "size": 10,
                "maxlength": 10,
            },
        ),
        input_formats=["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"],
        error_messages={"invalid": _("Write the date as dd/mm/yyyy, e.g. 15/03/2026.")},
    )

    def __init__(self, *args, files_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = accept_attribute()
        self.fields["files"].required = files_required


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
