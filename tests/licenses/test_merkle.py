"""The Merkle tree of the licence log: RFC 6962 test vectors, agreement with pymerkle, and proofs that
verify exactly when nothing was changed."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection

import pymerkle
import pytest

from tongban.licenses import merkle
from tongban.licenses.merkle import MemoryStore

# The eight leaves of the RFC 6962 reference test data (certificate-transparency merkle_tree_test).
LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
INCLUSION = [  # (leaf index from 0, tree size, audit path)
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def pymerkle_tree(entries: list[bytes]) -> pymerkle.InmemoryTree:
    """pymerkle's own tree: SHA-256 with the RFC 6962 prefixes 0x00 (leaf) and 0x01 (node)."""
    tree = pymerkle.InmemoryTree(algorithm="sha256", disable_security=False)
    assert (tree.leaf_prefix, tree.node_prefix) == (b"\x00", b"\x01")
    for entry in entries:
        tree.append_entry(entry)
    return tree


def unhex(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


# --- RFC 6962 test vectors


def test_hashing_is_rfc_6962_and_matches_pymerkles_prefixes():
    hasher = pymerkle_tree([])
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.EMPTY_ROOT == MemoryStore().root() == hasher.get_root(0)
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest() == bytes.fromhex(ROOTS[1])
    assert merkle.leaf_hash(b"\x00") == hasher.hash_buff(b"\x00")
    left, right = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert merkle.node_hash(left, right) == hasher.hash_pair(left, right)


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_of_the_reference_tree(size):
    assert MemoryStore(LEAVES).root(size).hex() == ROOTS[size]
    assert pymerkle_tree(LEAVES).get_root(size).hex() == ROOTS[size]  # a mistyped vector shows here


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_of_the_reference_tree(index, size, path):
    store = MemoryStore(LEAVES)
    assert [h.hex() for h in store.inclusion_proof(index, size)] == path
    assert [h.hex() for h in pymerkle_tree(LEAVES).prove_inclusion(index + 1, size).path[1:]] == path
    root = bytes.fromhex(ROOTS[size])
    assert merkle.verify_inclusion(merkle.leaf_hash(LEAVES[index]), index, size, unhex(path), root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_of_the_reference_tree(old, new, proof):
    store = MemoryStore(LEAVES)
    assert [h.hex() for h in store.consistency_proof(old, new)] == proof
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert merkle.verify_consistency(old, new, old_root, new_root, unhex(proof))
    # pymerkle lays its consistency paths out differently; it must agree on each hash's subtree instead
    ranges = merkle.consistency_ranges(old, new)
    assert [pymerkle_tree(LEAVES[a:b]).get_root().hex() for a, b in ranges] == proof
    pymerkle.verify_consistency(old_root, new_root, pymerkle_tree(LEAVES).prove_consistency(old, new))


# --- agreement with pymerkle, sizes 1..70


SIZES = 70


@pytest.fixture(scope="module")
def both() -> tuple[MemoryStore, pymerkle.InmemoryTree, list[bytes]]:
    data = entries(SIZES)
    return MemoryStore(data), pymerkle_tree(data), data


def test_roots_agree_with_pymerkle_for_every_size(both):
    store, tree, _ = both
    for size in range(SIZES + 1):
        assert store.root(size) == tree.get_root(size), size


def test_inclusion_proofs_agree_with_pymerkle_for_every_leaf_and_size(both):
    store, tree, _ = both
    for size in range(1, SIZES + 1):
        for index in range(size):
            theirs = tree.prove_inclusion(index + 1, size)
            assert store.inclusion_proof(index, size) == theirs.path[1:], (index, size)


def test_consistency_proofs_agree_with_pymerkle_for_every_pair_of_sizes(both):
    store, tree, data = both
    subtree_roots: dict[tuple[int, int], bytes] = {}
    for new in range(1, SIZES + 1):
        for old in range(1, new + 1):
            ours = store.consistency_proof(old, new)
            for (start, end), value in zip(merkle.consistency_ranges(old, new), ours, strict=True):
                if (start, end) not in subtree_roots:
                    subtree_roots[start, end] = pymerkle_tree(data[start:end]).get_root()
                assert value == subtree_roots[start, end], (old, new, start, end)
            old_root, new_root = tree.get_root(old), tree.get_root(new)
            assert merkle.verify_consistency(old, new, old_root, new_root, ours), (old, new)
            pymerkle.verify_consistency(store.root(old), store.root(new), tree.prove_consistency(old, new))


# --- properties


def flipped(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33])
def test_every_inclusion_proof_verifies_and_any_change_fails(size):
    store = MemoryStore(entries(size))
    root = store.root()
    for index, entry in enumerate(entries(size)):
        leaf = merkle.leaf_hash(entry)
        proof = store.inclusion_proof(index)
        assert merkle.verify_inclusion(leaf, index, size, proof, root)
        assert not merkle.verify_inclusion(merkle.leaf_hash(entry + b"!"), index, size, proof, root)
        assert not merkle.verify_inclusion(leaf, index, size, proof, flipped(root))
        for other in (index - 1, index + 1):
            if 0 <= other < size:
                assert not merkle.verify_inclusion(leaf, other, size, proof, root)
        assert not merkle.verify_inclusion(leaf, size, size, proof, root)
        for position in range(len(proof)):
            changed = [*proof[:position], flipped(proof[position]), *proof[position + 1 :]]
            assert not merkle.verify_inclusion(leaf, index, size, changed, root)
        assert not merkle.verify_inclusion(leaf, index, size, [*proof, root], root)
        if proof:
            assert not merkle.verify_inclusion(leaf, index, size, proof[:-1], root)


def test_every_consistency_proof_verifies_and_any_change_fails():
    store = MemoryStore(entries(33))
    for new in range(1, 34):
        new_root = store.root(new)
        for old in range(1, new + 1):
            old_root, proof = store.root(old), store.consistency_proof(old, new)
            assert merkle.verify_consistency(old, new, old_root, new_root, proof)
            assert not merkle.verify_consistency(old, new, flipped(old_root), new_root, proof)
            assert not merkle.verify_consistency(old, new, old_root, flipped(new_root), proof)
            for position in range(len(proof)):
                changed = [*proof[:position], flipped(proof[position]), *proof[position + 1 :]]
                assert not merkle.verify_consistency(old, new, old_root, new_root, changed)
            if proof:
                assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
            assert not merkle.verify_consistency(new, old, new_root, old_root, proof) or old == new


def test_a_rewritten_entry_breaks_consistency_with_every_head_that_covered_it():
    honest = MemoryStore(entries(20))
    rewritten = MemoryStore([*entries(20)[:11], b"forged", *entries(20)[12:]])
    for old in range(1, 21):
        for new in range(old, 21):
            consistent = merkle.verify_consistency(
                old, new, honest.root(old), rewritten.root(new), rewritten.consistency_proof(old, new)
            )
            assert consistent == (old <= 11), (old, new)


def test_the_edges_of_verification():
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, b"\x00" * 32, [])  # the empty log precedes any
    assert not merkle.verify_consistency(0, 5, b"\x00" * 32, b"\x00" * 32, [])
    assert not merkle.verify_consistency(3, 5, b"\x00" * 32, b"\x00" * 32, [])  # a proof is needed
    assert not merkle.verify_consistency(6, 5, b"\x00" * 32, b"\x00" * 32, [b"\x00" * 32])
    assert not merkle.verify_inclusion(merkle.leaf_hash(b""), 0, 0, [], merkle.EMPTY_ROOT)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b""), -1, 3, [], merkle.EMPTY_ROOT)


