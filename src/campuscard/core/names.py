"""Sentences built around a person's name that stay grammatical in French.

French elides "de" before a vowel: "la carte d'Alix", "d'Élodie", but "de Bertrand". A sentence
with a name is therefore given twice to the translator, with two contexts: "name starts with a
vowel" and "name starts with a consonant"; NamePhrase picks one by the name's first letter.
English translates both the same way.

The rule, kept simple on purpose: a name starts with a vowel when its first letter, accents
removed, is a, e, i, o, u, y or h (mute h: "d'Hélène", "d'Hugo"). The few names with an
aspirated h ("de Hugues" for some speakers) read "d'" too.
"""

import unicodedata

from django.utils.translation import pgettext_lazy

# The contexts are written out at each pgettext call: makemessages only reads literals.
VOWEL = "name starts with a vowel"
CONSONANT = "name starts with a consonant"
_ELIDING_LETTERS = set("aeiouyh")


def starts_with_vowel(name):
    """Whether French elides before `name` ("d'Alix", "d'Élodie", "d'Hugo"; not "Bertrand")."""
    text = unicodedata.normalize("NFD", str(name).strip())
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and letters[0].lower() in _ELIDING_LETTERS


class NamePhrase:
    """A sentence with %(name)s in two translations: before a vowel, before a consonant."""

    def __init__(self, before_vowel, before_consonant):
        self.before_vowel = before_vowel
        self.before_consonant = before_consonant

    def format(self, name, **values):
        form = self.before_vowel if starts_with_vowel(name) else self.before_consonant
        return str(form) % {"name": name, **values}


OF_NAME = NamePhrase(pgettext_lazy("name starts with a vowel", "of %(name)s"),
                     pgettext_lazy("name starts with a consonant", "of %(name)s"))


def of_name(name):
    """ "of Alix": in French "d'Alix" or "de Bertrand", once the two forms are translated."""
    return OF_NAME.format(name)
