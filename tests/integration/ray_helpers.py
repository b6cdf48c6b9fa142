"""Helpers for the Ray tests: a local 2-CPU Ray (always shut down), corpora with unique ids, reading back what
Milvus stores, and finding this test's own Ray worker processes (to kill them)."""

from __future__ import annotations

import gc
import json
import os
import time
import warnings
from pathlib import Path
from typing import Iterator

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

# Ray Data warns about its own deprecated settings when it builds its DataContext; not ours to fix.
IGNORE_RAY_DEPRECATIONS = pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray(\..*)?")


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    for attempt in range(3):
        try:
            ray.init(address="local", num_cpus=2, object_store_memory=256 * 2**20, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
            break
        except Exception:  # noqa: BLE001 - Ray raises RuntimeError or a bare Exception for a failed start
            # Ray's start-up sometimes times out (waiting for its GCS port file, or "the current node timed out
            # during startup") right after another local cluster shut down (seen in CI after test_ray_crash's
            # killed job); that is Ray's race, not what these tests check, so clean up and start again. The
            # failed start's process handles are collected here, with their ResourceWarnings, so that they do
            # not surface in whichever test runs next.
            ray.shutdown()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()
            if attempt == 2:
                raise
            time.sleep(5.0)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


def synthetic_corpus(folder: Path, n: int) -> list[Path]:
    """Two JSONL files (a third and two thirds) of ``n`` documents with ids doc-0.. and a metadata field."""
    paths = [folder / "part-0.jsonl", folder / "part-1.jsonl"]
    split = n // 3
    with paths[0].open("w") as a, paths[1].open("w") as b:
        for i in range(n):
            handle = a if i < split else b
            handle.write(json.dumps({"id": f"doc-{i}", "text": f"passage {i} about topic{i % 97} and word{i}",
                                     "group": i % 5}) + "\n")
    return paths


def stored_ids(uri: str, collection: str) -> list[str]:
    """Every id stored in ``collection`` (duplicates included), read with a query iterator."""
    from pymilvus import MilvusClient

    client = MilvusClient(uri=uri)
    try:
        ids: list[str] = []
        iterator = client.query_iterator(collection, batch_size=1000, filter="", output_fields=["id"])
        while batch := iterator.next():
            ids.extend(row["id"] for row in batch)
        iterator.close()
        return ids
    finally:
        client.close()


def descendants(root: int) -> list[int]:
    """Pids of every process below ``root`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""
