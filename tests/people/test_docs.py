"""Every TOML example in docs/sources.md is a valid sources file."""

import re
from pathlib import Path

import pytest

from campuscard.people.sources import config as source_config

DOC = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
EXAMPLES = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.DOTALL)


def test_the_doc_has_an_example_per_kind():
    kinds = {kind for text in EXAMPLES for kind in re.findall(r'kind = "(\w+)"', text)}
    assert kinds == {"ldap", "sql", "rest", "csv"}


@pytest.mark.parametrize("text", EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))])
def test_each_example_parses(text):
    config = source_config.parse(text)
    assert config.sources or config.rules
