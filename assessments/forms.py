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
    document_date = forms.DateField(
        label=_("Date of the document"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = accept_attribute()


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
