"""Merkle trees against the RFC 6962/9162 vectors, plus each way verification and the range helpers refuse input."""

import json
from pathlib import Path

import pytest

from audit import merkle
from audit.errors import VerificationError
from audit.merkle import ProofError

VECTORS = json.loads((Path(__file__).parent.parent / "vectors" / "merkle.json").read_text())
LEAVES = [merkle.leaf_hash(bytes.fromhex(data)) for data in VECTORS["leaves"]]
ROOTS = {int(size): bytes.fromhex(root) for size, root in VECTORS["roots"].items()}
INCLUSION = VECTORS["inclusion"]
CONSISTENCY = VECTORS["consistency"]


def hashes(hex_list):
    return [bytes.fromhex(h) for h in hex_list]


def case_id(case):
    return "-".join(f"{key}{value}" for key, value in case.items() if key != "proof")


@pytest.mark.parametrize("size", sorted(ROOTS), ids=lambda size: f"size{size}")
def test_root_matches_vector(size):
    assert merkle.root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize("size", sorted(ROOTS), ids=lambda size: f"size{size}")
def test_frontier_root_matches_vector(size):
    frontier = merkle.Frontier()
    for leaf in LEAVES[:size]:
        frontier.append(leaf)
    assert frontier.size == size
    assert frontier.root() == ROOTS[size]


@pytest.mark.parametrize("case", INCLUSION, ids=case_id)
def test_inclusion_proof_is_built_as_in_vector(case):
    assert merkle.inclusion_proof(case["index"], LEAVES[: case["size"]]) == hashes(case["proof"])


@pytest.mark.parametrize("case", INCLUSION, ids=case_id)
def test_inclusion_vector_verifies(case):
    index, size = case["index"], case["size"]
    merkle.verify_inclusion(LEAVES[index], index, size, hashes(case["proof"]), ROOTS[size])


@pytest.mark.parametrize("case", CONSISTENCY, ids=case_id)
def test_consistency_proof_is_built_as_in_vector(case):
    assert merkle.consistency_proof(case["size1"], LEAVES[: case["size2"]]) == hashes(case["proof"])


@pytest.mark.parametrize("case", CONSISTENCY, ids=case_id)
def test_consistency_vector_verifies(case):
    size1, size2 = case["size1"], case["size2"]
    merkle.verify_consistency(size1, size2, hashes(case["proof"]), ROOTS[size1], ROOTS[size2])


# The corruptions transparency-dev/merkle's proof tests probe beside a missing or trailing element: an
# element put in front, one put in the middle, and (for consistency) the two roots swapped.
def _prepended(proof):
    return [b"\x00" * 32, *proof]


def _inserted(proof):
    middle = len(proof) // 2
    return [*proof[:middle], b"\x07" * 32, *proof[middle:]]


@pytest.mark.parametrize("corrupt", [_prepended, _inserted], ids=["prepended-element", "inserted-element"])
@pytest.mark.parametrize("case", INCLUSION, ids=case_id)
def test_inclusion_rejects_an_element_added_anywhere(case, corrupt):
    index, size = case["index"], case["size"]
    with pytest.raises(ProofError):
        merkle.verify_inclusion(LEAVES[index], index, size, corrupt(hashes(case["proof"])), ROOTS[size])


@pytest.mark.parametrize("corrupt", [_prepended, _inserted], ids=["prepended-element", "inserted-element"])
@pytest.mark.parametrize("case", CONSISTENCY, ids=case_id)
def test_consistency_rejects_an_element_added_anywhere(case, corrupt):
    size1, size2 = case["size1"], case["size2"]
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1, size2, corrupt(hashes(case["proof"])), ROOTS[size1], ROOTS[size2])


@pytest.mark.parametrize("case", CONSISTENCY, ids=case_id)
def test_consistency_rejects_swapped_roots(case):
    size1, size2 = case["size1"], case["size2"]
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1, size2, hashes(case["proof"]), ROOTS[size2], ROOTS[size1])


@pytest.mark.parametrize("case", INCLUSION, ids=case_id)
def test_inclusion_rejects_the_leaf_swapped_with_the_root(case):
    index, size = case["index"], case["size"]
    with pytest.raises(ProofError):
        merkle.verify_inclusion(ROOTS[size], index, size, hashes(case["proof"]), LEAVES[index])


def test_proof_error_is_a_verification_error():
    assert issubclass(ProofError, VerificationError)


# Inclusion verification, one test per way it fails (vector: leaf 5 of 8).

PROOF_5_OF_8 = hashes(INCLUSION[1]["proof"])


