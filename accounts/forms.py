from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )


class ApiTokenForm(forms.Form):
    """A new API token: what it is for, and how long it lasts."""

    name = forms.CharField(
        label=_("What it is for"),
        max_length=100,
        help_text=_("For example: the province's reporting script."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        initial=90,
        choices=[
            (30, _("30 days")),
            (90, _("90 days")),
            (180, _("180 days")),
            (365, _("365 days")),
        ],
    )
