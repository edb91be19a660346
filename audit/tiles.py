"""C2SP tlog-tiles: the paths and contents of the tiles a log serves (https://c2sp.org/tlog-tiles).

A tile holds up to 256 consecutive hashes of one level of the tree: tile level L holds the hashes of
tree level 8L, so tile (L, N) covers the nodes N*256 ... N*256+255 of that level. A tile of fewer
hashes (a partial tile, width W < 256) exists only at the right edge of a tree. Entry bundles hold
the entries themselves, each as a big-endian uint16 length and its bytes, for the same ranges as
the level-0 tiles.

Paths: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, where N is written in groups of three
digits, every group but the last prefixed by `x` (1234067 -> `x001/x234/067`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEIGHT = 8
WIDTH = 1 << HEIGHT  # hashes in a full tile
MAX_LEVEL = 63
MAX_ENTRY = 0xFFFF  # an entry bundle writes each entry's length in two bytes
ENTRIES = "entries"

_GROUP = re.compile(r"^x[0-9]{3}$")
_LAST = re.compile(r"^[0-9]{3}$")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")  # a decimal without leading zeros, in the digits 0-9 only


class TilePathError(ValueError):
    """Not the canonical path of a tile."""


@dataclass(frozen=True)
class Tile:
    level: int  # the tile level, or -1 for an entry bundle
    index: int
    width: int = WIDTH

    @property
    def is_entries(self) -> bool:
        return self.level < 0

    @property
    def path(self) -> str:
        return "tile/" + (ENTRIES if self.is_entries else str(self.level)) + "/" + encode_index(self.index, self.width)

    def node_range(self) -> tuple[int, int]:
        """[first, last + 1) node indices of tree level 8L (leaf indices for level 0 and bundles)."""
        return self.index * WIDTH, self.index * WIDTH + self.width


def encode_index(index: int, width: int = WIDTH) -> str:
    digits = f"{index:d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    path = "/".join(["x" + group for group in groups[:-1]] + [groups[-1]])
    return path if width == WIDTH else f"{path}.p/{width}"


def parse_index(path: str) -> tuple[int, int]:
    """(N, W) of the canonical `<N>[.p/<W>]`; TilePathError for anything else (leading zero groups,
    a width of 0 or 256 and up, stray characters)."""
    width = WIDTH
    if ".p/" in path:
        path, _, written = path.partition(".p/")
        if not _WIDTH.fullmatch(written) or not 1 <= int(written) < WIDTH:
            raise TilePathError(f"the width of a partial tile is 1 to {WIDTH - 1}, written without leading zeros")
        width = int(written)
    groups = path.split("/")
    if not _LAST.match(groups[-1]) or not all(_GROUP.match(group) for group in groups[:-1]):
        raise TilePathError("a tile index is groups of three digits, each but the last prefixed by x")
    if len(groups) > 1 and groups[0] == "x000":
        raise TilePathError("a tile index has no leading group of zeros")
    if len(groups) > 7:  # 2^64 has 20 digits
        raise TilePathError("a tile index is below 2^64")
    return int("".join(group.lstrip("x") for group in groups)), width


def tiles_for_size(size: int) -> list[Tile]:
    """Every hash tile of a tree of `size` leaves: the full tiles and, at the right edge of each
    level, the partial tile of that size."""
    tiles: list[Tile] = []
    level, count = 0, size  # count: nodes of tree level 8*level
    while count > 0 and level <= MAX_LEVEL:
        full, rest = divmod(count, WIDTH)
        tiles.extend(Tile(level, index) for index in range(full))
        if rest:
            tiles.append(Tile(level, full, rest))
        level, count = level + 1, count >> HEIGHT
    return tiles


def available_width(level: int, index: int, size: int) -> int:
    """How many hashes of tile (level, index) a tree of `size` leaves has (0: none yet)."""
    count = size >> (HEIGHT * level)
    return max(0, min(WIDTH, count - index * WIDTH))


def bundle(entries: list[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit a tile's two-byte length")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError("an entry bundle ends inside a length")
        length = int.from_bytes(data[offset : offset + 2], "big")
        if offset + 2 + length > len(data):
            raise ValueError("an entry bundle ends inside an entry")
        entries.append(data[offset + 2 : offset + 2 + length])
        offset += 2 + length
    return entries
