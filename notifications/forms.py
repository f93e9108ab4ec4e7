from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Delivery, Digest, Kind, Preference
from .services import DEFAULT_DELIVERY

DIGEST_CHOICES = [
    (Delivery.EMAIL, _("Send it")),
    (Delivery.NONE, _("Do not send it")),
]


class PreferencesForm(forms.Form):
    """One choice per kind of notification, and one per digest."""

    def __init__(self, *args, user, digests=Digest.values, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.digests = list(digests)
        chosen = dict(
            Preference.objects.filter(user=user).values_list("kind", "delivery")
        )
        for kind, label in Kind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=Delivery.choices,
                initial=chosen.get(kind, DEFAULT_DELIVERY),
                widget=forms.RadioSelect,
            )
        for digest, label in Digest.choices:
            if digest not in self.digests:
                continue
            self.fields[digest] = forms.ChoiceField(
                label=label,
                choices=DIGEST_CHOICES,
                initial=chosen.get(digest, Delivery.EMAIL),
                widget=forms.RadioSelect,
            )

    def kind_fields(self):
        return [self[kind] for kind in Kind.values]

    def digest_fields(self):
        return [self[digest] for digest in self.digests]

    def save(self) -> None:
        for kind, delivery in self.cleaned_data.items():
            Preference.objects.update_or_create(
                user=self.user, kind=kind, defaults={"delivery": delivery}
            )
