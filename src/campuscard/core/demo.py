"""Demo data for `campuscard demo`: two Rouen establishments, ~60 people, cards in every state.

Everything goes through the real services (people.services, cards.services), never by setting a
card's state, so the audit trail and the outbox look like a card office's after a few weeks.
"""

import datetime
import hashlib
import io
import logging
import random
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from campuscard.cards import services as cards
from campuscard.cards.photos import prepare_photo
from campuscard.cards.states import PUSHED_EVENTS, RENEWABLE_STATES, DisableReason, State
from campuscard.core import outbox
from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.people import services as people
from campuscard.people.models import Population, StaffRole

logger = logging.getLogger("campuscard.demo")

DEMO_PASSWORD = "demo"  # noqa: S105 - a demo on 127.0.0.1, printed on the console on purpose
DEMO_TARGET = "campuscard.core.demo.DemoAccessTarget"

RULES_EN = ("The card is personal. Report it lost or stolen at once from this site. "
            "A card damaged on purpose is replaced at your expense.")
RULES_FR = ("La carte est personnelle. Signalez sans attendre sa perte ou son vol sur ce site. "
            "Une carte volontairement abîmée est remplacée à vos frais.")
ESTABLISHMENTS = [
    {"code": "univ-rouen", "name": "Université de Rouen Normandie", "pic": "999859608",
     "escn_prefix": "066", "uai": "0761904G", "auto_enable": False, "domain": "univ-rouen.fr",
     "pickup_place": "Maison de l'Université, Mont-Saint-Aignan", "postal_offered": True,
     "rules_en": RULES_EN, "rules_fr": RULES_FR},
    {"code": "insa-rouen", "name": "INSA Rouen Normandie", "pic": "999465982",
     "escn_prefix": "001", "uai": "0761613L", "auto_enable": True, "domain": "insa-rouen.fr",
     "pickup_place": "Scolarité, bâtiment Magellan"},
]
DOMAINS = {e["code"]: e["domain"] for e in ESTABLISHMENTS}
# (code, English name, French name, renewal fee: None when renewal is free)
POPULATIONS = [("student", "Student", "Étudiant", None), ("staff", "Staff", "Personnel", None),
               ("guest", "Guest", "Invité", Decimal("8.00"))]

# (username, StaffRole kind, establishment codes, what the login table says)
STAFF = [
    ("admin", "admin", [], "administrator, superuser (everything)"),
    ("manager-rouen", "manager", ["univ-rouen"], "manager, Université de Rouen Normandie"),
    ("manager-insa", "manager", ["insa-rouen"], "manager, INSA Rouen Normandie"),
    ("consultant", "consultant", ["univ-rouen", "insa-rouen"], "read-only, both establishments"),
]
# Students who can log in: (username, first, last, establishment, scenario, description)
STUDENTS = [
    ("etudiant", "Camille", "Dupont", "univ-rouen", "enabled", "student, enabled card"),
    ("etudiante-insa", "Inès", "Haddad", "insa-rouen", "renewed",
     "student, lost card and renewal request"),
    ("nouvel-etudiant", "Hugo", "Lefebvre", "univ-rouen", "new", "student, first request"),
    ("sans-carte", "Alix", "Girard", "univ-rouen", "none", "student without a card yet"),
    ("ancien-etudiant", "Léa", "Moreau", "univ-rouen", "caduc", "former student, expired card"),
]

