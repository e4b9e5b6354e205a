"""The licence transparency log (链上核办): append rate, and proof time at 10,000,000 entries (target:
p99 ≤ 5 ms per proof).

    python bench/license_log.py [--entries 10000000] [--samples 2000] [--appends 5000] [--commits 1000] [--keep]

In a throwaway SQLite database (only the log's tables):

1. appends per second through ``ledger.append``: ``--appends`` in one transaction, then ``--commits``
   each in a transaction of its own (a commit each, as one licence issued per request would be);
2. ``--entries`` leaves and their subtree hashes written straight into the tables with bulk inserts (the
   hashes computed level by level with hashlib, as ``append`` would have left them, but without paying
   for ten million transactions), checked against ``ledger.root`` on a small prefix; then
   ``ledger.inclusion_proof`` and ``ledger.consistency_proof`` timed for random indices and sizes, each
   through Django as the API will call them, and each proof verified once; and the append rate again
   on the full log.

Prints the figures (wall clock, and the CPU time of each call beside it: on a busy machine a proof's
tail is mostly waiting for a core); asserts nothing but the correctness checks. Building ten million
entries takes several minutes and about 4.5 GiB; the file is removed at the end unless ``--keep`` is
given. Run again with the same TONGBAN_VAR_DIR, a kept log is timed again without rebuilding.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import _setup
from django.db import connection, transaction

from tongban.licenses import ledger, merkle
from tongban.licenses.models import LogLeaf, LogNode, LogState

CHUNK_LEVEL = 16  # leaves are built in aligned chunks of 2^16, so every subtree below that level is local
SHA256 = hashlib.sha256


def create_tables() -> None:
    with connection.schema_editor() as editor:
        for model in (LogState, LogLeaf, LogNode):
            editor.create_model(model)


def wipe() -> None:
    with transaction.atomic():
        for model in (LogState, LogLeaf, LogNode):
            model.objects.all().delete()


def payload(i: int) -> dict[str, str]:
    return {"identifier": f"41150020260000{i:010d}", "content_sm3": f"{i:064x}", "seal": "S-411500-0001"}


def append_rate(count: int, commits: int, start: int) -> tuple[float, float]:
    """Appends/s in one transaction, and with a commit each."""
    began = time.perf_counter()
    with transaction.atomic():
        for i in range(start, start + count):
            ledger.append("licence.issued", payload(i))
    batch = count / (time.perf_counter() - began)
    began = time.perf_counter()
    for i in range(start + count, start + count + commits):
        with transaction.atomic():
            ledger.append("licence.issued", payload(i))
    return batch, commits / (time.perf_counter() - began)


def leaf_data(i: int, at: str) -> bytes:
    # The canonical JSON append writes (members in sorted order), formatted directly: canonical() for ten
    # million leaves would take longer than the rest of the build.
    p = payload(i)
    return (
        f'{{"at":"{at}","content_sm3":"{p["content_sm3"]}","identifier":"{p["identifier"]}",'
        f'"kind":"licence.issued","seal":"{p["seal"]}"}}'
    ).encode()


def levels(hashes: list[bytes], first_level: int, first_index: int) -> Iterator[tuple[int, bytes]]:
    """(LogNode key, hash) of ``hashes`` (one level, starting at an aligned index) and of every complete
    subtree above them."""
    level, index = first_level, first_index
    while hashes:
        for offset, value in enumerate(hashes):
            yield LogNode.encode(level, index + offset), value
        hashes = [SHA256(b"\x01" + hashes[i] + hashes[i + 1]).digest() for i in range(0, len(hashes) - 1, 2)]
        level, index = level + 1, index >> 1


def build(entries: int) -> None:
    """Write ``entries`` leaves and all complete subtrees with bulk inserts, chunk by chunk."""
    leaf_table, node_table = LogLeaf._meta.db_table, LogNode._meta.db_table
    insert_leaf = f'INSERT INTO {leaf_table} ("index", kind, data, leaf_hash, appended_at) VALUES (%s, %s, %s, %s, %s)'
    insert_node = f'INSERT INTO {node_table} ("key", hash) VALUES (%s, %s)'
    now = datetime.now(UTC)
    at_text, at = now.isoformat(), connection.ops.adapt_datetimefield_value(now)
    chunk = 1 << CHUNK_LEVEL
    chunk_roots: list[bytes] = []
    began, reported = time.perf_counter(), 0
    for start in range(0, entries, chunk):
        count = min(chunk, entries - start)
        datas = [leaf_data(i, at_text) for i in range(start, start + count)]
        hashes = [SHA256(b"\x00" + d).digest() for d in datas]
        nodes = list(levels(hashes, 0, start))
        if count == chunk:
            chunk_roots.append(nodes[-1][1])  # the chunk's own root, level 16
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                insert_leaf,
                [(start + k, "licence.issued", d, h, at) for k, (d, h) in enumerate(zip(datas, hashes, strict=True))],
            )
            cursor.executemany(insert_node, nodes)
        done = start + count
        if done - reported >= 1_000_000 or done == entries:
            reported = done
            elapsed = time.perf_counter() - began
            print(f"  built {done:>12,} leaves in {elapsed:6.0f} s", flush=True)
    above = list(levels(chunk_roots, CHUNK_LEVEL, 0))[len(chunk_roots) :]  # the chunk roots are stored already
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(insert_node, above)
    edge = [LogNode.encode(*key) for key in merkle.subtrees(0, entries)]
    hashes = dict(LogNode.objects.filter(key__in=edge).values_list("key", "hash"))
    LogState.objects.create(pk=1, size=entries, frontier=b"".join(bytes(hashes[key]) for key in edge))


def check(entries: int) -> None:
    """The built tables answer as append would have: a prefix rebuilt in memory, and proofs that verify."""
    prefix = min(entries, 1000)
    data = [bytes(d) for d in LogLeaf.objects.order_by("index").values_list("data", flat=True)[:prefix]]
    assert ledger.root(prefix) == merkle.MemoryStore(data).root(), "the bulk build differs from append"
    last = bytes(LogLeaf.objects.get(index=entries - 1).leaf_hash)
    proof = ledger.inclusion_proof(entries - 1, entries)
    assert merkle.verify_inclusion(last, entries - 1, entries, proof, ledger.root(entries))


def timed(samples: int, call: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each call: on a busy machine the two differ by the waits for a core."""
    wall, cpu = [], []
    for _ in range(samples):
        began, began_cpu = time.perf_counter(), time.thread_time()
        call()
        cpu.append((time.thread_time() - began_cpu) * 1000)
        wall.append((time.perf_counter() - began) * 1000)
    return wall, cpu


