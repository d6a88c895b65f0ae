"""What processes exist, read from /proc: enough to tell whether a case left anything behind."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

#: Every adversarial case that starts a program of its own puts this in its command line.
MARKER = "gdlab-adversarial"


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    uid: int
    cmdline: str
    state: str = "?"


def processes() -> dict[int, Process]:
    """Every live (non-zombie) process this test can see."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode("utf-8", "replace")
            uid = os.stat(f"/proc/{entry}").st_uid
        except (OSError, IndexError):
            continue
        if fields[0] != b"Z":
            found[int(entry)] = Process(
                int(entry), int(fields[1]), uid, command, fields[0].decode()
            )
    return found


def descendants(root: int, table: dict[int, Process]) -> set[int]:
    """Every process below `root`."""
    below: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {p.pid for p in table.values() if p.ppid in frontier} - below
        below |= frontier
    return below


def leftovers(worker: int | None, case_uid: int | None, grace: float = 2.0) -> list[Process]:
    """Processes a case left behind: anything below the sandbox worker, anything carrying the
    adversarial marker, and any sandbox process or process of the cases' uid orphaned to init.

    The worker answers as soon as it has SIGKILLed a case and reaps it afterwards, so a process
    may still be dying for a moment: it counts only if it is still there after `grace` seconds.
    Not "every process of the cases' uid": other graders on a shared machine run cases as that
    uid too, at any moment."""
    deadline = time.monotonic() + grace
    while True:
        found = _leftovers_now(worker, case_uid)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def _leftovers_now(worker: int | None, case_uid: int | None) -> list[Process]:
    table = processes()
    suspects = descendants(worker, table) if worker else set()
    for process in table.values():
        orphan = process.ppid == 1 and (
            "_sandbox_worker" in process.cmdline or process.uid == case_uid
        )
        if orphan or (MARKER in process.cmdline and process.pid != os.getpid()):
            suspects.add(process.pid)
    return [table[pid] for pid in sorted(suspects)]
