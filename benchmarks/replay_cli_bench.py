"""`lightctl replay` of a 7-day CSV minus that of a 1-day CSV, as a user runs it.

Writes ``time,lux`` CSVs (epoch seconds, 1 Hz, the sky of ``replay_bench.synthetic``,
an empty lux for a failed reading) and times ``python -m lightctl replay --input FILE``
as a subprocess, best of a few runs each. The difference is what 6 more days cost,
interpreter start-up and imports cancelled out:

    python benchmarks/replay_cli_bench.py [--runs 3] [--profile]

``--profile`` also runs the 7-day replay in-process under cProfile.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.daemon_resources import lightctl_env  # noqa: E402
from benchmarks.replay_bench import synthetic  # noqa: E402


def write_csv(path: Path, days: float, *, gaps: bool = True) -> int:
    """A ``time,lux`` CSV of ``days`` at 1 Hz; returns the row count.

    ``gaps``: keep the failed readings (an empty lux, about 1 in 2000 rows, as the
    daemon records them); False replaces them with a plain number.
    """
    samples = synthetic(days)
    if not gaps:
        samples = [(t, 0.0 if v is None else v) for t, v in samples]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("time,lux\n")
        fh.writelines(f"{t:.0f},{'' if v is None else f'{v:.3f}'}\n" for t, v in samples)
    return len(samples)


def time_cli(csv: Path, runs: int) -> tuple[float, str]:
    """Best wall time (s) of ``runs`` runs of `lightctl replay --input csv`, and its summary."""
    cmd = [sys.executable, "-m", "lightctl", "replay", "--input", str(csv)]
    best = float("inf")
    summary = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=lightctl_env(), text=True
        )
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"lightctl replay exited {proc.returncode}: {proc.stderr[-500:]}")
        best = min(best, elapsed)
        summary = proc.stderr.splitlines()[0] if proc.stderr else ""
    return best, summary


def measure(runs: int = 3, *, gaps: bool = True, profile: bool = False) -> dict:
    """Best times of the 1-day and 7-day runs and their difference, in seconds."""
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-replaycli-"))
    try:
        one, seven = tmp / "1day.csv", tmp / "7days.csv"
        rows1, rows7 = write_csv(one, 1, gaps=gaps), write_csv(seven, 7, gaps=gaps)
        t1, s1 = time_cli(one, runs)
        t7, s7 = time_cli(seven, runs)
        result = {
            "rows1": rows1,
            "rows7": rows7,
            "day1": t1,
            "day7": t7,
            "diff": t7 - t1,
            "summary1": s1,
            "summary7": s7,
            "runs": runs,
        }
        if profile:
            result["profile"] = profile_cli(seven)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def profile_cli(csv: Path, top: int = 14) -> str:
    """cProfile of `lightctl replay --input csv` run in-process (output discarded)."""
    from lightctl.cli import main

    prof = cProfile.Profile()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        prof.enable()
        main(["replay", "--input", str(csv)])
        prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="best of N runs per file (default 3)")
    ap.add_argument("--profile", action="store_true", help="also profile the 7-day replay")
    ap.add_argument(
        "--no-gaps", action="store_true", help="no failed readings (no empty lux) in the CSVs"
    )
    args = ap.parse_args(argv)
    res = measure(args.runs, gaps=not args.no_gaps, profile=args.profile)
    print(f"1 day  ({res['rows1']} rows): {res['day1']:.3f} s   {res['summary1']}")
    print(f"7 days ({res['rows7']} rows): {res['day7']:.3f} s   {res['summary7']}")
    print(f"7 days - 1 day: {res['diff']:.3f} s (goal <= 0.25 s; best of {res['runs']} each)")
    if "profile" in res:
        print(res["profile"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
