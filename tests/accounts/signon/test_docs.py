"""Every TOML example in docs/signon.md is a valid sign-on file, and each kind has one."""

import re
from pathlib import Path

import pytest

from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.kinds import known_kinds

from .saml_idp import write_key_pair

DOC = Path(__file__).resolve().parents[3] / "docs" / "signon.md"
EXAMPLES = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.DOTALL)


def test_the_doc_has_an_example_per_kind():
    kinds = {kind for text in EXAMPLES for kind in re.findall(r'kind = "(\w+)"', text)}
    assert kinds == set(known_kinds())


@pytest.mark.parametrize("text", [
    pytest.param(text, marks=pytest.mark.saml) if 'kind = "saml"' in text else text
    for text in EXAMPLES], ids=[f"example-{i}" for i in range(len(EXAMPLES))])
def test_each_example_parses(text, settings, tmp_path):
    # a SAML method needs the instance's service provider key pair, a setting
    settings.CAMPUSCARD_SAML_SP_KEY_FILE, settings.CAMPUSCARD_SAML_SP_CERT_FILE = \
        write_key_pair(tmp_path, "sp")
    assert signon_config.parse(text).methods
