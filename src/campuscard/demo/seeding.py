"""Synthetic load data for `campuscard seed`: many people and cards, written in bulk.

This path bypasses the services on purpose, for speed: no audit entries, no outbox rows, no
photos. It exists to measure searches and pages on a realistic volume, never to fill a real
instance. The lifecycle's invariants still hold: at most one ENABLED card and one request in
progress per person (always their latest card), unique eppn, CSN and ESCN.

On PostgreSQL rows go in through COPY; on other databases through bulk_create.
"""

import datetime
import random
import time
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from campuscard.cards.models import Card, NumberCounter
from campuscard.cards.numbers import ACCESS_CONTROL
from campuscard.cards.states import PENDING_STATES, RENEWABLE_STATES, State
from campuscard.demo.story import ESTABLISHMENTS, POPULATIONS, ascii_slug
from campuscard.esc.escn import generate_escn
from campuscard.institutions.models import Establishment
from campuscard.people.models import Person, Population

_FIRST = (
    "Emma Jade Louise Alice Chloé Lina Léa Rose Anna Mila Inès Ambre Julia Mia Léna Manon Juliette "
    "Lou Zoé Camille Sarah Agathe Jeanne Nina Romane Eva Iris Margaux Lucie Clara Yasmine Fatou "
    "Aïcha Mei Sofia Gabriel Léo Raphaël Arthur Louis Lucas Adam Jules Hugo Maël Liam Noah Paul "
    "Ethan Tiago Sacha Gabin Nathan Mohamed Aaron Théo Noé Tom Victor Martin Axel Mathis Yanis "
    "Rayan Malo Baptiste Maxime Antoine Quentin Youssef Ibrahima Kenji Pierre Thomas Nicolas"
)
_LAST = (  # a space inside a name is written "_"
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre "
    "Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau "
    "Vincent Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François "
    "Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier "
    "Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard "
    "Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard "
    "Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix "
    "Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume "
    "Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Louis "
    "Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty "
    "Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé "
    "Schneider Fernandez Le_Gall Collet Léger Bouvier Julien Prévost Millet Perrot Daniel "
    "Nguyen Tran Diallo Traoré Benali Haddad Da_Silva Ferreira Kone Cissé Yilmaz Mendy"
)
FIRST_NAMES = _FIRST.split()
LAST_NAMES = [name.replace("_", " ") for name in _LAST.split()]

# The state of a person's latest card, and of the cards before it (their history).
LATEST_WEIGHTS = {
    State.ENABLED: 55, State.DISABLED: 8, State.CADUC: 12, State.DESTROYED: 3, State.NEW: 5,
    State.RENEWED: 2, State.REQUEST_CHECKED: 3, State.IN_PRINT: 2, State.PRINTED: 2,
    State.IN_ENCODE: 1, State.ENCODED: 2, State.REJECTED: 2, State.CANCELED: 3,
}
HISTORY_WEIGHTS = {State.CADUC: 40, State.DISABLED: 33, State.DESTROYED: 17,
                   State.REJECTED: 5, State.CANCELED: 5}
ENCODED_STATES = {State.ENCODED, State.ENABLED, State.DISABLED, State.CADUC, State.DESTROYED}
WAS_ENABLED = ENCODED_STATES - {State.ENCODED}
DISABLE_REASONS = ["LOST", "LOST", "THEFT", "OUT_OF_ORDER", "REPLACED", "REPLACED"]
HISTORY_YEARS = 5
CSN_MASK = (1 << 48) - 1
CSN_MULTIPLIER = 0x9E3779B97F4B  # odd: multiplying by it is a bijection modulo 2**48


@dataclass
class SeedReport:
    people: int = 0
    cards: int = 0
    seconds: float = 0.0


def seed(people, cards, establishments=2, batch=10_000, rng=None, progress=None):
    """Add `people` people and `cards` cards (spread over those people) to the database."""
    started = time.monotonic()
    seeder = Seeder(rng or random.Random(), ensure_establishments(establishments),
                    ensure_populations())
    counts = cards_per_person(people, cards, seeder.rng)
    for start in range(0, people, batch):
        seeder.write_batch(counts[start:start + batch])
        if progress:
            progress(seeder.report)
    finish()
    seeder.report.seconds = time.monotonic() - started
    return seeder.report


