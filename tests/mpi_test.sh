#!/bin/sh
# MPI end to end: `mpirun -n 3 leadlab run` writes the same bytes as `leadlab run -j 1`, and a
# killed MPI job resumes to the same bytes without recomputing a finished cell.
# usage: mpi_test.sh LEADLAB_EXE FIXTURE_PLUGIN_DIR MPIRUN (empty: leadlab has no MPI)
set -eu
exe=$1 fixtures=$2 mpirun=$3
[ -n "$mpirun" ] || { echo "SKIP: leadlab was built without MPI (install libopenmpi-dev)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 (the CLI) is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Open MPI's own allocations outlive MPI_Finalize; LeakSanitizer would fail every rank.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

# One spec, copied into each run's folder and run from there by the same relative path, so
# the command quoted in leaderboard.md is the same too. Its name is this test's own, so the
# clean-up below kills this job's processes and no other test's.
spec="mpi_test_$$.yaml"
for d in single mpi killed; do
  mkdir -p "$work/$d"
  cat > "$work/$d/$spec" <<YAML
name: mpi
data: {synth: {rows: 2000, seed: 5}, target: buy, id: id}
features: {drop: [created_at, signup_date], columns: {products_purchased: {fill: 0}}}
plugin_path: [$fixtures]
cv: {folds: 3, seed: 11}
samplers: [none, smote]
models:
  - logreg: {C: [0.1, 1]}
  - knn: {k: 7}
  - crashy: {sleep_ms: [100, 101, 102, 103]}
output: {dir: out}
YAML
done

(cd "$work/single" && "$exe" run "$spec" -j 1 >/dev/null)
(cd "$work/mpi" && "$mpirun" -n 3 "$exe" run "$spec" -j 1 >/dev/null)
for f in leaderboard.md predictions.csv folds.csv importances.csv; do
  cmp "$work/single/out/$f" "$work/mpi/out/$f" || { echo "FAIL: $f differs under mpirun -n 3"; exit 1; }
done
echo "ok: mpirun -n 3 gives the bytes of -j 1"

# Kill the whole MPI job once a few cells are stored, then resume it under mpirun.
cd "$work/killed"
"$mpirun" -n 3 "$exe" run "$spec" -j 1 >/dev/null 2>&1 &
job=$!
done_cells=0
for _ in $(seq 1 600); do
  done_cells=$(sqlite3 out/results.db "select count(*) from cells where status='ok'" 2>/dev/null || echo 0)
  [ "${done_cells:-0}" -ge 8 ] && break
  sleep 0.05
done
kill -9 $job 2>/dev/null || true
wait $job 2>/dev/null || true
pkill -9 -f "$exe run $spec" 2>/dev/null || true
sleep 0.5
before=$(sqlite3 out/results.db "select count(*) from cells where status='ok'")
total=$(sqlite3 out/results.db "select count(*) from plan where run_id = 1")
[ "$before" -ge 8 ] && [ "$before" -lt "$total" ] || { echo "FAIL: killed with $before of $total cells stored"; exit 1; }
"$mpirun" -n 3 "$exe" run "$spec" -j 1 >/dev/null
rerun=$(sqlite3 out/results.db "select count(*) from cells where run_id = (select max(id) from runs)")
[ "$rerun" -eq $((total - before)) ] || { echo "FAIL: the resumed job ran $rerun cells, expected $((total - before))"; exit 1; }
for f in leaderboard.md predictions.csv folds.csv importances.csv; do
  cmp "$work/single/out/$f" "out/$f" || { echo "FAIL: $f differs after resuming a killed MPI job"; exit 1; }
done
echo "ok: killed at $before of $total cells, resumed $rerun, same bytes"
