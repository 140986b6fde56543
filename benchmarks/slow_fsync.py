"""Slow fsyncs, as on an SD card, for the daemon benchmarks: two ways, and a check of both.

- ``shim`` (the default): ``benchmarks/slow_fsync.c``, compiled here at run time with
  ``cc -shared -fPIC`` into a temporary folder and loaded with ``LD_PRELOAD``, makes
  ``fsync()`` and ``fdatasync()`` wait ``SLOW_FSYNC_US`` microseconds more after the real
  call, in whatever thread calls them; every other call goes straight to libc.
- ``strace``: ``strace -f --seccomp-bpf -e inject=fsync,fdatasync:delay_exit=30000``.
  strace 6.1 (Debian 12's) with ``--seccomp-bpf`` stops at every system call of a
  thread the process starts, not only at fsync, until that thread's first fsync (the
  filter only takes over then): lightctl's daemon works in such threads, and its MQTT
  and control threads never fsync, so under strace each of their system calls costs a
  round trip through strace, and a command's latency measures strace, not the disk.

``python benchmarks/slow_fsync.py`` (or ``pi_budget.py --check-shim``) runs a small
Python process three times, plain, with the shim and under strace, and prints what an
fsync, an fdatasync and 20,000 ``os.stat`` calls (before and after the first fsync) take
in a thread it starts: with the shim the syncs take the delay more and the stats the same
time; under strace the stats before the thread's first fsync are some 50 times slower.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("slow_fsync.c")
DELAY_US = 30000
STRACE = ["strace", "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null",
          "-e", "trace=fsync,fdatasync",
          "-e", f"inject=fsync,fdatasync:delay_exit={DELAY_US}"]  # fmt: skip
MODES = ("shim", "strace")


def build(folder: Path) -> Path:
    """Compile the shim into ``folder``; a clear error when there is no C compiler."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError(
            "--slow-fsync needs a C compiler for its LD_PRELOAD shim (apt install gcc), "
            "or use --slow-fsync strace"
        )
    out = folder / "slow_fsync.so"
    cmd = [cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(SOURCE), "-ldl"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"could not compile {SOURCE.name}: {done.stderr.strip()}")
    return out


def wrap(mode: str, cmd: list[str], env: dict[str, str], folder: Path) -> list[str]:
    """``cmd`` made to run with slow fsyncs (``env`` is updated in place for the shim)."""
    if mode == "strace":
        if shutil.which("strace") is None:
            raise RuntimeError("--slow-fsync strace needs strace (apt install strace)")
        return [*STRACE, *cmd]
    if mode != "shim":
        raise ValueError(f"slow fsync mode must be one of {', '.join(MODES)}, got {mode!r}")
    lib = build(folder)
    env["LD_PRELOAD"] = " ".join(p for p in (str(lib), env.get("LD_PRELOAD", "")) if p)
    env["SLOW_FSYNC_US"] = str(DELAY_US)
    return cmd


PROBE = """
import json, os, statistics, sys, tempfile, threading, time
def stats():
    t = time.perf_counter()
    for _ in range(20000):
        os.stat("/")
    return time.perf_counter() - t
def work(out):
    out["stat"] = stats()
    fd, path = tempfile.mkstemp(dir=sys.argv[1])
    syncs = {"fsync": [], "fdatasync": []}
    for i in range(5):
        for name, call in (("fsync", os.fsync), ("fdatasync", os.fdatasync)):
            os.write(fd, b"x" * 100)
            t = time.perf_counter(); call(fd); syncs[name].append(time.perf_counter() - t)
    out["stat_after"] = stats()
    os.close(fd); os.unlink(path)
    out.update({k: statistics.median(v) for k, v in syncs.items()})
res = {}
th = threading.Thread(target=work, args=(res,)); th.start(); th.join()
print(json.dumps(res))
"""


def probe(mode: str | None, folder: Path) -> dict[str, float]:
    """What a thread of a fresh Python process sees: median fsync, fdatasync (5 each),
    and 20,000 ``os.stat`` calls, in seconds."""
    env = dict(os.environ)
    cmd = [sys.executable, "-c", PROBE, str(folder)]
    if mode is not None:
        cmd = wrap(mode, cmd, env, folder)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def check(folder: str | None = None) -> list[str]:
    """The three probes side by side (plain, shim, strace), as lines to print."""
    work = Path(tempfile.mkdtemp(prefix="lightctl-fsync-", dir=folder))
    try:
        lines = [f"in a new thread of a Python process (fsyncs in {work.parent}):",
                 f"  {'':8}{'20000 os.stat':>15}{'fsync':>10}{'fdatasync':>11}"
                 f"{'20000 os.stat after':>21}"]  # fmt: skip
        for mode in (None, "shim", "strace"):
            try:
                r = probe(mode, work)
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                lines.append(f"  {mode}: could not run: {exc}")
                continue
            lines.append(
                f"  {mode or 'plain':8}{r['stat']:13.3f} s{r['fsync'] * 1e3:7.2f} ms"
                f"{r['fdatasync'] * 1e3:8.2f} ms{r['stat_after']:19.3f} s"
            )
        return lines
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    print("\n".join(check(sys.argv[1] if len(sys.argv) > 1 else None)))