def ensure_establishments(count):
    """The two demo establishments first, then synthetic ones as needed."""
    found = []
    for index in range(count):
        if index < len(ESTABLISHMENTS):
            data = dict(ESTABLISHMENTS[index])
        else:
            data = {"code": f"load-{index}", "name": f"Établissement de charge {index}",
                    "pic": f"{900000000 + index:09d}", "escn_prefix": f"{index % 1000:03d}"}
        code = data.pop("code")
        found.append(Establishment.objects.get_or_create(code=code, defaults=data)[0])
    return found


def ensure_populations():
    return [Population.objects.get_or_create(code=code, defaults={"name_en": en, "name_fr": fr})[0]
            for code, en, fr, _fee in POPULATIONS]


def cards_per_person(people, cards, rng):
    """Every card goes to a person drawn at random: some have many, some none."""
    counts = [0] * people
    if people:
        for _ in range(cards):
            counts[rng.randrange(people)] += 1
    return counts


def finish():
    """Move id sequences past the ids we chose, and refresh the planner's statistics."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Person, Card]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            # VACUUM also fills the visibility map, which index-only scans (counts) rely on.
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            for model in (Person, Card):
                cursor.execute(f"{verb} {connection.ops.quote_name(model._meta.db_table)}")


class Seeder:
    def __init__(self, rng, establishments, populations):
        self.rng = rng
        self.establishments = establishments
        self.populations = populations
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.next_person_id = (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_card_id = (Card.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.access_control_number = (NumberCounter.objects.filter(name=ACCESS_CONTROL)
                                      .values_list("last", flat=True).first() or 0)
        self.report = SeedReport()

    def write_batch(self, counts):
        people, cards = [], []
        for count in counts:
            person = self.person_row()
            people.append(person)
            cards += self.card_rows(person, count)
        with transaction.atomic():
            write_rows(Person, people)
            write_rows(Card, cards)
            self.save_access_control_counters()
        self.report.people += len(people)
        self.report.cards += len(cards)

    def save_access_control_counters(self):
        NumberCounter.objects.update_or_create(name=ACCESS_CONTROL,
                                               defaults={"last": self.access_control_number})

    # --- people ---

    def person_row(self):
        rng, pid = self.rng, self.next_person_id
        self.next_person_id += 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        establishment = rng.choices(self.establishments, weights=self.weights())[0]
        population = rng.choices(self.populations, weights=[85, 10, 5][:len(self.populations)])[0]
        domain = f"{establishment.code}.example.org"
        login = f"{ascii_slug(first)}.{ascii_slug(last)}{pid}"
        return {
            "id": pid, "eppn": f"{login}@{domain}", "user_id": None, "first_name": first,
            "last_name": last, "email": f"{login}@etu.{domain}", "birth_date": self.birth_date(),
            "ine": f"{rng.randrange(10**9):09d}{rng.choice('ABCDEFGHJK')}{rng.choice('XYZ')}",
            "establishment_id": establishment.pk, "population_id": population.pk,
            "academic_level": rng.choice(["BACHELOR", "BACHELOR", "MASTER", "DOCTORATE"]),
            "rights_end": self.future_rights_end(), "esc_consent": rng.random() < 0.8,
            "esc_consent_at": None, "photo_consent": rng.random() < 0.5, "photo_consent_at": None,
            "crous_consent": rng.random() < 0.7, "crous_consent_at": None, "updated_at": self.now,
            "language": "", "rights_reminder_for": None, "esi": "",
        }

    def weights(self):
        """The first establishment is the big university; the others are smaller."""
        return [4] + [1] * (len(self.establishments) - 1)

    def birth_date(self):
        return self.today - datetime.timedelta(days=self.rng.randrange(18 * 365, 40 * 365))

    def future_rights_end(self):
        return datetime.date(self.today.year + 1, 8, 31)

    # --- cards ---

    def card_rows(self, person, count):
        if not count:
            return []
        times = sorted(self.request_time() for _ in range(count))
        states = [pick(self.rng, HISTORY_WEIGHTS) for _ in range(count - 1)]
        states.append(pick(self.rng, LATEST_WEIGHTS))
        if states[-1] in PENDING_STATES:
            times[-1] = self.now - datetime.timedelta(minutes=self.rng.randrange(60 * 24 * 60))
            times.sort()
        if states[-1] == State.CADUC:
            person["rights_end"] = self.today - datetime.timedelta(days=self.rng.randrange(1, 700))
        rows, previous = [], None
        for state, requested_at in zip(states, times, strict=True):
            previous = self.card_row(person, state, requested_at, previous)
            rows.append(previous)
        return rows

    def request_time(self):
        seconds = self.rng.randrange(HISTORY_YEARS * 365 * 86400)
        return self.now - datetime.timedelta(seconds=seconds)

    def card_row(self, person, state, requested_at, previous):
        card_id = self.next_card_id
        self.next_card_id += 1
        establishment = self.establishment_of(person)
        row = {
            "id": card_id, "person_id": person["id"], "establishment_id": establishment.pk,
            "state": state.value, "state_changed_at": requested_at, "state_changed_by_id": None,
            "requested_at": requested_at,
            "escn": generate_escn(establishment.escn_prefix, establishment.pic),
            "csn": None, "access_control_id": "", "photo": "", "reject_count": 0,
            "rejection_reason": "",
            "disable_reason": "", "renewal_of_id": None, "renewal_reason": "",
            "encoded_at": None, "enabled_at": None, "delivered_at": None, "delivered_by_id": None,
            "delivery_mode": "pickup", "postal_address": "", "rules_accepted_at": None,
            "fee_due": None,
        }
        if previous is not None and State(previous["state"]) in RENEWABLE_STATES:
            row.update(renewal_of_id=previous["id"], renewal_reason="Carte perdue")
            row["state"] = state.value if state != State.NEW else State.RENEWED.value
        self.fill_dates(row, state, requested_at)
        return row

    def establishment_of(self, person):
        return next(e for e in self.establishments if e.pk == person["establishment_id"])

    def fill_dates(self, row, state, requested_at):
        rng, at = self.rng, requested_at
        if state == State.REJECTED:
            row.update(reject_count=1, rejection_reason="Photo non conforme")
        if state in ENCODED_STATES:
            at = min(self.now, at + datetime.timedelta(hours=rng.randrange(24, 24 * 20)))
            row.update(encoded_at=at, csn=csn_for(row["id"]),
                       access_control_id=self.next_access_control_id())
        if state in WAS_ENABLED:
            row.update(enabled_at=at, delivered_at=at)
        if state in (State.DISABLED, State.CADUC, State.DESTROYED):
            at = min(self.now, at + datetime.timedelta(days=rng.randrange(30, 700)))
        if state == State.DISABLED:
            row["disable_reason"] = rng.choice(DISABLE_REASONS)
        row["state_changed_at"] = min(self.now, at + datetime.timedelta(hours=rng.randrange(48)))


    def next_access_control_id(self):
        """As cards.numbers gives them when a card is encoded: the next of the instance."""
        self.access_control_number += 1
        return str(self.access_control_number)


def pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def csn_for(card_id):
    """A 7-byte chip number, unique per card id: "88" then a bijective scramble of the id."""
    return f"88{(card_id * CSN_MULTIPLIER) & CSN_MASK:012X}"


# --- writing ----------------------------------------------------------------------------------

def write_rows(model, rows):
    if not rows:
        return
    if connection.vendor == "postgresql":
        copy_rows(model, rows)
    else:
        model.objects.bulk_create([model(**row) for row in rows], batch_size=2_000)


def copy_rows(model, rows):
    columns = list(rows[0])
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
