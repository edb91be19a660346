"""Properties of random trees: proofs match the RFC 9162 definitions, verify, and fail under every mutation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle
from audit.merkle import ProofError

PROPERTIES = settings(max_examples=200, deadline=None, database=None)
MAX_SIZE = 300


def make_leaves(size, salt):
    # Distinct leaves: with repeated leaves a proof for one position can honestly fit another.
    return [merkle.leaf_hash(b"%d:%d" % (salt, i)) for i in range(size)]


@st.composite
def trees(draw, min_size=1):
    size = draw(st.integers(min_size, MAX_SIZE))
    return make_leaves(size, draw(st.integers(0, 2**32)))


@st.composite
def inclusion_cases(draw, min_size=1):
    leaves = draw(trees(min_size))
    index = draw(st.integers(0, len(leaves) - 1))
    return leaves, index, merkle.inclusion_proof(index, leaves), merkle.root(leaves)


@st.composite
def consistency_cases(draw, proper=False):
    # proper: 0 < size1 < size2, so the proof is not empty.
    leaves = draw(trees(min_size=2 if proper else 1))
    size1 = draw(st.integers(1, len(leaves) - 1) if proper else st.integers(0, len(leaves)))
    proof = merkle.consistency_proof(size1, leaves)
    return leaves, size1, proof, merkle.root(leaves[:size1]), merkle.root(leaves)


# Reference definitions, written straight from RFC 9162 2.1.1, 2.1.3.1 and 2.1.4.1.


def reference_mth(leaves):
    if len(leaves) <= 1:
        return leaves[0] if leaves else merkle.EMPTY_ROOT
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(reference_mth(leaves[:k]), reference_mth(leaves[k:]))


def reference_path(m, leaves):
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return reference_path(m, leaves[:k]) + [reference_mth(leaves[k:])]
    return reference_path(m - k, leaves[k:]) + [reference_mth(leaves[:k])]


def reference_subproof(m, leaves, whole):
    if m == len(leaves):
        return [] if whole else [reference_mth(leaves)]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m <= k:
        return reference_subproof(m, leaves[:k], whole) + [reference_mth(leaves[k:])]
    return reference_subproof(m - k, leaves[k:], False) + [reference_mth(leaves[:k])]


def flip_bit(proof, data):
    position = data.draw(st.integers(0, len(proof) - 1))
    byte = data.draw(st.integers(0, merkle.HASH_SIZE - 1))
    element = bytearray(proof[position])
    element[byte] ^= 1 << data.draw(st.integers(0, 7))
    return [*proof[:position], bytes(element), *proof[position + 1 :]]


def drop_element(proof, data):
    position = data.draw(st.integers(0, len(proof) - 1))
    return proof[:position] + proof[position + 1 :]


def add_element(proof, data):
    position = data.draw(st.integers(0, len(proof)))
    return [*proof[:position], data.draw(st.binary(min_size=32, max_size=32)), *proof[position:]]


def inclusion_shape(index, size):
    # Which side each sibling sits on: this alone decides how verification combines the hashes.
    return tuple(end <= index for _, end in merkle.inclusion_ranges(index, size))


def consistency_shape(size1, size2):
    if size1 in (0, size2):
        return ("empty", size1 == 0)
    sides = tuple(end <= size1 for _, end in merkle.consistency_ranges(size1, size2))
    return (size1 & (size1 - 1) == 0, sides)


# Building.


@PROPERTIES
@given(inclusion_cases())
def test_inclusion_proof_matches_rfc_definition(case):
    leaves, index, proof, _ = case
    assert proof == reference_path(index, leaves)


@PROPERTIES
@given(consistency_cases(proper=True))
def test_consistency_proof_matches_rfc_definition(case):
    leaves, size1, proof, _, _ = case
    assert proof == reference_subproof(size1, leaves, True)


@PROPERTIES
@given(trees())
def test_root_matches_rfc_definition(leaves):
    assert merkle.root(leaves) == reference_mth(leaves)


# Verifying.


@PROPERTIES
@given(inclusion_cases())
def test_every_inclusion_proof_verifies(case):
    leaves, index, proof, root = case
    merkle.verify_inclusion(leaves[index], index, len(leaves), proof, root)


@PROPERTIES
@given(consistency_cases())
def test_every_consistency_proof_verifies(case):
    leaves, size1, proof, root1, root2 = case
    merkle.verify_consistency(size1, len(leaves), proof, root1, root2)


# Mutating an inclusion proof.


@PROPERTIES
@given(inclusion_cases(min_size=2), st.data())
def test_inclusion_fails_with_a_flipped_bit(case, data):
    leaves, index, proof, root = case
    with pytest.raises(ProofError, match="expected root"):
        merkle.verify_inclusion(leaves[index], index, len(leaves), flip_bit(proof, data), root)


@PROPERTIES
@given(inclusion_cases(min_size=2), st.data())
def test_inclusion_fails_with_a_dropped_element(case, data):
    leaves, index, proof, root = case
    with pytest.raises(ProofError, match="missing elements"):
        merkle.verify_inclusion(leaves[index], index, len(leaves), drop_element(proof, data), root)


@PROPERTIES
@given(inclusion_cases(), st.data())
def test_inclusion_fails_with_an_added_element(case, data):
    leaves, index, proof, root = case
    with pytest.raises(ProofError, match="trailing elements"):
        merkle.verify_inclusion(leaves[index], index, len(leaves), add_element(proof, data), root)


@PROPERTIES
@given(inclusion_cases(min_size=2), st.data())
def test_inclusion_fails_at_another_index(case, data):
    leaves, index, proof, root = case
    other = data.draw(st.integers(0, len(leaves) - 1).filter(lambda i: i != index))
    with pytest.raises(ProofError):
        merkle.verify_inclusion(leaves[index], other, len(leaves), proof, root)


@PROPERTIES
@given(inclusion_cases(), st.integers(1, MAX_SIZE + 100))
def test_inclusion_fails_at_another_size_unless_the_path_has_the_same_shape(case, other_size):
    leaves, index, proof, root = case
    size = len(leaves)
    if other_size > index and inclusion_shape(index, other_size) == inclusion_shape(index, size):
        merkle.verify_inclusion(leaves[index], index, other_size, proof, root)
    elif other_size != size:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaves[index], index, other_size, proof, root)


@PROPERTIES
@given(inclusion_cases(min_size=2), st.data())
def test_inclusion_fails_for_another_leaf(case, data):
    leaves, index, proof, root = case
    other = data.draw(st.integers(0, len(leaves) - 1).filter(lambda i: i != index))
    with pytest.raises(ProofError, match="expected root"):
        merkle.verify_inclusion(leaves[other], index, len(leaves), proof, root)


@PROPERTIES
@given(inclusion_cases(), st.binary(min_size=32, max_size=32))
def test_inclusion_fails_against_another_root(case, other_root):
    leaves, index, proof, root = case
    with pytest.raises(ProofError, match="expected root"):
        merkle.verify_inclusion(leaves[index], index, len(leaves), proof, other_root)


# Mutating a consistency proof.


@PROPERTIES
@given(consistency_cases(proper=True), st.data())
def test_consistency_fails_with_a_flipped_bit(case, data):
    leaves, size1, proof, root1, root2 = case
    with pytest.raises(ProofError, match="does not lead to the"):
        merkle.verify_consistency(size1, len(leaves), flip_bit(proof, data), root1, root2)


@PROPERTIES
@given(consistency_cases(proper=True), st.data())
def test_consistency_fails_with_a_dropped_element(case, data):
    leaves, size1, proof, root1, root2 = case
    with pytest.raises(ProofError, match="missing elements"):
        merkle.verify_consistency(size1, len(leaves), drop_element(proof, data), root1, root2)


@PROPERTIES
@given(consistency_cases(), st.data())
def test_consistency_fails_with_an_added_element(case, data):
    leaves, size1, proof, root1, root2 = case
    with pytest.raises(ProofError, match="trailing elements"):
        merkle.verify_consistency(size1, len(leaves), add_element(proof, data), root1, root2)


@PROPERTIES
@given(consistency_cases(), st.integers(0, MAX_SIZE))
def test_consistency_fails_from_another_first_size_unless_the_proof_has_the_same_shape(case, other_size1):
    leaves, size1, proof, root1, root2 = case
    size2 = len(leaves)
    if other_size1 == size1 or other_size1 > size2:
        return
    if consistency_shape(other_size1, size2) == consistency_shape(size1, size2):
        merkle.verify_consistency(other_size1, size2, proof, root1, root2)
    else:
        with pytest.raises(ProofError):
            merkle.verify_consistency(other_size1, size2, proof, root1, root2)


@PROPERTIES
@given(consistency_cases(proper=True), st.integers(1, MAX_SIZE + 100))
def test_consistency_fails_to_another_second_size_unless_the_proof_has_the_same_shape(case, other_size2):
    leaves, size1, proof, root1, root2 = case
    size2 = len(leaves)
    if other_size2 == size2:
        return
    if other_size2 > size1 and consistency_shape(size1, other_size2) == consistency_shape(size1, size2):
        merkle.verify_consistency(size1, other_size2, proof, root1, root2)
    else:
        with pytest.raises(ProofError):
            merkle.verify_consistency(size1, other_size2, proof, root1, root2)


@PROPERTIES
@given(consistency_cases(proper=True), st.binary(min_size=32, max_size=32))
def test_consistency_fails_from_another_first_root(case, other_root):
    leaves, size1, proof, _, root2 = case
    # A power-of-two old tree's root seeds the fold, so a wrong one shows up in the second root.
    with pytest.raises(ProofError, match="does not lead to the (first|second) root"):
        merkle.verify_consistency(size1, len(leaves), proof, other_root, root2)


@PROPERTIES
@given(consistency_cases(proper=True), st.binary(min_size=32, max_size=32))
def test_consistency_fails_to_another_second_root(case, other_root):
    leaves, size1, proof, root1, _ = case
    with pytest.raises(ProofError, match="second root"):
        merkle.verify_consistency(size1, len(leaves), proof, root1, other_root)


# Frontier, stored nodes and ranges.


def all_complete_nodes(leaves):
    """Every complete subtree a store would hold: the leaves, plus what Frontier.append reports."""
    frontier, nodes = merkle.Frontier(), {}
    for position, leaf in enumerate(leaves):
        nodes[(0, position)] = leaf
        nodes.update(((level, index), node) for level, index, node in frontier.append(leaf))
    return frontier, nodes


@PROPERTIES
@given(st.integers(0, MAX_SIZE), st.integers(0, 2**32))
def test_frontier_agrees_with_root(size, salt):
    leaves = make_leaves(size, salt)
    frontier, _ = all_complete_nodes(leaves)
    assert frontier.size == size
    assert frontier.root() == merkle.root(leaves)


@PROPERTIES
@given(trees())
def test_frontier_reports_each_completed_node_correctly(leaves):
    _, nodes = all_complete_nodes(leaves)
    for (level, index), node in nodes.items():
        assert node == merkle.root(leaves[index << level : (index + 1) << level])


@PROPERTIES
@given(st.integers(0, MAX_SIZE), st.integers(1, 50), st.integers(0, 2**32))
def test_frontier_restored_from_stored_nodes_continues_like_the_original(size, more, salt):
    leaves = make_leaves(size + more, salt)
    original, nodes = all_complete_nodes(leaves[:size])
    restored = merkle.Frontier.from_nodes(size, [nodes[key] for key in merkle.frontier_keys(size)])
    assert restored.root() == original.root()
    for leaf in leaves[size:]:
        assert restored.append(leaf) == original.append(leaf)
    assert restored.root() == merkle.root(leaves)


@PROPERTIES
@given(trees(), st.data())
def test_subtree_fold_over_stored_nodes_gives_every_proof_range(leaves, data):
    _, nodes = all_complete_nodes(leaves)
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(0, size))
    for start, end in merkle.inclusion_ranges(index, size) + merkle.consistency_ranges(size1, size):
        keys = merkle.subtree_keys(start, end)
        assert merkle.fold_subtrees([nodes[key] for key in keys]) == merkle.root(leaves[start:end])


@PROPERTIES
@given(trees(), st.data())
def test_subtree_fold_over_stored_nodes_gives_any_aligned_range(leaves, data):
    _, nodes = all_complete_nodes(leaves)
    level = data.draw(st.integers(0, (len(leaves)).bit_length() - 1))
    start = data.draw(st.integers(0, (len(leaves) - (1 << level)) >> level)) << level
    # Any width whose largest piece is 2**level keeps start aligned.
    end = start + data.draw(st.integers(1 << level, min((2 << level) - 1, len(leaves) - start)))
    keys = merkle.subtree_keys(start, end)
    assert merkle.fold_subtrees([nodes[key] for key in keys]) == merkle.root(leaves[start:end])
