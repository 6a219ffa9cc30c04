"""Demo data for `campuscard demo`: two Rouen establishments, ~60 people, cards in every state.

The people come from the demo's directory (directory.py) through the real sync; their cards,
consents and logins go through the real services (people.services, cards.services), never by
setting a card's state, so the audit trail and the outbox look like a card office's after a few
weeks.
"""

import random
import unicodedata
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscard.cards import recognition
from campuscard.cards import services as cards
from campuscard.cards.photos import prepare_photo
from campuscard.cards.states import RENEWABLE_STATES, DisableReason, State
from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.demo import directory
from campuscard.demo.portraits import portrait_jpeg
from campuscard.institutions.models import Establishment
from campuscard.integrations.crous.models import CrousEstablishment
from campuscard.integrations.exports.models import ExportTarget
from campuscard.integrations.exports.presets import PRESETS
from campuscard.integrations.papercut.models import PapercutServer
from campuscard.people import services as people
from campuscard.people.models import Person, Population, StaffRole

DEMO_PASSWORD = "demo"  # noqa: S105 - a demo on 127.0.0.1, printed on the console on purpose

RULES_EN = ("The card is personal. Report it lost or stolen at once from this site. "
            "A card damaged on purpose is replaced at your expense.")
RULES_FR = ("La carte est personnelle. Signalez sans attendre sa perte ou son vol sur ce site. "
            "Une carte volontairement abîmée est remplacée à vos frais.")
ESTABLISHMENTS = [
    {"code": "univ-rouen", "name": "Université de Rouen Normandie", "pic": "999859608",
     "escn_prefix": "066", "uai": "0761904G", "auto_enable": False,
     "pickup_place": "Maison de l'Université, Mont-Saint-Aignan", "postal_offered": True,
     "rules_en": RULES_EN, "rules_fr": RULES_FR},
    {"code": "insa-rouen", "name": "INSA Rouen Normandie", "pic": "999465982",
     "escn_prefix": "001", "uai": "0761613L", "auto_enable": True,
     "pickup_place": "Scolarité, bâtiment Magellan"},
]
# The establishment whose cards set their holders' PaperCut card number (the demo's emulator),
# its usernames being the eppns' local part.
PAPERCUT_ESTABLISHMENT = "univ-rouen"
PAPERCUT_USERNAME_RULE = r"(.*)@univ-rouen\.fr"

# Each establishment's CROUS settings (demo values): distinct card number ranges, as the
# emulator, like CROUS, takes each CROUS card number (idZdc) once.
CROUS_SETTINGS = {
    "univ-rouen": {"crous_number": "22", "id_transmitter": 0x0761, "id_mapping": 1,
                   "pix_ss": "0001", "pix_nn": "0001", "appl": "0106",
                   "card_number_base": 76190000},
    "insa-rouen": {"crous_number": "22", "id_transmitter": 0x0761, "id_mapping": 1,
                   "pix_ss": "0001", "pix_nn": "0001", "appl": "0106",
                   "card_number_base": 76130000},
}
# The tariff grid the demo's CROUS gives each establishment (statuses as CNOUS codes: etd
# student, prs staff; index ranges for staff), fetched by the worker's daily job.
CROUS_TARIFF_GRID = [
    {"statusCode": "etd", "indexMin": None, "indexMax": None, "idCompanyRate": 10, "idRate": 1},
    {"statusCode": "prs", "indexMin": 0, "indexMax": 349, "idCompanyRate": 20, "idRate": 2},
    {"statusCode": "prs", "indexMin": 350, "indexMax": None, "idCompanyRate": 20, "idRate": 3},
]
# (code, English name, French name, renewal fee: None when renewal is free)
POPULATIONS = [("student", "Student", "Étudiant", None), ("staff", "Staff", "Personnel", None),
               ("guest", "Guest", "Invité", Decimal("8.00"))]

