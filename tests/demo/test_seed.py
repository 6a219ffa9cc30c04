import sys

import pytest
from django.core.management import call_command
from django.db.models import Count

from campuscard.backoffice import search
from campuscard.cards.models import Card
from campuscard.cards.states import PENDING_STATES, State
from campuscard.core import processes
from campuscard.people.models import Person
from campuscard.people.permissions import Scope

pytestmark = pytest.mark.django_db


def seed(people, cards, **options):
    call_command("seed", people=people, cards=cards, random_seed=7, **options)


def test_seed_creates_the_numbers_asked():
    seed(40, 300, establishments=3)
    assert Person.objects.count() == 40
    assert Card.objects.count() == 300
    assert Card.objects.values("establishment").distinct().count() <= 3


def test_seeded_identifiers_are_unique_and_every_card_has_an_escn():
    seed(30, 200)
    seed(30, 200)  # a second run adds to the first without clashing
    assert Card.objects.count() == 400
    assert not Card.objects.filter(escn__isnull=True).exists()
    encoded = Card.objects.filter(csn__isnull=False)
    assert encoded.exists()
    assert encoded.values("csn").distinct().count() == encoded.count()
    assert Card.objects.values("escn").distinct().count() == 400
    assert Person.objects.values("eppn").distinct().count() == 60


def test_seed_keeps_the_lifecycle_rules():
    seed(50, 400)
    assert set(Card.objects.values_list("state", flat=True)) >= {
        State.ENABLED, State.DISABLED, State.CADUC}
    for states, most in (([State.ENABLED], 1), (list(PENDING_STATES), 1)):
        per_person = (Card.objects.filter(state__in=states).values("person")
                      .annotate(n=Count("id")).order_by("-n").first())
        assert per_person is None or per_person["n"] <= most
    assert not Card.objects.filter(state=State.ENABLED, person__rights_end__lt="2000-01-01")


def test_search_by_name_gives_the_same_cards_by_id_list_and_by_subquery(monkeypatch, admin):
    seed(60, 300)
    last_name = Person.objects.order_by("pk").first().last_name[:4]
    query = search.CardQuery(text=last_name.lower())
    by_list = list(search.search_cards(Scope(admin), query).values_list("pk", flat=True))
    monkeypatch.setattr(search, "LISTED_PEOPLE_MAX", 0)
    by_subquery = list(search.search_cards(Scope(admin), query).values_list("pk", flat=True))
    assert by_list == by_subquery and by_list


def test_run_together_stops_everything_when_one_child_ends():
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    failing = [sys.executable, "-c", "import sys; sys.exit(3)"]
    assert processes.run_together([sleeper, failing], processes.child_env()) == 3


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("bench-admin", "a@example.org", "x")
