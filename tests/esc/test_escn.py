"""ESCN: RFC 4122 version 1, node = prefix + PIC in decimal digits, a correct timestamp, random
clock sequence, unique in bursts and across processes; the validator used at boundaries."""

import datetime
import multiprocessing
import time
import uuid
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from campuscard.esc import escn as escn_module
from campuscard.esc.escn import escn_time, generate_escn, generate_escns, validate_escn

PIC, PREFIX = "999859608", "066"


@pytest.fixture
def fresh_clock(tmp_path, monkeypatch):
    """A clock file of this test's own: the shared one keeps what earlier tests reserved,
    ticks minted under a time-travelling fixture (start_of_a_minute) among them."""
    monkeypatch.setattr(escn_module, "_clock", escn_module.SharedClock(tmp_path / "escn-clock"))


def test_an_escn_is_a_lower_case_version_1_uuid_whose_node_is_prefix_and_pic():
    escn = generate_escn(PREFIX, PIC)
    text = str(escn)
    assert text == text.lower()
    assert escn.version == 1 and escn.variant == uuid.RFC_4122
    assert text.endswith("-066999859608")
    assert validate_escn(text, pic=PIC) == text


def test_the_timestamp_is_100ns_since_the_gregorian_reform(fresh_clock):
    before = time.time()
    escn = generate_escn(PREFIX, PIC)
    after = time.time()
    assert before - 1e-6 <= escn_time(escn) <= after + 1e-6
    # The same reading through the RFC's own epoch, independently of our constant.
    gregorian = datetime.datetime(1582, 10, 15, tzinfo=datetime.UTC)
    minted = gregorian + datetime.timedelta(microseconds=escn.time // 10)
    assert abs(minted.timestamp() - before) < 2


def test_clock_sequences_are_random_14_bit_values():
    sequences = {escn.clock_seq for escn in generate_escns(PREFIX, PIC, 2000)}
    assert len(sequences) > 1800  # 2000 draws from 16384 values
    assert all(0 <= seq < 2**14 for seq in sequences)


def test_a_clock_left_ahead_goes_on_from_its_last_tick_not_back_to_the_wall_clock(
        fresh_clock):
    import time_machine

    with time_machine.travel(time.time() + 60, tick=False):  # as start_of_a_minute may
        ahead = generate_escn(PREFIX, PIC)
    following = generate_escn(PREFIX, PIC)
    assert escn_time(ahead) > time.time() + 50
    assert following.time == ahead.time + 1


def test_a_burst_never_repeats_a_number_nor_a_timestamp():
    burst = generate_escns(PREFIX, PIC, 100_000)
    assert len(set(burst)) == len(burst)
    times = [escn.time for escn in burst]
    assert times == sorted(times) and len(set(times)) == len(times)


def _mint(count):
    return [str(e) for e in generate_escns(PREFIX, PIC, count)]


def test_processes_minting_at_once_never_give_the_same_number():
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        batches = pool.map(_mint, [50_000] * 4)
    numbers = [n for batch in batches for n in batch]
    assert len(set(numbers)) == len(numbers) == 200_000
    # Not by luck of the random clock sequences: not even a tick is shared.
    assert len({uuid.UUID(n).time for n in numbers}) == 200_000


@pytest.mark.parametrize("bad", [
    "not-a-uuid", "",
    str(uuid.uuid4())[:-12] + "066999859608",  # version 4
    "a5f2e3c0-8f1d-11ee-0000-066999859608",  # NCS variant, not RFC 4122
    "a5f2e3c0-8f1d-11ee-8000-06699985960a",  # node with a hex letter
    "A5F2E3C0-8F1D-21EE-8000-066999859608",  # version 2
])
def test_the_validator_refuses_what_is_not_an_escn(bad):
    with pytest.raises(ValidationError):
        validate_escn(bad)


def test_the_validator_normalises_and_checks_the_issuer():
    text = str(generate_escn(PREFIX, PIC))
    assert validate_escn(f"  {text.upper()} ") == text
    with pytest.raises(ValidationError) as refused:
        validate_escn(text, pic="999465982")
    assert refused.value.code == "escn_issuer"


def test_a_bad_prefix_or_pic_is_refused():
    for prefix, pic in [("1234", PIC), (PREFIX, "12345678"), (PREFIX, "12345678X")]:
        with pytest.raises(ValueError):
            generate_escn(prefix, pic)


def test_the_command_prints_count_valid_numbers_one_a_line():
    out = StringIO()
    call_command("esc", "escn", "--pic", PIC, "--prefix", "66", "--count", "25000", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(set(lines)) == 25000
    assert all(validate_escn(line, pic=PIC) == line for line in lines)
    assert lines[0].endswith("066999859608")


def test_the_command_refuses_a_bad_pic():
    with pytest.raises(CommandError):
        call_command("esc", "escn", "--pic", "12", "--count", "1", stdout=StringIO())


def _mint_one_by_one(count):
    return [str(generate_escn(PREFIX, PIC)) for _ in range(count)]


def test_processes_and_threads_minting_one_by_one_share_no_tick():
    """Each number costs one reservation: four processes interleave at the finest grain."""
    with multiprocessing.get_context("fork").Pool(4) as pool:  # forked: the lock must hold
        batches = pool.map(_mint_one_by_one, [20_000] * 4)
    ticks = [uuid.UUID(n).time for batch in batches for n in batch]
    assert len(set(ticks)) == len(ticks) == 80_000