# (username, StaffRole kind, establishment codes, what the login table says)
STAFF = [
    ("admin", "admin", [], _("administrator, superuser (everything)")),
    ("manager-rouen", "manager", ["univ-rouen"], _("manager, Université de Rouen Normandie")),
    ("manager-insa", "manager", ["insa-rouen"], _("manager, INSA Rouen Normandie")),
    ("consultant", "consultant", ["univ-rouen", "insa-rouen"],
     _("read-only, both establishments")),
]
# Students who can log in: (username, eppn in the directory, scenario, description)
STUDENTS = [
    ("etudiant", "camille.dupont@univ-rouen.fr", "enabled", _("student, enabled card")),
    ("etudiante-insa", "ines.haddad@insa-rouen.fr", "renewed",
     _("student, lost card and renewal request")),
    ("nouvel-etudiant", "hugo.lefebvre@univ-rouen.fr", "new", _("student, first request")),
    ("sans-carte", "alix.girard@univ-rouen.fr", "none", _("student without a card yet")),
    ("ancien-etudiant", "lea.moreau@univ-rouen.fr", "caduc", _("former student, expired card")),
    # None: the crowd's scenario at their place in the file (here "encoded"), so that the
    # crowd's stories stay as they were.
    ("carte-prete", "gabriel.laurent@univ-rouen.fr", None,
     _("student, card ready to be enabled, pays with Izly")),
]
# Students who log in and pay their meals with Izly: they consent to CROUS, whatever the draw.
IZLY_STUDENTS = {"etudiant", "etudiante-insa", "carte-prete"}

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
# The people of the directory marked left-yesterday leave once their cards are made: the
# directory then ends their rights, so their cards expire (CADUC). In this scenario the oldest
# expired card is then destroyed.
DESTROYED_AFTER_LEAVING = "caduc_destroyed"
# Scenarios handed out in turn to the people of the directory who do not log in, in the file's
# order: enabled cards are the most common.
CROWD = ["enabled", "new", "disabled", "checked", "enabled", "replaced", "in_print", "printed",
         "rejected", "enabled", "in_encode", "encoded", "canceled", "renewed", "destroyed",
         "caduc", "enabled", "rejected_again", "destroyed_renewed", "caduc_destroyed"]
MAIN_PATH = [State.REQUEST_CHECKED, State.IN_PRINT, State.PRINTED, State.IN_ENCODE,
             State.ENCODED, State.ENABLED, State.DISABLED, State.DESTROYED]

# --- entry points ---------------------------------------------------------------------------

def demo_exists():
    codes = [e["code"] for e in ESTABLISHMENTS]
    return (Establishment.objects.filter(code__in=codes).count() == len(codes)
            and get_user_model().objects.filter(username="admin").exists())


def seed_demo():
    """Create the demo data unless it is there already. Returns True when it was created."""
    if demo_exists():
        return False
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


def connect_to_demo_crous():
    """Both establishments send to CROUS (the demo's emulator), with their CROUS settings."""
    for code, fields in CROUS_SETTINGS.items():
        establishment = Establishment.objects.filter(code=code).first()
        if establishment is not None:
            CrousEstablishment.objects.get_or_create(establishment=establishment,
                                                     defaults=fields)


def connect_to_demo_papercut():
    """The PaperCut establishment's cards go to the demo's PaperCut emulator, on this start's
    port (the URL follows it, as the QR codes do)."""
    from campuscard.demo import serving

    url = getattr(settings, "DEMO_PAPERCUT_URL", "")  # set by `campuscard demo` only
    establishment = Establishment.objects.filter(code=PAPERCUT_ESTABLISHMENT).first()
    if establishment is None or not url:
        return
    server, _created = PapercutServer.objects.update_or_create(
        code="demo-papercut", defaults={
            "label_en": "PaperCut (demo emulator)", "label_fr": "PaperCut (émulateur de démo)",
            "url": url, "auth_token": serving.papercut_token(),
            "username_rule": PAPERCUT_USERNAME_RULE})
    server.establishments.set([establishment])


# The demo's print station: Rouen's card office, writing each card's PDF into a folder
# (`campuscard demo` runs `campuscard station print --folder` beside the worker).
PRINT_STATION = "Demo print station"
PRINT_STATION_ESTABLISHMENT = "univ-rouen"
PRINT_STATION_MANAGERS = ("manager-rouen",)


