#!/usr/bin/env bash
# Request-side CPU per resource of a Synthea bundle load: server CPU seconds (utime+stime of every
# thread, from /proc) minus the busiest thread's (the single store writer), divided by the
# resources loaded. CPU time, not throughput, so it stays meaningful on a shared machine. Runs
# each binary given on the same replicated bundles, alternating, ROUNDS times.
#   bench/fhir_bundle_cpu.sh BIN [BIN...]    (env: N=20000 CONCURRENCY=4 ROUNDS=2 PORT=19150)
# Prints one line per run: bin total_us writer_us request_us (per resource) resources load_avg.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-20000} CONCURRENCY=${CONCURRENCY:-4} ROUNDS=${ROUNDS:-2} PORT=${PORT:-19150}
SYNTHEA=${SYNTHEA:-"$ROOT/../shared/testdata/synthea/bundles"}
WORK=$(mktemp -d /tmp/healthd-bundle-cpu.XXXXXX)
SERVER=""
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
read -r _ resources < <(/usr/bin/python3 "$ROOT/bench/synthea_replicate.py" "$SYNTHEA" "$WORK/bundles" "$N")
TICK=$(getconf CLK_TCK)

# "<total ticks> <busiest thread ticks>" of a process.
cpu_ticks() {
  local total=0 max=0 t
  for stat in /proc/"$1"/task/*/stat; do
    t=$(sed -E 's/^.*\) //' "$stat" | awk '{print $12 + $13}') || continue
    total=$((total + t))
    [ "$t" -gt "$max" ] && max=$t
  done
  echo "$total $max"
}

for _ in $(seq "$ROUNDS"); do
  for BIN in "$@"; do
    rm -rf "$WORK/data" "$WORK/load.state"
    ORIGIN="http://127.0.0.1:$PORT"
    BASE="$ORIGIN/default/fhir/default"
    "$BIN" serve --port "$PORT" --data "$WORK/data" > "$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 100); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done
    TOKEN=$("$BIN" token --data "$WORK/data" --audience "$BASE")
    load=$(cut -d' ' -f1 /proc/loadavg)
    read -r t0 _ < <(cpu_ticks $SERVER)
    "$BIN" load --data-url "$BASE" --token "$TOKEN" --concurrency "$CONCURRENCY" --state "$WORK/load.state" \
      "$WORK/bundles" 2> "$WORK/load.txt" || { cat "$WORK/load.txt"; exit 1; }
    read -r t1 w1 < <(cpu_ticks $SERVER)
    kill $SERVER; wait $SERVER 2>/dev/null || true
    SERVER=""
    awk -v b="$BIN" -v t="$((t1 - t0))" -v w="$w1" -v n="$resources" -v hz="$TICK" -v l="$load" \
      'BEGIN { printf "%s total_us=%.1f writer_us=%.1f request_us=%.1f resources=%d load=%s\n",
               b, t*1e6/hz/n, w*1e6/hz/n, (t-w)*1e6/hz/n, n, l }'
  done
done
