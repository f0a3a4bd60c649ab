"""leadlab under MPI at 1, 2 and 3 ranks on one grid: wall times and parallel efficiency.

The grid (bench/specs/mpi.yaml: 10 configs x 2 samplers x 5 folds = 100 cells on the real data)
runs once per rank count with -j 1 per rank, into a fresh folder each time,
and the leaderboards are checked to be byte-identical to the single-process run. On a 2-core
machine 3 ranks oversubscribe the cores (rank 0 also schedules): report, don't assert.

  /usr/bin/python3 bench/mpi_scaling.py [--ranks 1,2,3] [--spec bench/specs/mpi.yaml]
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default=os.path.join(ROOT, "bench", "specs", "mpi.yaml"))
    ap.add_argument("--leadlab", default=os.path.join(ROOT, "build", "leadlab"))
    ap.add_argument("--ranks", default="1,2,3")
    ap.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    args = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    work = tempfile.mkdtemp(prefix="leadlab-mpi-")
    spec = os.path.abspath(args.spec)
    # A plain single-process run first: the reference bytes.
    ref = os.path.join(work, "single")
    t0 = time.perf_counter()
    subprocess.run([args.leadlab, "run", spec, "-j", "1", "--set", f"output.dir={ref}"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    single = time.perf_counter() - t0
    cells = sum(1 for _ in open(os.path.join(ref, "cells.csv"))) - 1
    print(f"{cells} cells; leadlab -j 1 without MPI: {single:.1f} s\n")
    print("| ranks | wall s | speed-up vs 1 rank | efficiency | same bytes as -j 1 |")
    print("|---:|---:|---:|---:|---|")
    times = {}
    for n in [int(r) for r in args.ranks.split(",")]:
        folder = os.path.join(work, f"n{n}")
        t0 = time.perf_counter()
        subprocess.run([args.mpirun, "-n", str(n), args.leadlab, "run", spec, "-j", "1",
                        "--set", f"output.dir={folder}"], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        wall = time.perf_counter() - t0
        times[n] = wall
        base = times.get(1)
        same = all(filecmp.cmp(os.path.join(ref, f), os.path.join(folder, f), shallow=False)
                   for f in ("predictions.csv", "folds.csv"))
        speedup = base / wall if base else float("nan")
        print(f"| {n} | {wall:.1f} | {speedup:.2f} | {speedup / n:.0%} | {'yes' if same else 'NO'} |")
    print(f"\n({os.cpu_count()} cores; ranks beyond the cores oversubscribe them)")


if __name__ == "__main__":
    main()