def report(label: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    p = _setup.percentile
    print(
        f"  {label:<38} p50 {p(wall, 50):5.2f} ms  p99 {p(wall, 99):5.2f} ms  max {max(wall):6.2f} ms"
        f"   (CPU p50 {p(cpu, 50):5.2f} ms, p99 {p(cpu, 99):5.2f} ms)"
    )


def proof_times(entries: int, samples: int) -> None:
    rng = random.Random(9162)
    root = ledger.root(entries)
    for _ in range(20):  # verify a few, and warm the connection and the page cache
        index = rng.randrange(entries)
        leaf = bytes(LogLeaf.objects.get(index=index).leaf_hash)
        assert merkle.verify_inclusion(leaf, index, entries, ledger.inclusion_proof(index, entries), root)
        old = rng.randint(1, entries)
        proof = ledger.consistency_proof(old, entries)
        assert merkle.verify_consistency(old, entries, ledger.root(old), root, proof)

    def inclusion_in_whole_log() -> None:
        ledger.inclusion_proof(rng.randrange(entries), entries)

    def inclusion_in_older_head() -> None:
        size = rng.randint(1, entries)
        ledger.inclusion_proof(rng.randrange(size), size)

    def consistency_to_whole_log() -> None:
        ledger.consistency_proof(rng.randint(1, entries), entries)

    def consistency_between_heads() -> None:
        old, new = sorted((rng.randint(1, entries), rng.randint(1, entries)))
        ledger.consistency_proof(old, new)

    report("inclusion, random leaf, whole log", timed(samples, inclusion_in_whole_log))
    report("inclusion, random leaf, random size", timed(samples, inclusion_in_older_head))
    report("consistency, random size → whole log", timed(samples, consistency_to_whole_log))
    report("consistency, two random sizes", timed(samples, consistency_between_heads))
    report("root of a random size", timed(samples, lambda: ledger.root(rng.randint(1, entries))))


def log_size() -> int | None:
    """Entries in the log of this database, None when it has no log tables yet."""
    if LogState._meta.db_table not in connection.introspection.table_names():
        return None
    return ledger.size()


def build_log(entries: int, appends: int, commits: int) -> None:
    create_tables()
    print("appends through ledger.append, empty log:")
    batch, single = append_rate(appends, commits, 0)
    print(f"  {batch:8,.0f} appends/s in one transaction, {single:8,.0f} appends/s with a commit each")
    wipe()
    print(f"building a log of {entries:,} entries with bulk inserts:")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")  # a throwaway file: durability buys nothing here
    began = time.perf_counter()
    build(entries)
    check(entries)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = os.path.getsize(connection.settings_dict["NAME"]) / 2**30
        print(f"  built and checked in {time.perf_counter() - began:.0f} s; database file {size:.1f} GiB")


def remove_database() -> None:
    name = str(connection.settings_dict["NAME"])
    connection.close()
    for path in (name, f"{name}-wal", f"{name}-shm"):
        if os.path.exists(path):
            os.remove(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000_000, help="size of the log the proofs are timed on")
    parser.add_argument("--samples", type=int, default=2000, help="proofs timed per kind")
    parser.add_argument("--appends", type=int, default=5000, help="appends timed in one transaction")
    parser.add_argument("--commits", type=int, default=1000, help="appends timed with a commit each")
    parser.add_argument("--keep", action="store_true", help="keep the database (time it again with the same var dir)")
    args = parser.parse_args()

    print(f"machine: {_setup.machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"database: {_setup.database()}, {connection.settings_dict['NAME']}")
    existing = log_size()
    built_here = existing is None or existing < args.entries
    if built_here:
        build_log(args.entries, args.appends, args.commits)
    else:
        print(f"reusing the log of {existing:,} entries already in this database")

    print(f"proofs through ledger, {args.samples} each, log of {args.entries:,} entries (one query each):")
    proof_times(args.entries, args.samples)

    print(f"appends through ledger.append, log of {ledger.size():,} entries:")
    batch, single = append_rate(args.appends, args.commits, args.entries)
    print(f"  {batch:8,.0f} appends/s in one transaction, {single:8,.0f} appends/s with a commit each")
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if built_here and not args.keep and connection.vendor == "sqlite":
        remove_database()


if __name__ == "__main__":
    main()
