"""Codes in words, for templates: `{{ item.target|target_label }}`, `{{ code|event_label }}`."""

from django import template

from campuscard.core import audit_labels

register = template.Library()


@register.filter
def target_label(name):
    return audit_labels.target_label(name)


@register.filter
def event_label(code):
    return audit_labels.action_label(code)
