"""C2SP tlog-tiles paths and entry bundles (audit/tiles.py), against the examples of the spec and as
properties: every index and width round-trips, and no other spelling of a path is accepted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit import tiles


@pytest.mark.parametrize(
    ("index", "width", "path"),
    [
        (1234067, 256, "x001/x234/067"),  # the example of the spec
        (0, 256, "000"),
        (5, 44, "005.p/44"),
        (1000, 1, "x001/000.p/1"),
    ],
)
def test_the_spec_examples(index, width, path):
    assert tiles.encode_index(index, width) == path
    assert tiles.parse_index(path) == (index, width)


@given(st.integers(min_value=0, max_value=2**63), st.integers(min_value=1, max_value=256))
def test_every_index_and_width_round_trips(index, width):
    assert tiles.parse_index(tiles.encode_index(index, width)) == (index, width)


@pytest.mark.parametrize(
    "path",
    [
        "0",
        "0000",
        "x000/001",
        "x1/001",
        "001/x002",
        "001.p/0",
        "001.p/256",
        "001.p/007",
        "abc",
        "",
        "001.p/²",  # a digit to str.isdigit, not to int: it raised ValueError (and the server 500)
        "٠٠١",  # Arabic-Indic digits: int() reads them, the spec's paths are ASCII
        "x٠٠١/002",
        "001.p/٤٤",
    ],
)
def test_other_spellings_are_refused(path):
    with pytest.raises(tiles.TilePathError):
        tiles.parse_index(path)


@given(st.integers(min_value=1, max_value=300_000))
def test_the_tiles_of_a_tree_cover_each_level_once(size):
    made = tiles.tiles_for_size(size)
    for level in range(len({tile.level for tile in made})):
        widths = [tile.width for tile in made if tile.level == level]
        assert sum(widths) == size >> (8 * level)
        assert all(width == 256 for width in widths[:-1])


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_an_entry_bundle_round_trips(entries):
    assert tiles.unbundle(tiles.bundle(entries)) == entries


def test_an_entry_over_two_bytes_of_length_does_not_fit():
    with pytest.raises(ValueError):
        tiles.bundle([b"x" * 65536])
    assert tiles.unbundle(tiles.bundle([b"x" * 65535])) == [b"x" * 65535]
