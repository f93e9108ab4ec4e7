"""Form fields shared by the apps."""

import re
from decimal import Decimal

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


class FigureField(forms.DecimalField):
    """A figure typed as people write it, "92,5" or "92.5" alike, with at
    most two decimals. A separator followed by three digits ("1.234") is
    refused rather than read as 1.234 or 1234 depending on the language, and
    so is a space inside the number ("1 234")."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {
        "invalid": _("Write a number, e.g. 92,5."),
        "thousands": _(
            "Write the number without separators between thousands: 1234, not "
            "1.234 or 1 234."
        ),
        "required": _("Write the figure."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if re.fullmatch(r"-?[0-9]{1,3}([ .,\u00a0][0-9]{3})+([.,][0-9]+)?", text):
            raise forms.ValidationError(
                self.error_messages["thousands"], code="thousands"
            )
        if not re.fullmatch(r"-?[0-9]+([.,][0-9]{1,2})?", text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return Decimal(text.replace(",", "."))
