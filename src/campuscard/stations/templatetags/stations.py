from django import template

from campuscard.cards.states import State
from campuscard.stations import services

register = template.Library()


@register.inclusion_tag("stations/_send_to_print.html", takes_context=True)
def send_to_print_panel(context, cards):
    """"Send to print" for checked requests, offering the stations the user may use that serve
    every one of the cards."""
    cards = list(cards)
    user = context["request"].user
    establishments = {card.establishment_id for card in cards}
    eligible = bool(cards) and all(card.state == State.REQUEST_CHECKED for card in cards)
    stations = [station for station in services.stations_for(user)
                if establishments == {station.establishment_id}] if eligible else []
    return {"cards": cards, "stations": stations, "csrf_token": context.get("csrf_token")}