# The final state of each of a person's successive cards. A later card renews the one before
# when it can.
SCENARIOS = {
    "none": [], "new": ["NEW"], "checked": ["REQUEST_CHECKED"], "in_print": ["IN_PRINT"],
    "printed": ["PRINTED"], "in_encode": ["IN_ENCODE"], "encoded": ["ENCODED"],
    "enabled": ["ENABLED"], "disabled": ["DISABLED"], "rejected": ["REJECTED"],
    "canceled": ["CANCELED"], "destroyed": ["DESTROYED"], "caduc": ["ENABLED"],
    "renewed": ["DISABLED", "RENEWED"], "replaced": ["ENABLED", "ENABLED"],
    "rejected_again": ["REJECTED", "NEW"], "destroyed_renewed": ["DESTROYED", "IN_PRINT"],
    "caduc_destroyed": ["DISABLED", "ENABLED"],
}
# People who leave once their cards are made: their rights end, so their cards expire (CADUC);
# "destroy" then destroys the oldest expired card.
LEAVERS = {"caduc": "expire", "caduc_destroyed": "destroy"}
# Scenarios handed out to the crowd, in turn: enabled cards are the most common.
CROWD = ["enabled", "new", "disabled", "checked", "enabled", "replaced", "in_print", "printed",
         "rejected", "enabled", "in_encode", "encoded", "canceled", "renewed", "destroyed",
         "caduc", "enabled", "rejected_again", "destroyed_renewed", "caduc_destroyed"]
CROWD_SIZE = 56
MAIN_PATH = [State.REQUEST_CHECKED, State.IN_PRINT, State.PRINTED, State.IN_ENCODE,
             State.ENCODED, State.ENABLED, State.DISABLED, State.DESTROYED]

FIRST_NAMES = ["Emma", "Lucas", "Chloé", "Nathan", "Manon", "Yanis", "Sarah", "Louis", "Jade",
               "Mohamed", "Zoé", "Gabriel", "Lina", "Théo", "Anaïs", "Maxime", "Julie", "Adam",
               "Clara", "Rayan", "Élise", "Tom", "Aya", "Baptiste", "Margaux", "Kenji", "Nour",
               "Quentin", "Fatou", "Victor"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Garcia", "David", "Bertrand",
              "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Nguyen",
              "Benali", "Diallo", "Lemaire", "Fontaine", "Chevalier", "Rousseau", "Blanc",
              "Guerin", "Muller", "Henry", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier",
              "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
              "Rolland", "Dupuis", "Boyer", "Lucas", "Hébert", "Traoré", "Da Silva", "Colin",
              "Renard", "Lefèvre"]


class DemoAccessTarget(outbox.Target):
    """Stands in for a building access system: the demo's pushes land in the worker's log."""

    name = "demo-access"
    label = "Demo access control"
    events = PUSHED_EVENTS

    def deliver(self, item):
        logger.info("demo access system: %s for card %s", item.operation, item.object_id)


# --- entry points ---------------------------------------------------------------------------

def demo_exists():
    codes = [e["code"] for e in ESTABLISHMENTS]
    return (Establishment.objects.filter(code__in=codes).count() == len(codes)
            and get_user_model().objects.filter(username="admin").exists())


def seed_demo():
    """Create the demo data unless it is there already. Returns True when it was created."""
    if demo_exists():
        return False
    outbox.register(DemoAccessTarget())
    with transaction.atomic():
        Demo(random.Random(2025)).build()
    return True


def connect_to_demo_router(establishment):
    """Give the establishment a key of the router this instance serves, so that its cards are
    registered there, and QR codes that lead to this instance's verify page."""
    from campuscard.router.keys import issue_key

    establishment.esc_router_key = issue_key(establishment.pic, f"{establishment.code} (demo)",
                                             organisation_name=establishment.name)
    establishment.verifier_prefix = settings.CAMPUSCARD_ROUTER_VERIFIER_PREFIX
    establishment.save(update_fields=["esc_router_key", "verifier_prefix"])


def point_qr_codes_here():
    """The demo may be served on another port than last time: its QR codes follow."""
    Establishment.objects.filter(code__in=[e["code"] for e in ESTABLISHMENTS]).update(
        verifier_prefix=settings.CAMPUSCARD_ROUTER_VERIFIER_PREFIX)


def login_rows():
    """(login, password, what it is) for the console."""
    rows = [(username, DEMO_PASSWORD, text) for username, _, _, text in STAFF]
    rows += [(username, DEMO_PASSWORD, text) for username, *_, text in STUDENTS]
    return rows


# --- building ---------------------------------------------------------------------------------