# --- the subtree store


class CountingStore(MemoryStore):
    def __init__(self, entries: list[bytes]) -> None:
        self.calls: list[int] = []
        super().__init__(entries)

    def fetch(self, keys: Collection[merkle.Key]) -> dict[merkle.Key, bytes]:
        self.calls.append(len(keys))
        return super().fetch(keys)


def test_each_root_or_proof_is_one_fetch_and_the_store_holds_only_complete_subtrees():
    store = CountingStore(entries(1000))
    assert len(store.nodes) == sum(1000 >> level for level in range(11))  # each complete aligned subtree once
    rng = random.Random(6962)
    for _ in range(50):
        size = rng.randint(1, 1000)
        old = rng.randint(1, size)
        store.calls.clear()
        store.root(size)
        store.inclusion_proof(rng.randrange(size), size)
        store.consistency_proof(old, size)
        assert len(store.calls) == 3
        assert max(store.calls) <= 2 * 10 + 2  # a proof needs a few subtrees per level, not leaves


def test_a_tree_larger_than_the_store_is_refused_not_answered():
    store = MemoryStore(entries(5))
    with pytest.raises(merkle.MissingNodes):
        store.root(6)
    with pytest.raises(merkle.MissingNodes):
        store.inclusion_proof(5, 6)  # the other leaves' subtrees are all there; the leaf is not
    with pytest.raises(merkle.MissingNodes):
        store.inclusion_proof(0, 8)
    with pytest.raises(merkle.MissingNodes):
        store.consistency_proof(4, 6)
    with pytest.raises(ValueError):
        store.inclusion_proof(5, 5)
    with pytest.raises(ValueError):
        store.consistency_proof(0, 5)
    with pytest.raises(ValueError):
        store.consistency_proof(4, 3)