def connect_demo_print_station():
    """The demo's print station exists and its token is in serving.station_token_path() (0600):
    registered on the first start; given a new token when the file is gone or no longer
    matches. Returns the station."""
    from campuscard.demo import serving
    from campuscard.stations import services as stations
    from campuscard.stations.models import Station

    establishment = Establishment.objects.filter(code=PRINT_STATION_ESTABLISHMENT).first()
    if establishment is None:
        return None
    serving.printed_folder().mkdir(parents=True, exist_ok=True)
    station = Station.objects.filter(name=PRINT_STATION).first()
    if station is None:
        managers = get_user_model().objects.filter(username__in=PRINT_STATION_MANAGERS)
        station, token = stations.register_station(
            PRINT_STATION, establishment, Actor.system(), printer_model="folder (demo)",
            allowed_users=managers)
    elif not _token_file_opens(station, serving.station_token_path()):
        token = stations.renew_token(station, Actor.system())
    else:
        return station
    serving.write_private(serving.station_token_path(), token)
    return station


# The demo's encoding station: the chips of every establishment's printed cards, written with
# ESUP-SGC's layout, its keys the demo's own (random, in $CAMPUSCARD_HOME/nfc-keys).
ENCODING_STATION = "Demo encoding station"
DEMO_LAYOUT = "demo-esup-sgc"


def connect_demo_encoding_station():
    """The demo's card layout, its key files and its encoding station exist (made on the
    first start; key files made again if they are gone). Returns the station."""
    from campuscard.nfc import keys
    from campuscard.nfc import services as nfc
    from campuscard.nfc.layouts import key_entries
    from campuscard.nfc.models import CardLayout
    from campuscard.stations import services as stations
    from campuscard.stations.models import Station, StationKind

    establishment = Establishment.objects.filter(code=PRINT_STATION_ESTABLISHMENT).first()
    if establishment is None:
        return None
    layout = CardLayout.objects.filter(code=DEMO_LAYOUT).first() or (
        nfc.create_layout_from_preset("esup-sgc", code=DEMO_LAYOUT, actor=Actor.system(),
                                      name="ESUP-SGC (demo keys)"))
    for _path, reference, key_type in key_entries(layout.current_version.declaration):
        if keys.parse_reference(reference).scheme == "file":
            keys.create_key_file(reference, key_type)
    station = Station.objects.filter(name=ENCODING_STATION).first()
    if station is None:
        managers = get_user_model().objects.filter(username__in=PRINT_STATION_MANAGERS)
        station, _token = stations.register_station(  # the page needs no token
            ENCODING_STATION, establishment, Actor.system(), allowed_users=managers,
            kind=StationKind.ENCODE)
    return station


def _token_file_opens(station, path):
    from campuscard.stations.services import find_station

    try:
        token = path.read_text().strip()
    except OSError:
        return False
    found = find_station(token) if token else None
    return found is not None and found.pk == station.pk


def papercut_usernames():
    """The PaperCut users the demo's emulator knows: the PaperCut establishment's people."""
    eppns = Person.objects.filter(establishment__code=PAPERCUT_ESTABLISHMENT).values_list(
        "eppn", flat=True)
    return [eppn.split("@")[0] for eppn in eppns]


def doors_root():
    return Path(settings.HOME) / "demo" / "access-control"


def doors_folder(code):
    return doors_root() / code


# The door systems of the demo: Rouen's reads a Synchronic file per person at each change,
# INSA's reads P2S files, and recognises Rouen's students' cards.
DEMO_DOORS = {"univ-rouen": "synchronic", "insa-rouen": "p2s"}
DEMO_AGREEMENT = ("univ-rouen", "insa-rouen", ["student"])


