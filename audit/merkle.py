"""RFC 9162 Merkle trees over SHA-256: roots, incremental frontiers, proof building and proof verification.

Tree positions are named two ways. A key (level, index) is the complete subtree over leaves
[index * 2**level, (index + 1) * 2**level); level 0 keys are the leaves themselves. A range
(start, end) is any run of leaves whose RFC 9162 hash MTH(D[start:end]) is wanted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from audit.errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Key = tuple[int, int]
Range = tuple[int, int]

# A stored node is keyed by the last leaf it covers and its level: (last_leaf << NODE_KEY_BITS) | level.
# Key order is the order a growing tree completes its nodes, so a verifier reads them as it needs them.
NODE_KEY_BITS = 6  # levels 0..63


def node_key(level: int, index: int) -> int:
    """Key of the complete subtree at `level` covering leaves [index * 2**level, (index + 1) * 2**level)."""
    return ((((index + 1) << level) - 1) << NODE_KEY_BITS) | level


def node_of_key(key: int) -> Key:
    """The (level, index) a node key names (the inverse of node_key)."""
    level = key & ((1 << NODE_KEY_BITS) - 1)
    return level, (((key >> NODE_KEY_BITS) + 1) >> level) - 1


class ProofError(VerificationError):
    """An inclusion or consistency proof is malformed or does not lead to the expected root."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH of the leaves (EMPTY_ROOT for none). Requires 32-byte leaf hashes; not checked, for speed.

    Hashing level by level and carrying an odd last node up unchanged builds exactly the RFC tree,
    whose right edge is likewise made of nodes promoted without pairing.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    while len(level) > 1:
        carry = level[-1:] if len(level) % 2 else []
        pairs = iter(level)
        level = [sha256(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs)]
        level += carry
    return level[0]


def subtree_keys(start: int, end: int) -> list[Key]:
    """Return the complete subtrees, left to right, whose fold_subtrees gives MTH(D[start:end]).

    They are the binary decomposition of end - start, largest first, laid out from start. Requires
    0 <= start < end and start a multiple of the largest power of two <= end - start, so that every
    piece is aligned; every node of an RFC 9162 tree qualifies. Raises ValueError otherwise.
    """
    width = end - start
    if start < 0 or width <= 0:
        raise ValueError(f"leaf range [{start}, {end}) is empty or negative")
    top = width.bit_length() - 1
    if start % (1 << top):
        raise ValueError(f"leaf range [{start}, {end}) does not start at a multiple of {1 << top}")
    keys = []
    for level in range(top, -1, -1):
        if width >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def frontier_keys(size: int) -> list[Key]:
    """Return the complete subtrees on the right edge of a tree of size leaves, largest first.

    Requires size >= 0 (ValueError otherwise); an empty tree has none.
    """
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return subtree_keys(0, size) if size else []


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """Fold subtree hashes from the right with node_hash. Requires at least one hash (ValueError)."""
    if not hashes:
        raise ValueError("cannot fold an empty list of subtree hashes")
    folded = hashes[-1]
    for left in reversed(hashes[:-1]):
        folded = node_hash(left, folded)
    return folded


class Frontier:
    """The right-edge subtrees of a growing tree: all that is needed to append leaves and get the root."""

    def __init__(self) -> None:
        self._size = 0
        self._nodes: list[tuple[int, bytes]] = []  # (level, hash), largest subtree first

    @classmethod
    def from_nodes(cls, size: int, nodes: Sequence[bytes]) -> Frontier:
        """Restore the frontier of a tree of size leaves from the hashes of frontier_keys(size), in order.

        Raises ValueError if the count does not match or a hash is not 32 bytes.
        """
        keys = frontier_keys(size)
        if len(nodes) != len(keys):
            raise ValueError(f"a tree of {size} leaves has {len(keys)} frontier nodes, got {len(nodes)}")
        if any(not isinstance(node, bytes) or len(node) != HASH_SIZE for node in nodes):
            raise ValueError(f"frontier nodes must be {HASH_SIZE}-byte hashes")
        frontier = cls()
        frontier._size = size
        frontier._nodes = [(level, node) for (level, _), node in zip(keys, nodes)]
        return frontier

    def copy(self) -> Frontier:
        """An independent frontier of the same tree (appending to one leaves the other as it was)."""
        twin = Frontier()
        twin._size, twin._nodes = self._size, list(self._nodes)
        return twin

    @property
    def size(self) -> int:
        return self._size

    @property
    def nodes(self) -> list[bytes]:
        """Hashes of frontier_keys(size), largest first: what from_nodes takes back."""
        return [node for _, node in self._nodes]

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf; return (level, index, hash) of every node of level >= 1 it completed, lowest first.

        Raises ValueError if leaf_hash is not 32 bytes.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
        position = self._size
        self._size += 1
        level, node = 0, leaf_hash
        completed = []
        while self._nodes and self._nodes[-1][0] == level:
            _, left = self._nodes.pop()
            level += 1
            node = node_hash(left, node)
            completed.append((level, position >> level, node))
        self._nodes.append((level, node))
        return completed

    def root(self) -> bytes:
        return fold_subtrees(self.nodes) if self._nodes else EMPTY_ROOT


