#!/usr/bin/env bash
# CPU per resource of a Synthea bundle load, split between the single FHIR store writer and the
# rest of the server (request threads, WAL checkpointer, I/O): loads the replicated Synthea
# bundles into a fresh store with each given binary, alternating, ROUNDS times, and reads the
# writer thread's CPU seconds (/proc/PID/task/TID/stat of the thread named fhir-writer), the
# server's CPU and the bytes it wrote (/proc/PID/io wchar). CPU per resource is comparable
# under load; wall time is not.
#   bench/fhir_load_cpu.sh BIN [BIN...]   (env: N=100000 CONCURRENCY=32 ROUNDS=1 BUNDLES=<dir> PORT=19050)
# Prints one line per run: writer CPU (s, us/resource), request side (us/resource), server CPU,
# wchar, data size, index rows.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000} CONCURRENCY=${CONCURRENCY:-32} ROUNDS=${ROUNDS:-1} PORT=${PORT:-19050}
SYNTHEA=${SYNTHEA:-"$ROOT/../shared/testdata/synthea/bundles"}
BUNDLES=${BUNDLES:-"$ROOT/bench-data/bundles-$N"}
TICK=$(getconf CLK_TCK)
if [ ! -f "$BUNDLES/.complete" ]; then
  rm -rf "$BUNDLES"
  /usr/bin/python3 "$ROOT/bench/synthea_replicate.py" "$SYNTHEA" "$BUNDLES" "$N" >/dev/null
  touch "$BUNDLES/.complete"
fi
cpu_ticks() { awk '{ print $14 + $15 }' "$1"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$ROUNDS"); do
for BIN in "$@"; do
  WORK=$(mktemp -d /tmp/healthd-writer-cost.XXXXXX)
  ORIGIN="http://127.0.0.1:$PORT"
  FHIR_BASE="$ORIGIN/default/fhir/default"
  "$BIN" serve --port "$PORT" --data "$WORK/data" > "$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done
  TOKEN=$("$BIN" token --data "$WORK/data" --audience "$FHIR_BASE")
  WRITER=$(grep -lx fhir-writer /proc/"$SERVER"/task/*/comm | head -1 | cut -d/ -f5)
  [ -n "$WRITER" ] || { echo "no writer thread found in $BIN"; kill "$SERVER"; exit 1; }
  w0=$(cpu_ticks "/proc/$SERVER/task/$WRITER/stat"); p0=$(cpu_ticks "/proc/$SERVER/stat")
  io0=$(awk '/^wchar/{ print $2 }' "/proc/$SERVER/io")
  "$BIN" load --data-url "$FHIR_BASE" --token "$TOKEN" --concurrency "$CONCURRENCY" --state "$WORK/load.state" \
    "$BUNDLES" 2> "$WORK/load.txt" || { tail -5 "$WORK/load.txt"; kill "$SERVER"; exit 1; }
  w1=$(cpu_ticks "/proc/$SERVER/task/$WRITER/stat"); p1=$(cpu_ticks "/proc/$SERVER/stat")
  io1=$(awk '/^wchar/{ print $2 }' "/proc/$SERVER/io")
  summary=$(grep -E '^healthd load: [0-9]+ resources' "$WORK/load.txt")
  loaded=$(echo "$summary" | awk '{ print $3 }')
  seconds=$(echo "$summary" | sed -E 's/.* ([0-9.]+) s, .*/\1/')
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  db=$(du -sm "$WORK/data" | cut -f1)
  rows=$(/usr/bin/python3 -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); print(sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("ix_string", "ix_token", "ix_ref", "ix_date", "ix_quantity", "ix_composite")))' "$WORK/data/workspaces/default/fhirservices/default/fhir.db")
  awk -v w=$((w1 - w0)) -v p=$((p1 - p0)) -v t="$TICK" -v io=$((io1 - io0)) -v n="$loaded" -v s="$seconds" -v db="$db" -v rows="$rows" -v bin="$BIN" \
    'BEGIN { printf "%s: writer %.2f s, %.0f us/resource; request side %.0f us/resource; server cpu %.2f s; wchar %.0f MB; data %d MB; %d index rows; %d resources in %s s\n",
             bin, w / t, 1e6 * w / t / n, 1e6 * (p - w) / t / n, p / t, io / 1048576, db, rows, n, s }'
  rm -rf "$WORK"
done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
