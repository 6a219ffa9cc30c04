"""The card request form: a photo with its crop, the delivery and the rules.

Consents come with the account's `ConsentForm` (prefixed), so that both pages share it.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campuscard.cards.models import DeliveryMode
from campuscard.cards.photos import CropBox
from campuscard.core.fields import WholeNumberField

ACCEPTED_TYPES = "image/jpeg,image/png,image/webp"
CROP_FIELDS = ("crop_x", "crop_y", "crop_width", "crop_height")
ROTATIONS = [(str(angle), str(angle)) for angle in (0, 90, 180, 270)]
MAX_SIDE = 1_000_000  # pixels: far beyond any photo CAMPUSCARD_PHOTO_MAX_PIXELS lets through


def _hidden_int(name, minimum):
    return WholeNumberField(name=name, minimum=minimum, maximum=MAX_SIDE, required=False,
                            widget=forms.HiddenInput)


class PhotoForm(forms.Form):
    """A photo file and how the student framed it in the browser (see photo-picker.js).

    The crop is in pixels of the picture as shown (EXIF orientation applied), after a
    clockwise `rotation`; without JavaScript the crop fields stay empty: the server centres."""

    photo = forms.FileField(
        label=_("Photo file"), required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    crop_x = _hidden_int("crop_x", 0)
    crop_y = _hidden_int("crop_y", 0)
    crop_width = _hidden_int("crop_width", 1)
    crop_height = _hidden_int("crop_height", 1)
    rotation = forms.TypedChoiceField(choices=ROTATIONS, coerce=int, required=False,
                                      empty_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, establishment, photo_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.establishment = establishment
        self.photo_required = photo_required
        self.photo_size = (establishment.photo_width, establishment.photo_height)
        self.photo_max_bytes = settings.CAMPUSCARD_PHOTO_MAX_BYTES
        self.photo_max_mb = self.photo_max_bytes / (1024 * 1024)
        if photo_required:
            self.fields["photo"].widget.attrs["required"] = True

    def clean(self):
        data = super().clean()
        self._clean_framing(data)
        if self.photo_required and not data.get("photo") and not self.has_error("photo"):
            self.add_error("photo", _("Choose a photo of yourself."))
        return data

    def _clean_framing(self, data):
        """Crop fields: none (centred) or all four; any error shows next to the photo."""
        framing = [*CROP_FIELDS, "rotation"]
        if any(self.has_error(name) for name in framing):
            for name in framing:
                self.errors.pop(name, None)
            self.add_error("photo", _("The framing of the photo is invalid: frame it again."))
            return
        given = [data.get(name) is not None for name in CROP_FIELDS]
        if any(given) and not all(given):
            self.add_error("photo", _("The framing of the photo is incomplete: frame it again."))

    def crop_box(self):
        """The student's CropBox, or None for a centred crop."""
        values = [self.cleaned_data.get(name) for name in CROP_FIELDS]
        return None if None in values else CropBox(*values)


class CardRequestForm(PhotoForm):
    delivery_mode = forms.ChoiceField(label=_("How do you want to get your card?"),
                                      widget=forms.RadioSelect)
    postal_address = forms.CharField(
        label=_("Postal address"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
    )
    accept_rules = forms.BooleanField(label=_("I have read and I accept these rules."))

    def __init__(self, *args, establishment, **kwargs):
        super().__init__(*args, establishment=establishment, **kwargs)
        modes = establishment.delivery_modes
        self.fields["delivery_mode"].choices = [(mode, DeliveryMode(mode).label)
                                                for mode in modes]
        if len(modes) == 1:
            self.fields["delivery_mode"].initial = modes[0]
        if "postal" not in modes:
            del self.fields["postal_address"]
        self.rules = establishment.rules
        if not self.rules:
            del self.fields["accept_rules"]

    def clean(self):
        data = super().clean()
        address = (data.get("postal_address") or "").strip()
        if data.get("delivery_mode") == DeliveryMode.POSTAL and not address:
            self.add_error("postal_address", _("Give the address the card should be sent to."))
        return data

    def request_details(self):
        """What `submit_request` needs besides the photo and the consents."""
        data = self.cleaned_data
        postal = data["delivery_mode"] == DeliveryMode.POSTAL
        return {
            "delivery_mode": data["delivery_mode"],
            "postal_address": data.get("postal_address", "").strip() if postal else "",
            "rules_accepted": bool(data.get("accept_rules")),
        }
