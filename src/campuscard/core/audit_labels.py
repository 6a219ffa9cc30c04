"""What people read for an audit entry, an outbox event and an external system: plain,
translated words, never the codes the program keeps.

Each app registers the labels of its own action and event codes in its `actions.py` (found
by `discover()` when core starts); pushes (`push.<target>.<outcome>`) and admin edits
(`<model>.created|updated|deleted`) are described here for any target or model, so a target
added at run time (`export:doors-a`) reads well too. An unknown code never breaks a page.
"""

import datetime
import functools
import re
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.module_loading import module_has_submodule
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.core.models import OutboxItem

_ACTIONS = {}  # code -> lazy label
_FIELDS = {}  # key kept in before/after that is no model field -> lazy label
PUSH = re.compile(r"^push\.(?P<target>.+)\.(?P<outcome>done|failed|requested)$")
MODEL_CHANGE = re.compile(r"^(?P<model>[a-z0-9_]+)\.(?P<change>created|updated|deleted)$")
EVENT_KEYS = frozenset({"operation", "event"})  # their values are event codes

# What a push entry keeps (core.outbox._record_attempt), by the words people read.
PUSH_FIELDS = {
    "operation": gettext_lazy("event"),
    "object": gettext_lazy("about"),
    "attempt": gettext_lazy("attempt"),
    "status": gettext_lazy("result"),
}


def discover():
    """Import each CampusCard app's `actions` module, where it registers its labels."""
    for config in apps.get_app_configs():
        if config.name.startswith("campuscard.") and module_has_submodule(config.module,
                                                                          "actions"):
            import_module(f"{config.name}.actions")


def register_actions(labels):
    """{code: label} for the audit actions and outbox events an app writes."""
    _ACTIONS.update(labels)


def register_fields(labels):
    """{key: label} for the before/after keys that are not the field of a model."""
    _FIELDS.update(labels)


def registered_actions():
    return dict(_ACTIONS)


# --- actions and targets -----------------------------------------------------------------------

def action_label(code, after=None):
    """The sentence for an audit action or outbox event code, in the active language."""
    if code in _ACTIONS:
        return str(_ACTIONS[code])
    return (_push_label(code, after) or _model_change_label(code)
            or _("Other action (%(code)s)") % {"code": code})


def is_known(code):
    return (code in _ACTIONS or PUSH.match(code) is not None
            or _model_change_label(code) is not None)


def target_label(name):
    """What people read for an outbox target, looked up now: targets may come and go."""
    from campuscard.core import outbox

    target = outbox.targets().get(name)
    label = getattr(target, "label", "") if target is not None else ""
    return str(label) if label else humanise(name)


def humanise(code):
    """A readable name for a code nobody labelled: `export:doors-a` → "Export: doors a"."""
    words = re.sub(r"[_\-.]+", " ", str(code)).replace(":", ": ")
    return capfirst(re.sub(r"\s+", " ", words).strip())


def _push_label(code, after):
    match = PUSH.match(code)
    if match is None:
        return None
    target = target_label(match["target"])
    if match["outcome"] == "done":
        return _("Sent to %(target)s") % {"target": target}
    if match["outcome"] == "requested":
        return _("Sending to %(target)s again was asked for") % {"target": target}
    attempt = (after or {}).get("attempt") if isinstance(after, dict) else None
    if attempt:
        return _("Could not send to %(target)s (attempt %(attempt)s)") % {
            "target": target, "attempt": attempt}
    return _("Could not send to %(target)s") % {"target": target}


def _model_change_label(code):
    match = MODEL_CHANGE.match(code)
    model = match and _model(match["model"])
    if model is None:
        return None
    thing = model._meta.verbose_name
    return {"created": _("Created: %(thing)s"), "updated": _("Changed: %(thing)s"),
            "deleted": _("Deleted: %(thing)s")}[match["change"]] % {"thing": thing}


def _model(model_name):
    return _models_by_name().get(model_name)


@functools.cache
def _models_by_name():
    return {model._meta.model_name: model for model in apps.get_models()}


# --- one entry -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


def label_entries(entries):
    """Give each entry its `label`, `changes` and `reason_label`, for a page to show."""
    for entry in entries:
        entry.label = describe(entry)
        entry.changes = describe_changes(entry)
        entry.reason_label = reason_label(entry)
    return entries


def describe(entry):
    """The translated sentence for what an audit entry records."""
    return action_label(entry.action, entry.after)


def describe_changes(entry):
    """What changed, field by field, each field and value in words; a new record lists only
    the fields it was given."""
    model = _model(entry.object_type)
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    is_push = entry.action.startswith("push.")
    changes = []
    for name in dict.fromkeys([*before, *after]):
        old, new = (value_label(model, name, before.get(name), is_push),
                    value_label(model, name, after.get(name), is_push))
        if old == new or (name not in before and new in ("", 0)):
            continue
        changes.append(Change(field_label(model, name, is_push), old, new))
    return changes


def reason_label(entry):
    """The entry's reason, a code (a disable reason…) by its label, free text as written."""
    model = _model(entry.object_type)
    for field in model._meta.get_fields() if model is not None else ():
        choices = dict(getattr(field, "flatchoices", None) or ())
        if entry.reason and entry.reason in choices:
            return str(choices[entry.reason])
    return entry.reason


def field_label(model, name, is_push=False):
    if is_push and name in PUSH_FIELDS:
        return capfirst(PUSH_FIELDS[name])
    field = _field(model, name)
    if field is not None and getattr(field, "verbose_name", None):
        return capfirst(field.verbose_name)
    return capfirst(_FIELDS[name]) if name in _FIELDS else humanise(name)


def value_label(model, name, value, is_push=False):
    """A kept value as people read it: choices and codes by their label, dates localised."""
    if value is None:
        return ""
    if name in EVENT_KEYS and isinstance(value, str):
        return action_label(value)
    if is_push:
        return _push_value(name, value)
    field = _field(model, name)
    if field is not None:
        return _field_value(field, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return value


def _push_value(name, value):
    if name == "status" and value in OutboxItem.Status.values:
        return str(OutboxItem.Status(value).label)
    if name == "object" and isinstance(value, str) and ":" in value:
        object_type, object_id = value.split(":", 1)
        model = _model(object_type)
        thing = model._meta.verbose_name if model is not None else humanise(object_type)
        return f"{capfirst(thing)} {_readable_number(model, object_id) or '#' + object_id}"
    return value


def _readable_number(model, object_id):
    """The number people read for an object whose model has one (a card's `number`), else None."""
    if model is None or not isinstance(getattr(model, "number", None), property):
        return None
    found = model._default_manager.filter(pk=object_id).first() if object_id.isdigit() else None
    return found.number if found is not None else None


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _field_value(field, value):
    choices = dict(getattr(field, "flatchoices", None) or ())
    if choices and value in choices:
        return str(choices[value])
    if isinstance(field, models.BooleanField) and isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        return localised_datetime(value)
    if isinstance(field, models.DateField) and isinstance(value, str):
        parsed = parse_date(value)
        return formats.date_format(parsed, "SHORT_DATE_FORMAT") if parsed else value
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return value


def localised_datetime(value):
    """An ISO date-time (as the audit keeps it) in the reader's time zone and locale."""
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime.datetime):
        return value
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return formats.date_format(parsed, "SHORT_DATETIME_FORMAT")
