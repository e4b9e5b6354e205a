"""默克尔树 (Merkle tree) hashing and proofs of RFC 9162 §2.1 (the RFC 6962 tree, SHA-256), over a store
of complete aligned subtrees.

The store holds node (level L, index i) = the hash of leaves [i·2^L, (i+1)·2^L), written once the last
of those leaves is appended, and never changed. Every node of the RFC tree of any size is either such a
subtree or, on the right edge, the fold of a few of them, so roots and proofs for every past size come
from the same rows.

Generating a proof is in three steps: the ranges of leaves whose hashes make up the proof (pure
arithmetic), the subtree keys covering them, fetched in one call ``fetch(keys) -> {key: hash}`` (one
query for a database store), then the fold. The keys fetched always cover leaves [0, size), so a store
that does not hold a tree of that size yet is caught (``MissingNodes``) instead of answering wrongly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from hmac import compare_digest

__all__ = [
    "EMPTY_ROOT",
    "MAX_PROOF",
    "Fetch",
    "Key",
    "MemoryStore",
    "MissingNodes",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "new_nodes",
    "node_hash",
    "root",
    "subtrees",
    "verify_consistency",
    "verify_inclusion",
]

Key = tuple[int, int]  # (level, index): the subtree over leaves [index·2^level, (index+1)·2^level)
Fetch = Callable[[Collection[Key]], Mapping[Key, bytes]]
Range = tuple[int, int]  # leaves [start, end)

EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: the hash of an empty list
MAX_PROOF = 2 * 64  # no proof in a tree of fewer than 2^64 leaves has more hashes


class MissingNodes(LookupError):
    """The store lacks subtrees a proof needs: the size asked for is beyond the log."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """k of RFC 9162 §2.1.1: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtrees(start: int, end: int) -> list[Key]:
    """The complete aligned subtrees making up a node [start, end) of an RFC tree, left to right.

    The RFC puts the largest power of two on the left, so such a node is its binary digits from the
    highest down; folding them from the right gives its hash.
    """
    keys: list[Key] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)  # stay aligned at this start
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The nodes of PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf level first."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not in a tree of size {size}")
    start, end, path = 0, size, []
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The nodes of PROOF(old, D[new]) (RFC 9162 §2.1.4.1, SUBPROOF unrolled), deepest first."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    start, end, m, whole_old_tree = 0, new, old, True
    proof: list[Range] = []
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start, m, whole_old_tree = start + k, m - k, False
    if not whole_old_tree:
        proof.append((start, end))  # MTH(D[m]) when the old tree is not this subtree itself
    proof.reverse()
    return proof


def _hashes(ranges: list[Range], fetch: Fetch, cover: Iterable[Key] = ()) -> list[bytes]:
    """The hash of each range, from one fetch of every subtree needed (plus ``cover``)."""
    parts = [subtrees(start, end) for start, end in ranges]
    wanted = {key for part in parts for key in part} | set(cover)
    found = fetch(wanted)
    missing = wanted - found.keys()
    if missing:
        raise MissingNodes(f"the store lacks {len(missing)} subtrees, e.g. {min(missing)}: the tree is smaller")
    hashes = []
    for part in parts:
        value = found[part[-1]]
        for key in reversed(part[:-1]):
            value = node_hash(found[key], value)
        hashes.append(value)
    return hashes


def root(size: int, fetch: Fetch) -> bytes:
    """MTH(D[size])."""
    if size < 0:
        raise ValueError("a tree size is never negative")
    return _hashes([(0, size)], fetch)[0] if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, fetch: Fetch) -> list[bytes]:
    # The leaf itself is fetched too: with it the keys cover [0, size), so a leaf not yet appended fails.
    return _hashes(inclusion_ranges(index, size), fetch, cover=[(0, index)])


def consistency_proof(old: int, new: int, fetch: Fetch) -> list[bytes]:
    # The old tree, left out of the proof when it is a complete subtree, is fetched for coverage.
    return _hashes(consistency_ranges(old, new), fetch, cover=subtrees(0, old))


def new_nodes(index: int, leaf: bytes, fetch: Fetch) -> list[tuple[Key, bytes]]:
    """The subtrees completed by appending leaf hash ``leaf`` at ``index``: the leaf, then one per
    trailing 1 bit of the index, each joining the left sibling already stored (one fetch)."""
    levels = (~index & (index + 1)).bit_length() - 1  # trailing 1 bits of index
    siblings = [(level, (index >> level) - 1) for level in range(levels)]
    found = fetch(siblings) if siblings else {}
    nodes, value = [((0, index), leaf)], leaf
    for level, sibling in siblings:
        value = node_hash(found[(level, sibling)], value)
        nodes.append(((level + 1, index >> (level + 1)), value))
    return nodes


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, for the leaf hash ``leaf``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and compare_digest(r, expected_root)


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2; equal sizes need equal roots and an empty proof, and the empty tree is
    consistent with every tree."""
    if not 0 <= old <= new:
        return False
    if old == 0:
        return not proof and compare_digest(old_root, EMPTY_ROOT)
    if old == new:
        return not proof and compare_digest(old_root, new_root)
    if not proof:
        return False
    path = [old_root, *proof] if old & (old - 1) == 0 else list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and compare_digest(fr, old_root) and compare_digest(sr, new_root)


class MemoryStore:
    """A log held in memory: the same subtree store as the database one, for tests and tools."""

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self.nodes: dict[Key, bytes] = {}
        self.size = 0
        for data in entries:
            self.append(data)

    def fetch(self, keys: Collection[Key]) -> dict[Key, bytes]:
        return {key: self.nodes[key] for key in keys if key in self.nodes}

    def append(self, data: bytes) -> int:
        index = self.size
        self.nodes.update(new_nodes(index, leaf_hash(data), self.fetch))
        self.size += 1
        return index

    def root(self, size: int | None = None) -> bytes:
        return root(self.size if size is None else size, self.fetch)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.fetch)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        return consistency_proof(old, self.size if new is None else new, self.fetch)
