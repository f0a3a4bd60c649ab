"""The cost of durability: the result store plus process isolation against the engine without
either, on the same spec (default experiments/leaderboard.yaml, 105 cells on the real data).

Three runs, one each, at the same -j:
  baseline  leadlab built from --baseline-ref (default 296bf23, the last commit before the
            store: cells in one OpenMP loop in one process, outputs written at the end),
  none      this build with --isolation none (worker threads; every cell committed to
            results.db as it finishes),
  process   this build as users run it (forked worker processes, every cell committed).
The baseline is built once into --baseline-build from a git worktree of this repository.

Also checks that the three leaderboard.md files agree row for row (the same F1s), so the
comparison is between engines computing the same thing, and how honest the progress line's
ETA was: the process run goes with -v, and at 10, 25, 50 and 75 % of its cells the ETA it
printed is set beside the time that was in fact left.

  /usr/bin/python3 bench/durability.py [--spec experiments/leaderboard.yaml] [-j 2]
"""
import argparse
import os
import re
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_baseline(ref, build_dir):
    exe = os.path.join(build_dir, "leadlab")
    if os.path.exists(exe):
        return exe
    src = build_dir + "-src"
    if not os.path.exists(src):
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", src, ref], check=True)
    subprocess.run(["cmake", "-S", src, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                    "-DLL_BUILD_TESTS=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j2"], check=True, stdout=subprocess.DEVNULL)
    return exe


def timed_run(cmd):
    """(wall seconds, stderr text) of one run."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    return time.perf_counter() - t0, done.stderr


def eta_honesty(progress, wall):
    """Rows (share done, elapsed, ETA printed, seconds really left) from -v progress lines."""
    points = []
    for m in re.finditer(r"cells (\d+)/(\d+).*?elapsed ([\d.]+)s\s+eta (\S+)", progress):
        done, total, elapsed, eta = int(m[1]), int(m[2]), float(m[3]), m[4]
        if eta.endswith("s"):
            points.append((done / total, elapsed, float(eta[:-1])))
    rows = []
    for share in (0.10, 0.25, 0.50, 0.75):
        first = next((p for p in points if p[0] >= share), None)
        if first:
            rows.append((share, first[1], first[2], wall - first[1]))
    return rows


def table_rows(md_path):
    """The leaderboard's rows without the rank, significance and timing columns."""
    rows = []
    with open(md_path) as f:
        for line in f:
            if re.match(r"\| \d+ \|", line):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                rows.append(tuple(cells[1:-1]))
    return sorted(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default=os.path.join(ROOT, "experiments", "leaderboard.yaml"))
    ap.add_argument("--leadlab", default=os.path.join(ROOT, "build", "leadlab"))
    ap.add_argument("--baseline-ref", default="296bf23")
    ap.add_argument("--baseline-build", default="/tmp/leadlab-baseline-build")
    ap.add_argument("-j", type=int, default=2)
    args = ap.parse_args()
    baseline = build_baseline(args.baseline_ref, args.baseline_build)
    out = tempfile.mkdtemp(prefix="leadlab-durability-")
    runs = [
        ("baseline (no store, in-process)", [baseline, "run", args.spec, "-j", str(args.j)]),
        ("store + isolation none", [args.leadlab, "run", args.spec, "-j", str(args.j), "--fresh",
                                    "--isolation", "none"]),
        ("store + isolation process", [args.leadlab, "run", args.spec, "-j", str(args.j),
                                       "--fresh", "--isolation", "process", "-v"]),
    ]
    times, tables = [], []
    for i, (name, cmd) in enumerate(runs):
        folder = os.path.join(out, str(i))
        seconds, progress = timed_run(cmd + ["--set", f"output.dir={folder}"])
        times.append(seconds)
        tables.append(table_rows(os.path.join(folder, "leaderboard.md")))
        print(f"{name:32s} {seconds:8.1f} s")
    same = all(t == tables[0] for t in tables)
    print(f"\nleaderboards agree: {'yes' if same else 'NO'}")
    for name, seconds in zip([r[0] for r in runs[1:]], times[1:]):
        print(f"{name:32s} {100.0 * (seconds / times[0] - 1):+6.1f} % wall time vs baseline")
    print("\nETA of the process run's progress line against the time really left:")
    for share, elapsed, eta, left in eta_honesty(progress, times[-1]):
        print(f"  {share:4.0%} done at {elapsed:6.1f} s: eta {eta:6.0f} s, really {left:6.1f} s")
    if os.path.exists(os.path.join(out, "2", "results.db")):
        size = os.path.getsize(os.path.join(out, "2", "results.db"))
        print(f"results.db: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
