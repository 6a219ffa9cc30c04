"""What a template's CSS can tell apart, read from its selectors: whether two ways of laying
out the same cards give the same pixels (art.py: an `<img>` for an `<svg>`; workers.py: a
side shared by several cards of a batch laid out once). Django-free, for the batch workers."""

from functools import lru_cache

import tinycss2

TYPE_SENSITIVE = frozenset({"empty", "first-of-type", "last-of-type", "only-of-type",
                            "nth-of-type", "nth-last-of-type"})
POSITION_SENSITIVE = frozenset({"first-child", "last-child", "only-child", "nth-child",
                                "nth-last-child"}) | TYPE_SENSITIVE
SIBLING_COMBINATORS = frozenset({"+", "~"})


@lru_cache(maxsize=64)
def tells_img_from_svg(css):
    """Whether a rule could style an `<img>` other than the `<svg>` it replaces: one naming
    either element, an attribute selector, `:empty` or a `*-of-type` pseudo-class."""
    for previous, token in _selector_tokens(css):
        if token.type == "[] block":
            return True
        if token.type == "ident" and token.lower_value in ("svg", "img") and not (
                _is_literal(previous, ".") or _is_literal(previous, ":")):
            return True
        if _pseudo_class(previous, token) in TYPE_SENSITIVE:
            return True
    return False


@lru_cache(maxsize=64)
def depends_on_position(css):
    """Whether a card side could look different for where it stands in the page among other
    sides: a sibling combinator, a `*-child` or `*-of-type` pseudo-class, or a counter."""
    if "counter" in (css or "").lower():
        return True
    return any(_pseudo_class(previous, token) in POSITION_SENSITIVE
               or (token.type == "literal" and token.value in SIBLING_COMBINATORS)
               for previous, token in _selector_tokens(css))


@lru_cache(maxsize=64)
def depends_on_siblings(css):
    """Whether taking elements out of a side could change how the rest of it is styled: what
    `depends_on_position` looks for, or `:has()`, which reads an element's descendants."""
    return depends_on_position(css) or any(
        _pseudo_class(previous, token) == "has" for previous, token in _selector_tokens(css))


def _selector_tokens(css):
    """(the token before or None, the token) for every token of every selector, nested rules
    and the arguments of functional pseudo-classes included."""
    for prelude in _preludes(tinycss2.parse_stylesheet(css or "", skip_comments=True,
                                                       skip_whitespace=True)):
        yield from _pairs(prelude)


def _preludes(rules):
    for rule in rules:
        if rule.type not in ("qualified-rule", "at-rule"):
            continue
        if rule.type == "qualified-rule":
            yield rule.prelude
        if rule.content is not None:
            yield from _preludes(tinycss2.parse_blocks_contents(
                rule.content, skip_comments=True, skip_whitespace=True))


def _pairs(tokens):
    previous = None
    for token in tokens:
        if token.type in ("whitespace", "comment"):
            previous = None
            continue
        yield previous, token
        yield from _pairs(getattr(token, "arguments", None) or getattr(token, "content", None)
                          or ())
        previous = token


def _is_literal(token, value):
    return token is not None and token.type == "literal" and token.value == value


def _pseudo_class(previous, token):
    if not _is_literal(previous, ":"):
        return None
    if token.type == "ident":
        return token.lower_value
    return token.lower_name if token.type == "function" else None
