"""Template strings rendered by Django's engine, locked down: autoescape on, no {% load %},
{% include %} or {% extends %}, no `safe` filter, nothing but the variables given
(docs/printing.md lists them). The extra {% fit %} tag sizes a line of text to its box."""

from functools import cache, lru_cache

from django.template import Context, Engine, Library, Variable, defaultfilters, defaulttags
from django.template.base import FilterExpression
from django.template.defaulttags import IfNode
from django.utils.html import format_html

from campuscard.printing.fitting import fit_text

ALLOWED_TAGS = ("if", "for", "with", "comment", "firstof", "spaceless", "verbatim",
                "templatetag", "cycle", "now")
BLOCKED_FILTERS = ("safe", "safeseq", "pprint", "json_script")

card_tags = Library()
for _name in ALLOWED_TAGS:
    card_tags.tag(_name, defaulttags.register.tags[_name])
for _name, _filter in defaultfilters.register.filters.items():
    if _name not in BLOCKED_FILTERS:
        card_tags.filters[_name] = _filter


@card_tags.simple_tag
def fit(text, width, max=9, min=5, face="bold"):
    """{% fit last_name width=52 max=11 min=6 %}: a line at the largest size from max down to
    min (points) that fits `width` millimetres, else cut at min with an ellipsis."""
    fitted = fit_text(text or "", float(width), max_pt=float(max), min_pt=float(min), face=face)
    return format_html(
        '<span class="fit{}" style="font-size: {}pt; max-width: {}mm" data-size="{}">{}</span>',
        " fit-cut" if fitted.cut else "", fitted.size_pt, width, fitted.size_pt, fitted.text)


class CardEngine(Engine):
    default_builtins = []


@cache
def card_engine():
    engine = CardEngine(autoescape=True, debug=False, loaders=[], libraries={})
    engine.template_builtins = [card_tags]
    return engine


@lru_cache(maxsize=64)
def compiled(source):
    """A template's side compiled once: a batch renders the same source for every card."""
    return card_engine().from_string(source)


def render_string(source, variables):
    return compiled(source).render(Context(variables, autoescape=True))


def unknown_names(source, known):
    """The variables `source` reads that are neither in `known` nor bound by the template
    itself ({% for %}, {% with %}, `as`): a typo like {{ lastname }} prints nothing, silently."""
    template = card_engine().from_string(source)
    read, bound = set(), {"forloop"}
    for node in _nodes(template.nodelist):
        bound.update(_bound_by(node))
        for expression in _expressions(node):
            read.update(_names_in(expression))
    return sorted(read - bound - set(known))


def _nodes(nodelist):
    for node in nodelist:
        yield node
        if isinstance(node, IfNode):
            for _condition, branch in node.conditions_nodelists:
                yield from _nodes(branch)
            continue
        for name in getattr(node, "child_nodelists", ()):
            yield from _nodes(getattr(node, name, None) or ())


def _bound_by(node):
    names = list(getattr(node, "loopvars", ()))  # {% for a, b in … %}
    names += list(getattr(node, "extra_context", {}) or {})  # {% with a=… %}
    names += [getattr(node, attr) for attr in ("target_var", "variable_name")
              if isinstance(getattr(node, attr, None), str)]  # … as name
    return names


def _expressions(node):
    if isinstance(node, IfNode):
        for condition, _branch in node.conditions_nodelists:
            yield from _condition_expressions(condition)
    for value in vars(node).values():
        values = value.values() if isinstance(value, dict) else (
            value if isinstance(value, list | tuple) else [value])
        yield from (item for item in values if isinstance(item, FilterExpression))


def _condition_expressions(condition):
    if condition is None:
        return
    if isinstance(getattr(condition, "value", None), FilterExpression):
        yield condition.value
    for side in ("first", "second"):
        yield from _condition_expressions(getattr(condition, side, None))


def _names_in(expression):
    variables = [expression.var] + [argument for _filter, arguments in expression.filters
                                    for is_variable, argument in arguments if is_variable]
    return {variable.lookups[0] for variable in variables
            if isinstance(variable, Variable) and variable.lookups}
