"""Writing a card's values into its holder's entry, from the card as it is at delivery time:
enabled → our values are there; any other state → they are not. Retries and late rows
therefore always converge on the card's current truth."""

import logging

from django.utils.translation import gettext as _

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.integrations.ldap_writeback.client import Directory
from campuscard.integrations.ldap_writeback.models import WrittenValues
from campuscard.integrations.ldap_writeback.templating import card_values, render

logger = logging.getLogger("campuscard.ldap_writeback")


def sync_card_by_id(write_back, card_id):
    """Make the directory hold the card's current truth; returns a note when nothing was
    written (no entry for the holder, the card gone)."""
    card = Card.objects.select_related("person", "establishment").filter(pk=card_id).first()
    if card is None:
        return _("The card no longer exists: nothing to write.")
    record = WrittenValues.objects.filter(write_back=write_back, card=card).first()
    with Directory(write_back) as directory:
        if card.state == State.ENABLED:
            return write_values(directory, write_back, card, record)
        return erase_values(directory, write_back, card, record)


def values_for(write_back, card, state=None):
    """{attribute: [value, …]} and the replaced attributes; a value whose placeholders are
    empty for this card is left out."""
    values = card_values(card)
    if state:
        values["state"] = state
    written, single = {}, []
    for attribute, templates, replaced in write_back.mappings():
        rendered = [value for value in (render(t, values) for t in templates) if value]
        if rendered:
            written[attribute] = rendered
            if replaced:
                single.append(attribute)
    return written, single


def write_values(directory, write_back, card, record):
    dn = directory.find_dn(card.person.eppn)
    if dn is None:
        return no_entry(write_back, card)
    values, single = values_for(write_back, card)
    if record is not None:  # what an earlier write left that this one would not write
        for attribute, old in record.values.items():
            for value in old:
                if record.dn != dn or value not in values.get(attribute, []):
                    directory.remove_value(record.dn, attribute, value)
    for attribute, new in values.items():
        for value in new:
            if attribute in single:
                directory.replace_value(dn, attribute, value)
            else:
                directory.add_value(dn, attribute, value)
    WrittenValues.objects.update_or_create(write_back=write_back, card=card,
                                           defaults={"dn": dn, "values": values,
                                                     "single": single})
    return None


def erase_values(directory, write_back, card, record):
    if record is not None:
        dn, values = record.dn, record.values
    else:  # nothing recorded: remove what an enabled card would have written, if anything
        dn = directory.find_dn(card.person.eppn)
        if dn is None:
            return no_entry(write_back, card)
        values, _single = values_for(write_back, card, state=State.ENABLED)
    for attribute, old in values.items():
        for value in old:
            directory.remove_value(dn, attribute, value)
    if record is not None:
        record.delete()
    return None


def no_entry(write_back, card):
    """Like ESUP-SGC, a holder the directory does not know is not an error (a guest, an
    external card): the push is done, with a note that says so."""
    logger.info("ldap write-back %s: no entry for card %s", write_back.code, card.pk)
    return _("No entry of the directory matches the holder (%(eppn)s): nothing written.") % {
        "eppn": card.person.eppn}