def test_inclusion_rejects_index_at_or_beyond_size():
    with pytest.raises(ProofError, match="not below tree size"):
        merkle.verify_inclusion(LEAVES[5], 8, 8, PROOF_5_OF_8, ROOTS[8])


def test_inclusion_rejects_short_leaf_hash():
    with pytest.raises(ProofError, match="leaf hash is not a 32-byte hash"):
        merkle.verify_inclusion(LEAVES[5][:31], 5, 8, PROOF_5_OF_8, ROOTS[8])


def test_inclusion_rejects_short_proof_element():
    with pytest.raises(ProofError, match="proof element 1 is not a 32-byte hash"):
        merkle.verify_inclusion(LEAVES[5], 5, 8, [PROOF_5_OF_8[0], PROOF_5_OF_8[1][:31], PROOF_5_OF_8[2]], ROOTS[8])


def test_inclusion_rejects_long_root():
    with pytest.raises(ProofError, match="root is not a 32-byte hash"):
        merkle.verify_inclusion(LEAVES[5], 5, 8, PROOF_5_OF_8, ROOTS[8] + b"\x00")


def test_inclusion_rejects_missing_element():
    with pytest.raises(ProofError, match="missing elements"):
        merkle.verify_inclusion(LEAVES[5], 5, 8, PROOF_5_OF_8[:2], ROOTS[8])


def test_inclusion_rejects_trailing_element():
    with pytest.raises(ProofError, match="trailing elements"):
        merkle.verify_inclusion(LEAVES[5], 5, 8, [*PROOF_5_OF_8, ROOTS[8]], ROOTS[8])


def test_inclusion_rejects_wrong_root():
    with pytest.raises(ProofError, match="does not lead to the expected root"):
        merkle.verify_inclusion(LEAVES[5], 5, 8, PROOF_5_OF_8, ROOTS[7])


def test_root_from_inclusion_returns_the_root_the_proof_leads_to():
    assert merkle.root_from_inclusion(LEAVES[5], 5, 8, PROOF_5_OF_8) == ROOTS[8]


def test_inclusion_proof_does_not_by_itself_fix_the_tree_size():
    # Leaf 0's path has the same shape in trees of 5 to 8 leaves, so the 8-leaf proof and root
    # also pass as "size 5". The size is bound by the signed checkpoint, never by the proof.
    proof = merkle.inclusion_proof(0, LEAVES)
    merkle.verify_inclusion(LEAVES[0], 0, 5, proof, ROOTS[8])


# Consistency verification, one test per way it fails (vector: 6 -> 8).

PROOF_6_TO_8 = hashes(CONSISTENCY[0]["proof"])


def test_consistency_rejects_first_size_above_second():
    with pytest.raises(ProofError, match="cannot be a prefix"):
        merkle.verify_consistency(8, 6, PROOF_6_TO_8, ROOTS[8], ROOTS[6])


def test_consistency_rejects_short_root():
    with pytest.raises(ProofError, match="second root is not a 32-byte hash"):
        merkle.verify_consistency(6, 8, PROOF_6_TO_8, ROOTS[6], ROOTS[8][:16])


def test_consistency_rejects_missing_element():
    with pytest.raises(ProofError, match="missing elements"):
        merkle.verify_consistency(6, 8, PROOF_6_TO_8[:2], ROOTS[6], ROOTS[8])


def test_consistency_rejects_empty_proof_between_different_sizes():
    with pytest.raises(ProofError, match="missing elements"):
        merkle.verify_consistency(6, 8, [], ROOTS[6], ROOTS[8])


def test_consistency_rejects_trailing_element():
    with pytest.raises(ProofError, match="trailing elements"):
        merkle.verify_consistency(6, 8, [*PROOF_6_TO_8, ROOTS[8]], ROOTS[6], ROOTS[8])


def test_consistency_rejects_wrong_first_root():
    with pytest.raises(ProofError, match="does not lead to the first root"):
        merkle.verify_consistency(6, 8, PROOF_6_TO_8, ROOTS[5], ROOTS[8])


def test_consistency_rejects_wrong_second_root():
    with pytest.raises(ProofError, match="does not lead to the second root"):
        merkle.verify_consistency(6, 8, PROOF_6_TO_8, ROOTS[6], ROOTS[7])


def test_consistency_of_equal_sizes_takes_an_empty_proof_and_equal_roots():
    merkle.verify_consistency(8, 8, [], ROOTS[8], ROOTS[8])


def test_consistency_of_equal_sizes_rejects_a_proof():
    with pytest.raises(ProofError, match="trailing elements"):
        merkle.verify_consistency(8, 8, [ROOTS[8]], ROOTS[8], ROOTS[8])


