"""The numbers of a request (ids, pages, sizes), read at the boundary by `core.params`: as a
Django form field for pages and forms, as an annotated type for the API's ninja schemas, and
as a URL converter (`<id:card_id>`, registered by CoreConfig). Whatever reads them, a value a
query cannot hold is refused with the same translated message and never reaches the database.
"""

from typing import Annotated

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from campuscard.core import params
from campuscard.core.params import MAX_DATABASE_ID, MAX_PAGE

MAX_SELECTION = 1000


# --- form fields ---------------------------------------------------------------------------------

class WholeNumberField(forms.Field):
    """A whole number in [minimum, maximum]; empty gives `default` (None unless given).

    `name` is how the messages call the value (the parameter's name, or its label)."""

    widget = forms.NumberInput

    def __init__(self, *, name, minimum=0, maximum=MAX_DATABASE_ID, default=None, **kwargs):
        self.name, self.minimum, self.maximum, self.default = name, minimum, maximum, default
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return self.default
        return params.bounded_int(value, name=str(self.name), minimum=self.minimum,
                                  maximum=self.maximum)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.NumberInput) and not widget.is_hidden:
            attrs |= {"min": self.minimum, "max": self.maximum, "step": 1}
        return attrs


class DatabaseIdField(WholeNumberField):
    """The id of a row: 1 to what a big integer column holds."""

    widget = forms.HiddenInput

    def __init__(self, *, name="id", **kwargs):
        super().__init__(name=name, minimum=1, maximum=MAX_DATABASE_ID, **kwargs)


class PageField(WholeNumberField):
    """A page number, 1 when not given."""

    def __init__(self, *, name="page", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(name=name, minimum=1, maximum=MAX_PAGE, default=1, **kwargs)


def page_number(data, name="page"):
    """The page asked for in `data` (a QueryDict) under `name`; ValidationError if invalid."""
    return PageField(name=name).clean(data.get(name))


class DatabaseIdListField(forms.Field):
    """Row ids from a repeated parameter (?card=1&card=2), sorted, each once, at least one."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one item."),
        "invalid": _("The selection is not valid; reload the page and try again."),
        "too_many": _("Select at most %(max)d items at once."),
    }

    def __init__(self, *, max_count=MAX_SELECTION, **kwargs):
        self.max_count = max_count
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > self.max_count:
            raise self.too_many()
        ids = sorted({self.one_id(raw) for raw in values})
        if len(ids) > self.max_count:
            raise self.too_many()
        return ids

    def one_id(self, raw):
        try:
            return params.database_id(raw)
        except ValidationError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def too_many(self):
        return ValidationError(self.error_messages["too_many"], code="too_many",
                               params={"max": self.max_count})


# --- API (pydantic) types ------------------------------------------------------------------------

def whole_number(name, minimum=0, maximum=MAX_DATABASE_ID):
    """An int type for ninja schemas, read by `params.bounded_int`; the bounds show in OpenAPI."""

    def check(value):
        try:
            return params.bounded_int(value, name=name, minimum=minimum, maximum=maximum)
        except ValidationError as exc:
            raise PydanticCustomError(exc.code or "invalid", "{reason}",
                                      {"reason": " ".join(exc.messages)}) from None

    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(check)]


ApiPage = whole_number("page", 1, MAX_PAGE)
ApiDatabaseId = whole_number("id", 1, MAX_DATABASE_ID)


# --- URL converter -------------------------------------------------------------------------------

class DatabaseIdConverter:
    """`<id:name>`: a row id. Anything else, a number too large included, is no match (404)."""

    regex = f"[0-9]{{1,{params.MAX_DIGITS}}}"

    def to_python(self, value):
        if not params.is_database_id(int(value)):
            raise ValueError(value)
        return int(value)

    def to_url(self, value):
        return str(value)
