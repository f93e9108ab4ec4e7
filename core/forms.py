"""Form fields shared by the apps."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DayMonthYearField(forms.DateField):
    """A date typed as dd/mm/yyyy whatever the browser's language: a text
    field, not the browser's date picker, which shows its own locale's order."""

    widget = forms.DateInput(
        format="%d/%m/%Y",
        attrs={
            "placeholder": _("dd/mm/yyyy"),
            "inputmode": "numeric",
            "autocomplete": "off",
            "size": 10,
            "maxlength": 10,
        },
    )
    input_formats = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
    default_error_messages = {
        # 31/02/2026 is written right but is no date: the message says both.
        "invalid": _(
            "Write the date as dd/mm/yyyy, e.g. 15/03/2026, and check that the "
            "day exists."
        ),
    }
