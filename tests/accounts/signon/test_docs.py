"""Every TOML example in docs/signon.md is a valid sign-on file, and each kind has one."""

import re
from pathlib import Path

import pytest

from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.kinds import known_kinds

DOC = Path(__file__).resolve().parents[3] / "docs" / "signon.md"
EXAMPLES = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.DOTALL)


def test_the_doc_has_an_example_per_kind():
    kinds = {kind for text in EXAMPLES for kind in re.findall(r'kind = "(\w+)"', text)}
    assert kinds == set(known_kinds())


@pytest.mark.parametrize("text", EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))])
def test_each_example_parses(text):
    assert signon_config.parse(text).methods
