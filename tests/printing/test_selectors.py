"""Whether a template's CSS could see where a card side stands among the others of a batch
(printing/selectors.py): if not, a side several cards share is laid out once."""

import pytest

from campuscard.printing import defaults
from campuscard.printing.selectors import depends_on_position


@pytest.mark.parametrize("css", [
    ".side:nth-child(2) .name { color: red }", ".side + .side { top: 0 }",
    ".front ~ .back .x { top: 0 }", ".side:LAST-CHILD { top: 0 }",
    "section:first-of-type { top: 0 }", ".x:not(:only-child) { top: 0 }",
    "@media print { .a:first-child { top: 0 } }", ".a { & + .b { top: 0 } }",
    ".side { counter-increment: side } .n::after { content: counter(side) }",
])
def test_sibling_positions_and_counters_depend_on_where_a_side_stands(css):
    assert depends_on_position(css)


@pytest.mark.parametrize("css", [
    "", defaults.CSS, ".a > .b { top: calc(1mm + 2mm) }", ".x:hover, .y::before { top: 0 }",
    ".identity .line { margin-left: -1mm }", "@page { margin: 0 }",
])
def test_rules_inside_a_side_do_not(css):
    assert not depends_on_position(css)
