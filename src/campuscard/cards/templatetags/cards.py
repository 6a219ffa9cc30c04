"""The card as people read it, in templates: {% load cards %} then card|card_title etc."""

from django import template

from campuscard.cards import display

register = template.Library()


@register.filter
def card_title(card):
    return display.card_title(card)


@register.filter
def select_card_label(card):
    return display.select_card_label(card)


@register.filter
def photo_label(person):
    return display.photo_label(person)