def connect_to_demo_doors():
    """Each establishment's doors get their files in $CAMPUSCARD_HOME/demo/access-control/."""
    for code, preset in DEMO_DOORS.items():
        establishment = Establishment.objects.get(code=code)
        folder = doors_folder(code)
        folder.mkdir(parents=True, exist_ok=True)
        export = ExportTarget.objects.create(
            code=f"doors-{code}", label_en=f"Doors of {establishment.name}",
            label_fr=f"Portes de {establishment.name}", preset=preset,
            format={**PRESETS[preset], "every_minutes": 0},  # files at once: a demo is short
            destination={"kind": "folder", "path": str(folder)})
        export.establishments.set([establishment])
    issuer, recogniser, populations = DEMO_AGREEMENT
    recognition.agree_recognition(Establishment.objects.get(code=issuer),
                                  Establishment.objects.get(code=recogniser),
                                  Population.objects.filter(code__in=populations),
                                  Actor.system())


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

    def build(self):
        self.make_establishments()
        self.make_populations()
        connect_to_demo_doors()
        self.make_staff()
        connect_demo_print_station()
        connect_demo_encoding_station()
        today = timezone.localdate()
        directory.write_sources_file()
        directory.write_directory(today, left=False)
        directory.sync_directory()
        people_and_scenarios = self.directory_people()
        for username, eppn, _scenario, _text in STUDENTS:
            link_login(make_user(username), people_and_scenarios[eppn][0])
        for person, scenario in people_and_scenarios.values():
            self.make_history(person, scenario)
        directory.write_directory(today, left=True)
        directory.sync_directory()  # the leavers' rights end: their cards expire
        for person, scenario in people_and_scenarios.values():
            if scenario == DESTROYED_AFTER_LEAVING:
                self.destroy_expired_card(person)

    def make_establishments(self):
        for data in ESTABLISHMENTS:
            fields = {k: v for k, v in data.items() if k != "code"}
            establishment = Establishment.objects.get_or_create(code=data["code"],
                                                                defaults=fields)[0]
            connect_to_demo_router(establishment)
            self.establishments[data["code"]] = establishment
        connect_to_demo_crous()
        connect_to_demo_papercut()

    def make_populations(self):
        for code, en, fr, fee in POPULATIONS:
            Population.objects.get_or_create(
                code=code, defaults={"name_en": en, "name_fr": fr, "free_renewal": fee is None,
                                     "renewal_fee": fee or Decimal("0")})

    def make_staff(self):
        for username, kind, codes, _text in STAFF:
            is_admin = kind == "admin"
            user = make_user(username, is_superuser=is_admin, is_staff=is_admin)
            give_role(user, kind, [self.establishments[c] for c in codes])
            if kind == "manager":
                self.managers[codes[0]] = user

    def directory_people(self):
        """{eppn: (person, scenario)} in the directory's order: the students who log in have
        their own scenario (or the crowd's, when None), the others take the crowd's in turn."""
        own = {eppn: scenario for _username, eppn, scenario, _text in STUDENTS}
        eppns = directory.eppns_in_file_order()
        found = Person.objects.select_related("establishment", "population").in_bulk(
            eppns, field_name="eppn")
        stories, crowd = {}, 0
        for eppn in eppns:
            if own.get(eppn):
                stories[eppn] = (found[eppn], own[eppn])
            else:
                stories[eppn] = (found[eppn], CROWD[crowd % len(CROWD)])
                crowd += 1
        return stories

    def make_history(self, person, scenario):
        """The person's consents and successive cards, as their scenario tells."""
        if person.population.code == "student":
            for consent, given in self.student_consents(person).items():
                if given:
                    person = people.set_consent(person, self.holder_or_manager(person), consent,
                                                True)
        photo = portrait_jpeg(person.first_name, person.last_name)
        card = None
        for final in SCENARIOS[scenario]:
            card = self.walk(self.new_card(person, card, photo), State(final))

    def student_consents(self, person):
        rng = self.rng
        consents = {"esc": True, "crous": rng.random() < 0.7, "photo": rng.random() < 0.5}
        if person.user_id and person.user.get_username() in IZLY_STUDENTS:
            consents["crous"] = True
        return consents

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

    def destroy_expired_card(self, person):
        expired = person.cards.filter(state=State.CADUC).order_by("pk").first()
        cards.destroy(expired, self.manager_actor(person.establishment.code))

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


def link_login(user, person):
    """The demo's students log in with a short user name, not their eppn: their account is
    linked to their person here, as a sign-on links it."""
    person.user = user
    person.save(update_fields=["user"])
    audit.record("person.account_linked", Actor(user=user, ip="127.0.0.1"), person,
                 person=person, after={"user": user.get_username()})


def give_role(user, kind, establishments):
    """The user's staff role: its kind and the establishments it covers."""
    role = StaffRole.objects.create(user=user, kind=kind)
    role.establishments.set(establishments)


def ascii_slug(text):
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())
