"""Every response carries the Content-Security-Policy, and no template holds what it forbids
(inline scripts, event-handler attributes, <style> blocks, style attributes)."""

import re
from pathlib import Path

import pytest

import campuscard

POLICY = ["default-src 'self'", "script-src 'self'", "style-src 'self'",
          "img-src 'self' data: blob:", "object-src 'none'", "base-uri 'none'",
          "frame-ancestors 'none'", "form-action 'self'"]
TEMPLATES = sorted(Path(campuscard.__file__).parent.rglob("templates/**/*.html"))
FORBIDDEN = [
    (re.compile(r"<style", re.I), "a <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    # A <script> must load a file, or be a JSON data block (never run).
    (re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
     "an inline script"),
]


@pytest.mark.parametrize("url", ["/login/", "/v/3e506370-826a-103d-bf76-001000000001",
                                 "/api/openapi.json", "/me/", "/django-admin/login/"])
def test_every_response_carries_the_policy(client, db, url):
    policy = client.get(url)["Content-Security-Policy"]
    directives = [part.strip() for part in policy.split(";")]
    for directive in POLICY:
        assert directive in directives
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_templates_hold_no_inline_script_or_style():
    assert len(TEMPLATES) > 20
    found = [f"{path.relative_to(Path(campuscard.__file__).parent)}: {what}"
             for path in TEMPLATES for pattern, what in FORBIDDEN
             if pattern.search(path.read_text())]
    assert found == []


def test_the_guard_sees_what_it_forbids():
    samples = ['<p style="x">', "<style>", '<a onclick="x">', "<script>alert(1)</script>"]
    for sample in samples:
        assert any(pattern.search(sample) for pattern, _ in FORBIDDEN), sample
    assert not any(pattern.search('<script src="a.js" defer></script>') for pattern, _ in FORBIDDEN)