class Demo:
    def __init__(self, rng):
        self.rng = rng
        self.establishments = {}
        self.managers = {}
        self.csn_counter = 0
        self.emails = set()

    def build(self):
        self.make_establishments()
        populations = self.make_populations()
        self.make_staff()
        for username, first, last, code, scenario, _ in STUDENTS:
            user = make_user(username)
            self.make_person(first, last, code, populations["student"], scenario, user=user)
        for index in range(CROWD_SIZE):
            self.make_crowd_person(index, populations)

    def make_establishments(self):
        for data in ESTABLISHMENTS:
            fields = {k: v for k, v in data.items() if k not in ("code", "domain")}
            establishment = Establishment.objects.get_or_create(code=data["code"],
                                                                defaults=fields)[0]
            connect_to_demo_router(establishment)
            self.establishments[data["code"]] = establishment

    def make_populations(self):
        return {code: Population.objects.get_or_create(
                    code=code, defaults={"name_en": en, "name_fr": fr,
                                         "free_renewal": fee is None,
                                         "renewal_fee": fee or Decimal("0")})[0]
                for code, en, fr, fee in POPULATIONS}

    def make_staff(self):
        for username, kind, codes, _ in STAFF:
            is_admin = kind == "admin"
            user = make_user(username, is_superuser=is_admin, is_staff=is_admin)
            role = StaffRole.objects.create(user=user, kind=kind)
            role.establishments.set([self.establishments[c] for c in codes])
            if kind == "manager":
                self.managers[codes[0]] = user

    def make_crowd_person(self, index, populations):
        scenario = CROWD[index % len(CROWD)]
        code = "insa-rouen" if index % 3 == 2 and scenario != "encoded" else "univ-rouen"
        population = {7: "staff", 9: "guest"}.get(index % 10, "student")
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[index % len(LAST_NAMES)]
        self.make_person(first, last, code, populations[population], scenario)

    def make_person(self, first, last, code, population, scenario, user=None):
        establishment = self.establishments[code]
        fields = self.person_fields(first, last, establishment, population)
        consents = fields.pop("consents", {})
        person = people.create_person(self.manager_actor(code), user=user, **fields)
        for consent, given in consents.items():
            if given:
                person = people.set_consent(person, self.holder_or_manager(person), consent, True)
        photo = portrait_jpeg(first, last)
        card = None
        for final in SCENARIOS[scenario]:
            card = self.walk(self.new_card(person, card, photo), State(final))
        if scenario in LEAVERS:
            self.end_rights(person, destroy=LEAVERS[scenario] == "destroy")
        return person

    def person_fields(self, first, last, establishment, population):
        email = self.unique_email(first, last, DOMAINS[establishment.code])
        today = timezone.localdate()
        fields = {"first_name": first, "last_name": last, "email": email, "eppn": email,
                  "establishment": establishment, "population": population, "language": "fr",
                  "rights_end": rights_end(population.code, today)}
        if population.code == "student":
            fields |= self.student_fields(today)
        return fields

    def student_fields(self, today):
        rng = self.rng
        return {"ine": f"{rng.randrange(10**9):09d}{rng.choice('ABCDEFGHJK')}{rng.choice('XYZ')}",
                "birth_date": today - datetime.timedelta(days=rng.randrange(18 * 365, 26 * 365)),
                "academic_level": rng.choice(["BACHELOR", "BACHELOR", "MASTER", "DOCTORATE"]),
                "consents": {"esc": True, "crous": rng.random() < 0.7,
                             "photo": rng.random() < 0.5}}

    def unique_email(self, first, last, domain):
        base = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email, n = f"{base}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{base}{n}@{domain}"
        self.emails.add(email)
        return email

    # --- cards ---

    def new_card(self, person, previous, photo):
        """A first request, or a renewal of the previous card when it can be renewed."""
        by = self.holder_or_manager(person)
        if previous is not None and previous.state in RENEWABLE_STATES:
            reason = "Carte perdue" if previous.state == State.DISABLED else "Carte remplacée"
            return cards.renew_card(previous, by, reason=reason)
        establishment = person.establishment
        photo = prepare_photo(ContentFile(photo, name="photo.jpg"),
                              size=(establishment.photo_width, establishment.photo_height))
        return cards.request_card(person, by, photo=photo)

    def walk(self, card, final):
        by = self.manager_actor(card.establishment.code)
        if final in (State.NEW, State.RENEWED):
            return card
        if final == State.REJECTED:
            return cards.reject_request(card, by, "Photo floue, merci d'en envoyer une autre.")
        if final == State.CANCELED:
            return cards.cancel_request(card, self.holder_or_manager(card.person))
        for step in MAIN_PATH[:MAIN_PATH.index(final) + 1]:
            card = self.step(card, step, by)
        return card

    def step(self, card, target, by):
        if target == State.ENCODED:
            card = cards.mark_encoded(card, by, self.next_csn())
        elif target == State.DISABLED:
            card = self.disable(card, by)
        elif card.state != target:  # INSA enables a card by itself once it is encoded
            card = cards.change_state(card, target, by)
        if card.state == State.ENABLED and not card.delivered_at:
            card = cards.mark_delivered(card, by)
        return card

    def disable(self, card, by):
        reason = self.rng.choice([DisableReason.LOST, DisableReason.THEFT,
                                  DisableReason.OUT_OF_ORDER])
        actor = self.holder_or_manager(card.person) if self.rng.random() < 0.5 else by
        return cards.disable(card, actor, reason)

    def end_rights(self, person, destroy):
        """The person left: rights end yesterday, which expires their cards (CADUC)."""
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        by = self.manager_actor(person.establishment.code)
        people.update_person(person, by, rights_end=yesterday)
        if destroy:
            cards.destroy(person.cards.filter(state=State.CADUC).order_by("pk").first(), by)

    # --- helpers ---

    def manager_actor(self, code):
        return Actor(user=self.managers.get(code), ip="127.0.0.1")

    def holder_or_manager(self, person):
        if person.user_id:
            return Actor(user=person.user, ip="127.0.0.1")
        return self.manager_actor(person.establishment.code)

    def next_csn(self):
        """A 7-byte NXP-style chip number, unique within the demo."""
        self.csn_counter += 1
        return f"04{self.rng.randrange(16**8):08X}{self.csn_counter:04X}"