def test_consistency_of_equal_sizes_rejects_different_roots():
    with pytest.raises(ProofError, match="equal size have different roots"):
        merkle.verify_consistency(8, 8, [], ROOTS[8], ROOTS[7])


def test_consistency_from_empty_tree_accepts_any_second_root():
    merkle.verify_consistency(0, 8, [], merkle.EMPTY_ROOT, ROOTS[8])


def test_consistency_from_empty_tree_requires_the_empty_root():
    with pytest.raises(ProofError, match="empty tree's root"):
        merkle.verify_consistency(0, 8, [], ROOTS[1], ROOTS[8])


def test_consistency_from_empty_tree_rejects_a_proof():
    with pytest.raises(ProofError, match="trailing elements"):
        merkle.verify_consistency(0, 8, [ROOTS[8]], merkle.EMPTY_ROOT, ROOTS[8])


# Tree positions and builders.


def test_empty_root_is_sha256_of_nothing():
    assert merkle.EMPTY_ROOT == ROOTS[0] == merkle.root([])


def test_frontier_keys_follow_the_binary_decomposition_of_size():
    assert merkle.frontier_keys(13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.frontier_keys(0) == []


def test_frontier_append_reports_the_nodes_it_completes():
    frontier = merkle.Frontier()
    assert [frontier.append(leaf) for leaf in LEAVES[:3]] == [[], [(1, 0, merkle.root(LEAVES[:2]))], []]
    assert frontier.append(LEAVES[3]) == [(1, 1, merkle.root(LEAVES[2:4])), (2, 0, merkle.root(LEAVES[:4]))]


def test_frontier_restores_from_its_nodes():
    original = merkle.Frontier()
    for leaf in LEAVES[:7]:
        original.append(leaf)
    restored = merkle.Frontier.from_nodes(7, original.nodes)
    assert restored.root() == ROOTS[7]
    restored.append(LEAVES[7])
    assert restored.root() == ROOTS[8]


def test_frontier_from_nodes_rejects_wrong_node_count():
    with pytest.raises(ValueError, match="has 3 frontier nodes, got 2"):
        merkle.Frontier.from_nodes(7, LEAVES[:2])


def test_frontier_from_nodes_rejects_short_hash():
    with pytest.raises(ValueError, match="32-byte hashes"):
        merkle.Frontier.from_nodes(1, [b"short"])


@pytest.mark.parametrize(
    "start, end, keys",
    [(0, 8, [(3, 0)]), (4, 7, [(1, 2), (0, 6)]), (4, 10, [(2, 1), (1, 4)]), (5, 6, [(0, 5)])],
    ids=["whole-tree", "right-edge", "aligned-to-largest-piece", "one-leaf"],
)
def test_subtree_keys_decompose_the_range(start, end, keys):
    assert merkle.subtree_keys(start, end) == keys


@pytest.mark.parametrize(
    "start, end",
    [(3, 3), (5, 4), (-2, 2), (2, 6), (1, 3)],
    ids=["empty", "reversed", "negative", "misaligned-4", "misaligned-2"],
)
def test_subtree_keys_reject_ranges_not_starting_aligned(start, end):
    with pytest.raises(ValueError, match=r"leaf range"):
        merkle.subtree_keys(start, end)


def test_fold_subtrees_rejects_nothing_to_fold():
    with pytest.raises(ValueError, match="empty list"):
        merkle.fold_subtrees([])


@pytest.mark.parametrize("index, size", [(0, 0), (3, 3), (-1, 3)], ids=["empty-tree", "index-equals-size", "negative"])
def test_inclusion_ranges_reject_index_outside_tree(index, size):
    with pytest.raises(ValueError, match="is not in a tree"):
        merkle.inclusion_ranges(index, size)


@pytest.mark.parametrize("size1, size2", [(5, 4), (-1, 4)], ids=["shrinking", "negative"])
def test_consistency_ranges_reject_impossible_sizes(size1, size2):
    with pytest.raises(ValueError, match="cannot prove"):
        merkle.consistency_ranges(size1, size2)


@pytest.mark.parametrize("size1, size2", [(0, 5), (5, 5)], ids=["from-empty", "same-size"])
def test_consistency_proof_of_trivial_sizes_is_empty(size1, size2):
    assert merkle.consistency_proof(size1, LEAVES[:size2]) == []


def test_frontier_append_rejects_short_leaf_hash():
    with pytest.raises(ValueError, match="32 bytes"):
        merkle.Frontier().append(b"short")
