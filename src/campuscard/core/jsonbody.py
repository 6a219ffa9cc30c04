"""JSON bodies from outside, read with limits: a size, a nesting depth, and no NUL character in
any string (keys included). `load_json(body)` returns the value or raises BadJson with a
translated reason; callers turn it into their own 400."""

import json

from django.utils.translation import gettext as _

MAX_BYTES = 1_048_576
MAX_DEPTH = 32


class BadJson(ValueError):
    pass


def load_json(body, *, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH):
    if len(body or b"") > max_bytes:
        raise BadJson(_("The body is too large (at most %(size)s bytes).") % {"size": max_bytes})
    try:
        data = json.loads(body or b"")
    except RecursionError:
        raise BadJson(_("The body is nested too deeply.")) from None
    except (ValueError, UnicodeDecodeError):
        raise BadJson(_("The body is not valid JSON.")) from None
    _check(data, max_depth)
    return data


def _check(value, depth_left):
    """Walk `value` without recursion (json.loads accepts up to ~1000 levels)."""
    stack = [(value, depth_left)]
    while stack:
        item, left = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise BadJson(_("Text may not contain a NUL character."))
        elif isinstance(item, dict | list):
            if left <= 0:
                raise BadJson(_("The body is nested too deeply (at most %(depth)s levels).")
                              % {"depth": MAX_DEPTH})
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, left - 1) for child in children)
