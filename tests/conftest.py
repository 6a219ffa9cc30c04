"""Personas shared by every test: a student, another student, a manager of A, a manager of B,
a consultant of A and an administrator, over two establishments."""

import datetime
import os
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.people.models import Person, Population, StaffRole

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"  # source strings; French is tested where it matters
    # Tests create many users: a deliberately weak hasher keeps them fast (tests only).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The rate limiter counts in the cache: each test starts with no checks counted."""
    from django.core.cache import cache

    from campuscard.core import outbox

    cache.clear()
    outbox.forget_cached_targets()  # a rolled-back test's connections must not linger
    yield
    cache.clear()
    outbox.forget_cached_targets()


@pytest.fixture
def start_of_a_minute():
    """Rate limits count in one-minute windows: a test that counts requests starts at the
    beginning of one, so that its requests never straddle two windows."""
    import time

    import time_machine

    next_minute = (int(time.time()) // 60 + 1) * 60 + 0.1
    with time_machine.travel(next_minute, tick=True):
        yield


@pytest.fixture(autouse=True)
def _mails_only_where_tested():
    """Outside tests/notifications, mail rows would be noise in the outbox assertions."""
    from campuscard.core import outbox

    target = outbox.registered().get("mail")  # not targets(): no database in every test
    outbox.unregister("mail")
    yield
    if target is not None:
        outbox.register(target)


def make_user(username, **extra):
    return get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD,
                                                **extra)


@pytest.fixture
def est_a(db):
    return Establishment.objects.create(name="Université A", code="univ-a", pic="999859608",
                                        uai="0761904G", escn_prefix="066")


@pytest.fixture
def est_b(db):
    return Establishment.objects.create(name="École B", code="ecole-b", pic="999465982",
                                        uai="0141408E", escn_prefix="001")


@pytest.fixture
def students(db):
    names = {"name_en": "Student", "name_fr": "Étudiant"}
    return Population.objects.get_or_create(code="student", defaults=names)[0]


@pytest.fixture
def staff_population(db):
    names = {"name_en": "Staff", "name_fr": "Personnel"}
    return Population.objects.get_or_create(code="staff", defaults=names)[0]


def make_person(username, establishment, population, **extra):
    user = make_user(username)
    defaults = {"first_name": username.capitalize(), "last_name": "Martin",
                "email": f"{username}@example.org",
                "rights_end": timezone.localdate() + datetime.timedelta(days=365)}
    return Person.objects.create(eppn=f"{username}@{establishment.code}.example.org", user=user,
                                 establishment=establishment, population=population,
                                 **(defaults | extra))


@pytest.fixture
def student(est_a, students):
    return make_person("alice", est_a, students)


@pytest.fixture
def other_student(est_a, students):
    return make_person("bob", est_a, students)


@pytest.fixture
def student_b(est_b, students):
    return make_person("chloe", est_b, students)


def make_staff(username, kind, establishments=(), populations=()):
    user = make_user(username)
    role = StaffRole.objects.create(user=user, kind=kind)
    role.establishments.set(establishments)
    role.populations.set(populations)
    return user


@pytest.fixture
def manager_a(est_a):
    return make_staff("manager-a", "manager", [est_a])


@pytest.fixture
def manager_b(est_b):
    return make_staff("manager-b", "manager", [est_b])


@pytest.fixture
def consultant_a(est_a):
    return make_staff("consultant-a", "consultant", [est_a])


@pytest.fixture
def admin_user(db):
    return make_user("admin", is_superuser=True, is_staff=True)


def actor(user):
    return Actor(user=user, ip="192.0.2.10")


def card_in_state(person, state, manager):
    """Walk a new card through the lifecycle, the way a card office would, up to `state`."""
    by = actor(manager)
    card = card_services.request_card(person, by)
    path = {
        State.NEW: [],
        State.REQUEST_CHECKED: [card_services.check_request],
        State.IN_PRINT: [card_services.check_request, card_services.send_to_print],
        State.PRINTED: [card_services.check_request, card_services.send_to_print,
                        card_services.mark_printed],
    }
    if state in path:
        for step in path[state]:
            card = step(card, by)
        return card
    for step in path[State.PRINTED]:
        card = step(card, by)
    card = card_services.start_encoding(card, by)
    if state == State.IN_ENCODE:
        return card
    card = card_services.mark_encoded(card, by, f"04{card.pk:012X}")
    if state == State.ENCODED:
        return card
    card = card_services.enable(card, by)
    if state == State.DISABLED:
        card = card_services.disable(card, by, "LOST")
    return card


def pytest_collection_modifyitems(config, items):
    """SAML signs and checks with Debian's xmlsec1: without it, the SAML tests are skipped,
    unless CAMPUSCARD_REQUIRE_SAML says they must run (CI installs xmlsec1)."""
    if shutil.which("xmlsec1") or os.environ.get("CAMPUSCARD_REQUIRE_SAML"):
        return
    skip = pytest.mark.skip(reason="xmlsec1 is not installed (apt-get install xmlsec1)")
    for item in items:
        if item.get_closest_marker("saml"):
            item.add_marker(skip)
