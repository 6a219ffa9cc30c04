"""What a newcomer does with `campuscard demo`: enable a card, open the link its QR code holds
and read "Valid"; block the card and read "Not valid". The demo runs as it would on a laptop
(its own SQLite home, web server, worker and ESC router), driven by the system Chromium."""

import io
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import zxingcpp
from PIL import Image

from ..ports import free_demo_port

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "demo"


@pytest.fixture
def demo_server(tmp_path):
    port = free_demo_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL",
                                                                    "CAMPUSCARD_"))}
    env |= {"CAMPUSCARD_HOME": str(tmp_path / "demo"), "CAMPUSCARD_LANGUAGE": "en"}
    demo = subprocess.Popen([sys.executable, "-c", "from campuscard.cli import main; main()",
                             "demo", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert demo.poll() is None, "the demo stopped"
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    demo.terminate()
    demo.wait(timeout=30)


def log_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/manage/")


def read_qr(page, base_url, card_id):
    """The link the card's QR code holds, read from the PNG the way a phone would."""
    png = page.request.get(f"{base_url}/cards/{card_id}/qr.png").body()
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text


def wait_for_verdict(page, url, verdict, seconds=30):
    """The worker pushes to the router within moments: reload until the verdict shows."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(url)
        if page.locator(".verdict").inner_text().strip().endswith(verdict):
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} never said {verdict!r}")


def test_enable_scan_block_scan(demo_server, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, demo_server, "manager-rouen")
    page.goto(f"{demo_server}/manage/?state=ENCODED")
    page.locator("table a[href*='/manage/cards/']").first.click()
    card_id = re.search(r"/manage/cards/(\d+)/", page.url)[1]
    page.get_by_role("button", name="Enable", exact=True).click()
    expect(page.locator("#card-state")).to_have_text("Enabled")

    link = read_qr(page, demo_server, card_id)
    assert re.fullmatch(rf"{demo_server}/v/[0-9a-f-]{{36}}", link)
    wait_for_verdict(page, link, "Valid")
    assert "Université de Rouen Normandie" in page.content()

    page.goto(f"{demo_server}/manage/cards/{card_id}/")
    page.get_by_label("Why is the card disabled?").select_option("LOST")
    page.get_by_role("button", name="Disable", exact=True).click()
    expect(page.locator("#card-state")).to_have_text("Disabled")
    wait_for_verdict(page, link, "Not valid")
