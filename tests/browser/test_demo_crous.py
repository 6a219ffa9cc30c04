"""CROUS / Izly in `campuscard demo`: a manager enables a card, CROUS hears of it (right-holder
and smartcard in the demo's emulator); the student declares it lost, and the emulator holds the
smartcard opposed with reason DP. The demo runs as on a laptop (its own SQLite home, web server,
worker, ESC router and CROUS emulator), driven by the system Chromium; the emulator's state is
read over HTTP, as its page shows it."""

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

from ..ports import free_demo_port
from .test_demo_esc import DEMO_PASSWORD

pytestmark = pytest.mark.browser
STUDENT = "carte-prete"
STUDENT_INE = "605565572CX"  # gabriel.laurent@univ-rouen.fr in the demo's directory


@pytest.fixture
def demo(tmp_path):
    port = free_demo_port()
    crous_port = port + 1  # the demo's default
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL",
                                                                    "CAMPUSCARD_"))}
    env |= {"CAMPUSCARD_HOME": str(tmp_path / "demo"), "CAMPUSCARD_LANGUAGE": "en"}
    process = subprocess.Popen([sys.executable, "-c", "from campuscard.cli import main; main()",
                                "demo", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert process.poll() is None, f"the demo stopped: {process.communicate()[0]}"
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{crous_port}"
    process.terminate()
    printed = process.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{crous_port}/_emulator/" in printed  # the banner names its page
    secret = (tmp_path / "demo" / "demo" / "crous-client-secret").read_text().strip()
    assert secret and secret not in printed


def log_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def student_at_crous(crous_url):
    """(right-holder, its smartcards) of the student in the emulator's state."""
    state = httpx.get(f"{crous_url}/_emulator/state", timeout=5).json()
    holder = next((h for h in state["rightholders"] if h["identifier"] == STUDENT_INE), None)
    return holder, [c for c in state["smartcards"] if c["identifier"] == STUDENT_INE]


def wait_at_crous(crous_url, done, what, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        holder, smartcards = student_at_crous(crous_url)
        if done(holder, smartcards):
            return holder, smartcards
        time.sleep(0.5)
    raise AssertionError(f"the CROUS emulator never showed {what}: {student_at_crous(crous_url)}")


def test_enable_then_lost_reaches_crous_with_dp(demo, new_page):
    from playwright.sync_api import expect

    web, crous = demo
    assert student_at_crous(crous) == (None, [])  # an encoded card is not sent yet

    manager = new_page()
    log_in(manager, web, "manager-rouen")
    manager.goto(f"{web}/manage/?q=Laurent&state=ENCODED")
    manager.locator("table a[href*='/manage/cards/']").first.click()
    card_id = re.search(r"/manage/cards/(\d+)/", manager.url)[1]
    manager.get_by_role("button", name="Enable", exact=True).click()
    expect(manager.locator("#card-state")).to_have_text("Enabled")

    holder, smartcards = wait_at_crous(crous, lambda h, s: h and len(s) == 1,
                                       "the right-holder and the smartcard")
    assert (holder["accountStatus"], holder["rneOrgCode"]) == ("ACTIF", "0761904G")
    assert smartcards[0]["cancelDate"] == ""

    student = new_page()
    log_in(student, web, STUDENT)
    student.goto(f"{web}/me/cards/{card_id}/")
    student.get_by_role("link", name="Lost").click()
    student.get_by_role("button", name="Yes, block my card").click()
    expect(student.locator("#card-state")).to_have_text("Disabled")

    _holder, smartcards = wait_at_crous(crous, lambda h, s: s and s[0]["cancelDate"],
                                        "the smartcard opposed")
    assert [(c["reason"], c["oppositions"]) for c in smartcards] == [("DP", 1)]
    page = httpx.get(f"{crous}/_emulator/", timeout=5).text
    assert STUDENT_INE in page and "DP" in page