def make_user(username, **extra):
    user = get_user_model()(username=username, email=f"{username}@demo.campuscard.invalid",
                            **extra)
    user.set_password(DEMO_PASSWORD)  # validators skipped on purpose: a demo password
    user.save()
    return user


def rights_end(population_code, today):
    if population_code == "staff":
        return None
    if population_code == "guest":
        return today + datetime.timedelta(days=90)
    year = today.year + (1 if today.month >= 9 else 0)
    return datetime.date(year + 1, 8, 31)


def ascii_slug(text):
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


# --- photos -----------------------------------------------------------------------------------

BACKGROUNDS = [(214, 226, 240), (230, 222, 238), (222, 236, 224), (242, 230, 214), (236, 236, 236)]
CLOTHES = [(31, 95, 191), (120, 60, 140), (27, 115, 64), (164, 22, 26), (60, 64, 80)]
SKIN = [(241, 204, 177), (224, 172, 138), (198, 134, 96), (141, 85, 54), (255, 219, 190)]


def portrait_jpeg(first, last, size=(600, 750)):
    """A passport-like placeholder: plain background, head and shoulders, initials."""
    pick = hashlib.sha256(f"{first} {last}".encode()).digest()
    image = Image.new("RGB", size, BACKGROUNDS[pick[0] % len(BACKGROUNDS)])
    draw = ImageDraw.Draw(image)
    width, height = size
    clothes = CLOTHES[pick[1] % len(CLOTHES)]
    draw.ellipse((width * 0.1, height * 0.66, width * 0.9, height * 1.3), fill=clothes)
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.62),
                 fill=SKIN[pick[2] % len(SKIN)])
    initials = f"{first[:1]}{last[:1]}".upper()
    font = ImageFont.load_default(size=int(height * 0.12))
    draw.text((width / 2, height * 0.86), initials, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
