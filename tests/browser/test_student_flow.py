"""A student gets, follows and blocks a card in a real browser, on a desktop and on a phone."""


import re

import pytest
from PIL import Image, ImageDraw

from campuscard.cards import services
from campuscard.cards.models import Card
from campuscard.cards.states import PUSHED_EVENTS, DisableReason, State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem

from ..conftest import actor
from .conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.browser


class Mirror(outbox.Target):
    """A system that must hear of every opposition (doors, CROUS…)."""

    def __init__(self, name):
        self.name = name

    def wants(self, event, payload):
        return event in PUSHED_EVENTS

    def deliver(self, item):
        pass


@pytest.fixture
def mirrors():
    names = ["doors", "crous"]
    replaced = [target for name, target in outbox.targets().items() if name in names]
    for name in names:
        outbox.register(Mirror(name))
    yield names
    for name in names:
        outbox.unregister(name)
    for target in replaced:  # the configured CROUS target comes back
        outbox.register(target)


def portrait(tmp_path, name="me.jpg", size=(1200, 1600)):
    image = Image.new("RGB", size, (214, 226, 240))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.ellipse((width * .3, height * .2, width * .7, height * .6), fill=(224, 172, 138))
    path = tmp_path / name
    image.save(path, "JPEG", quality=90)
    return path


def finish_walk(card, manager):
    """The card office prints, encodes and enables the checked card."""
    by = actor(manager)
    for verb in (services.send_to_print, services.mark_printed, services.start_encoding):
        card = verb(card, by)
    card = services.mark_encoded(card, by, "04A1B2C3D4E5F6")
    return services.enable(card, by)


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_request_check_track_and_declare_lost(live_server, new_page, tmp_path, student,
                                              manager_a, mirrors, device):
    from playwright.sync_api import expect

    student.establishment.rules_en = "The card is personal."
    student.establishment.save()
    page = new_page(**device)
    log_in(page, live_server.url, "alice", lands_on="/me/")

    # Upload, frame, consent, submit.
    page.get_by_role("link", name="Request my card").click()
    page.get_by_label("Your photo", exact=True).set_input_files(portrait(tmp_path))
    expect(page.get_by_role("group", name="Photo frame")).to_be_visible()
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Rotate right").click()
    page.get_by_role("button", name="Rotate left").click()
    assert int(page.locator("[name=crop_width]").input_value()) >= 350
    page.get_by_label("European Student Card").check()
    page.get_by_label("I will pick it up").check()
    page.get_by_label("I have read and I accept these rules.").check()
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(f"{live_server.url}/me/")
    expect(page.locator("li.step.current")).to_contain_text("Request sent")

    card = Card.objects.get(person=student)
    student.refresh_from_db()
    assert card.state == State.NEW and card.photo and student.esc_consent

    # A manager checks it; the student sees the next step.
    manager_page = new_page(**DESKTOP)
    log_in(manager_page, live_server.url, "manager-a")
    manager_page.goto(f"{live_server.url}/manage/cards/{card.pk}/")
    manager_page.get_by_role("button", name="Accept the request", exact=True).click()
    manager_page.locator("#card-state").filter(has_text="Request checked").wait_for()
    page.reload()
    expect(page.locator("li.step.current")).to_contain_text("Request checked")

    # Enabled, then lost: two clicks, and the opposition waits in the outbox for every system.
    finish_walk(Card.objects.get(pk=card.pk), manager_a)
    page.reload()
    page.get_by_role("link", name="Lost").click()
    page.get_by_role("button", name="Yes, block my card").click()
    expect(page.locator("#card-state")).to_have_text("Disabled")
    card.refresh_from_db()
    assert (card.state, card.disable_reason) == (State.DISABLED, DisableReason.LOST)
    oppositions = OutboxItem.objects.filter(object_id=str(card.pk), operation="card.disabled")
    assert sorted(oppositions.values_list("target", flat=True)) == mirrors[::-1]

    # The page tells the truth: each system is "being told" until its push is delivered, then
    # the panel updates itself, without a reload, to "told on …".
    panel = page.locator("section.hearings")
    for name in mirrors:
        expect(panel.locator("li", has_text=name)).to_contain_text("being told")
    expect(panel).not_to_contain_text("Every system has been told")
    expect(page.get_by_role("button", name="I got my card")).to_have_count(0)
    while outbox.drain():  # one push an object a round: the earlier ones go first
        pass
    expect(panel.locator("li", has_text="crous")).to_contain_text("told on", timeout=10_000)
    expect(page.locator("section.hearings")).to_contain_text("Every system has been told")


def bad_files(tmp_path):
    svg = tmp_path / "svg.jpg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="500"/>')
    small = portrait(tmp_path, "small.jpg", size=(200, 260))
    whole = portrait(tmp_path, "whole.jpg").read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(whole[: len(whole) // 2])
    return {"svg": svg, "small": small, "truncated": truncated}


def test_a_photo_taken_with_the_webcam_goes_with_the_request(live_server, new_page, student):
    from playwright.sync_api import expect

    page = new_page(**PHONE)
    log_in(page, live_server.url, "alice", lands_on="/me/")
    page.goto(f"{live_server.url}/me/request/")
    page.get_by_role("button", name="Take a photo with my camera").click()
    page.get_by_role("button", name="Take the photo").click()
    expect(page.get_by_role("group", name="Photo frame")).to_be_visible()
    page.get_by_label("I will pick it up").check()
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(f"{live_server.url}/me/")
    card = Card.objects.get(person=student)
    with card.photo.open("rb") as photo:
        assert Image.open(photo).size == (350, 450)


# What the page says: the browser's own check where it can tell, else the server's refusal.
REFUSALS = {"svg": r"cannot be read|not a photo we can read", "small": r"too small",
            "truncated": r"incomplete or damaged|cannot be read"}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_bad_photo_is_refused_with_a_clear_message_and_nothing_stored(
        live_server, browser_page, tmp_path, student, case):
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, live_server.url, "alice", lands_on="/me/")
    page.goto(f"{live_server.url}/me/request/")
    page.get_by_label("Your photo", exact=True).set_input_files(bad_files(tmp_path)[case])
    page.get_by_label("I will pick it up").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("alert").filter(has_text=re.compile(REFUSALS[case]))).to_be_visible()
    assert page.url == f"{live_server.url}/me/request/"
    assert not Card.objects.filter(person=student).exists()