def _largest_power_below(width: int) -> int:
    # RFC 9162's k: the largest power of two strictly smaller than width (width >= 2).
    return 1 << ((width - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Return the ranges whose hashes form PATH(index, D[size]) (RFC 9162 2.1.3.1), leaf's sibling first.

    Requires 0 <= index < size; raises ValueError otherwise.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _largest_power_below(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """Return the ranges whose hashes form PROOF(size1, D[size2]) (RFC 9162 2.1.4.1), in proof order.

    Requires 0 <= size1 <= size2 (ValueError otherwise); size1 == 0 or size1 == size2 gives no ranges.
    """
    if not 0 <= size1 <= size2:
        raise ValueError(f"cannot prove tree size {size1} consistent with size {size2}")
    if size1 in (0, size2):
        return []
    descent = []
    start, end, whole_old_tree = 0, size2, True
    # Walk SUBPROOF down to the node whose right edge is size1; outer elements come last in the proof.
    while size1 != end:
        middle = start + _largest_power_below(end - start)
        if size1 <= middle:
            descent.append((middle, end))
            end = middle
        else:
            descent.append((start, middle))
            start, whole_old_tree = middle, False
    descent.reverse()
    # When that node is the whole old tree the verifier already knows its hash (root1).
    return descent if whole_old_tree else [(start, end), *descent]


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Build the inclusion proof of leaf index in the tree of leaf_hashes; ValueError if out of range."""
    return [root(leaf_hashes[start:end]) for start, end in inclusion_ranges(index, len(leaf_hashes))]


def consistency_proof(size1: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Build the proof that the first size1 leaves are a prefix of leaf_hashes; ValueError if out of range."""
    return [root(leaf_hashes[start:end]) for start, end in consistency_ranges(size1, len(leaf_hashes))]


def _require_hashes(proof: Sequence[bytes], **named: bytes) -> None:
    for what, value in [*named.items(), *((f"proof element {i}", p) for i, p in enumerate(proof))]:
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            raise ProofError(f"{what.replace('_', ' ')} is not a {HASH_SIZE}-byte hash")


def _shift_to_odd(fn: int, sn: int) -> tuple[int, int]:
    # Skip the levels where the path node is a right edge promoted without a sibling.
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Return the root that proof leads to from leaf_hash at index (RFC 9162 2.1.3.2 steps 1-4).

    Raises ProofError if index >= size, a hash is not 32 bytes, or the proof length is wrong for (index, size).
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _require_hashes(proof, leaf_hash=leaf_hash)
    fn, sn, node = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError("inclusion proof has trailing elements")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is missing elements")
    return node


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that leaf_hash is leaf index of the tree of size leaves with this root; ProofError if not."""
    _require_hashes((), root=root)
    if root_from_inclusion(leaf_hash, index, size, proof) != root:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree (size1, root1) is a prefix of (size2, root2) (RFC 9162 2.1.4.2); ProofError if not.

    Requires 0 <= size1 <= size2. Edge cases, which take an empty proof: size1 == size2 needs
    root1 == root2; size1 == 0 needs root1 == EMPTY_ROOT and accepts any root2 (every tree extends
    the empty one). Raises ProofError for a hash that is not 32 bytes or a proof of the wrong length.
    """
    if not 0 <= size1 <= size2:
        raise ProofError(f"tree size {size1} cannot be a prefix of tree size {size2}")
    _require_hashes(proof, first_root=root1, second_root=root2)
    if size1 == 0 and root1 != EMPTY_ROOT:
        raise ProofError("first root is not the empty tree's root")
    if size1 in (0, size2):
        if proof:
            raise ProofError("consistency proof has trailing elements")
        if size1 == size2 and root1 != root2:
            raise ProofError("trees of equal size have different roots")
        return
    if not proof:
        raise ProofError("consistency proof is missing elements")
    # A power-of-two old tree is itself a node of the new tree, so its root seeds both folds.
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof has trailing elements")
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is missing elements")
    if first != root1:
        raise ProofError("consistency proof does not lead to the first root")
    if second != root2:
        raise ProofError("consistency proof does not lead to the second root")
