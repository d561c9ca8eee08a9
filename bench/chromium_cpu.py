"""The CPU a command's Chromium processes use, by kind: `python -m bench.chromium_cpu -- CMD...`.

Runs CMD, reads /proc every 50 ms for the processes below it, and prints (and with `--json PATH`
appends to PATH) the wall time and the utime+stime of each kind: Chromium's browser process, its
renderers (the top-chrome WebUI and extension ones apart), GPU process, utility services, zygote;
Playwright's Node driver; Python (pytest, the live server); anything else. Core-seconds, not wall:
another engineer's work on the same machine moves wall times far more than CPU.

A process's last 50 ms before it exits are missed, so each figure is a little low. What the browser
tests' figures in the commits came from, e.g.

    python -m bench.chromium_cpu -- .venv/bin/python -m pytest -q -p no:cacheprovider tests/browser
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
POLL_SECONDS = 0.05
RENDERER_KINDS = ("--top-chrome-webui", "--extension-process", "--pdf-renderer")


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, utime+stime in ticks, start time) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def _kind(pid: int) -> str | None:
    """What a process is, from its command line (Chromium rewrites its children's)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    argv = raw.replace(b"\0", b" ").decode(errors="replace").split()
    if not argv:
        return None
    if "chrom" in argv[0] or "chrom" in name:
        if "crashpad" in argv[0]:
            return "chromium:crashpad"
        types = [arg.removeprefix("--type=") for arg in argv if arg.startswith("--type=")]
        if not types:
            return "chromium:browser"
        if types[0] == "renderer":
            special = [flag for flag in RENDERER_KINDS if flag in argv]
            return "chromium:renderer" + (special[0].removeprefix("-") if special else "")
        if types[0] == "utility":
            sub = [arg.split("=", 1)[1] for arg in argv if arg.startswith("--utility-sub-type=")]
            return "chromium:utility:" + (sub[0].split(".")[-1] if sub else "?")
        return "chromium:" + types[0]
    if "node" in argv[0]:
        return "node"
    if "python" in argv[0]:
        return "python"
    return "other"


def _below(root: int, parents: dict[int, int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, stack = set(), [root]
    while stack:
        pid = stack.pop()
        found.add(pid)
        stack.extend(children.get(pid, []))
    return found


def measure(command: list[str]) -> tuple[int, dict[str, object]]:
    """Runs `command`; its exit code and what its processes used."""
    started = time.monotonic()
    process = subprocess.Popen(command)
    kinds: dict[tuple[int, int], str] = {}  # (pid, start time) -> kind
    used: dict[tuple[int, int], int] = {}  # (pid, start time) -> utime+stime, ticks
    while process.poll() is None:
        stats = {}
        for name in os.listdir("/proc"):
            if name.isdigit() and (stat := _stat(int(name))) is not None:
                stats[int(name)] = stat
        for pid in _below(process.pid, {pid: stat[0] for pid, stat in stats.items()}):
            if pid not in stats:
                continue
            _, ticks, start = stats[pid]
            key = (pid, start)
            used[key] = max(used.get(key, 0), ticks)
            # Again each time: a child starts as its parent, then execs or rewrites its title.
            kind = _kind(pid)
            if kind is not None or key not in kinds:
                kinds[key] = kind or "other"
        time.sleep(POLL_SECONDS)
    seconds: dict[str, float] = defaultdict(float)
    processes: Counter[str] = Counter()
    for key, ticks in used.items():
        seconds[kinds[key]] += ticks / TICKS
        processes[kinds[key]] += 1
    chromium = sum(value for kind, value in seconds.items() if kind.startswith("chromium"))
    report: dict[str, object] = {
        "command": command,
        "wall_s": round(time.monotonic() - started, 1),
        "chromium_cpu_s": round(chromium, 2),
        "by_kind": {
            kind: {"cpu_s": round(value, 2), "processes": processes[kind]}
            for kind, value in sorted(seconds.items(), key=lambda item: -item[1])
        },
    }
    return process.returncode, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="append the figures to this file, one a line")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    code, report = measure(command)
    print(json.dumps(report), file=sys.stderr)
    if args.json:
        with args.json.open("a", encoding="utf-8") as out:
            out.write(json.dumps(report) + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
