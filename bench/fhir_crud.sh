#!/usr/bin/env bash
# FHIR CRUD benchmark: create / read / update Observations (~1.5 KB) with wrk on this machine,
# plus the HTTP ceiling of the same server (GET /health, answered on the I/O thread) in the
# same run, so figures read as a fraction of the ceiling. Writes bench/results/fhir-crud.md.
#   bench/fhir_crud.sh            (env: DUR=10s CONNS=32 THREADS=2 N_SEED=2000)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR="$ROOT/bench"
DUR=${DUR:-10s} CONNS=${CONNS:-32} THREADS=${THREADS:-2} N_SEED=${N_SEED:-2000}
BIN=${HEALTHD_BIN:-"$ROOT/build/healthd"}
WORK=$(mktemp -d /tmp/healthd-bench.XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ORIGIN="http://127.0.0.1:$PORT"
export FHIR_BASE="$ORIGIN/default/fhir/default" IDS_FILE="$WORK/ids.txt"

"$BIN" serve --port "$PORT" --data "$WORK/data" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done

# Every service request carries a bearer token (validated per request; the server caches validations).
export TOKEN=$("$BIN" token --data "$WORK/data" --audience "$FHIR_BASE")
/usr/bin/python3 "$BENCH_DIR/seed.py" "$FHIR_BASE" "$N_SEED" > "$IDS_FILE"
echo "seeded $(wc -l < "$IDS_FILE") Observations"

source "$(dirname "$0")/lib/wrk_run.sh"  # run NAME URL [wrk args]

results=()
results+=("$(run ceiling "$ORIGIN/health")")
results+=("$(run create "$FHIR_BASE" -s "$BENCH_DIR/fhir/create.lua")")
results+=("$(run read "$FHIR_BASE" -s "$BENCH_DIR/fhir/read.lua")")
results+=("$(run update "$FHIR_BASE" -s "$BENCH_DIR/fhir/update.lua")")

ceiling=$(echo "${results[0]}" | awk '{print $2}')
declare -A target=([create]=5000 [read]=20000 [update]=4000)
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/fhir-crud.md"
{
  echo "# FHIR CRUD benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown);"
  echo "wrk -t$THREADS -c$CONNS -d$DUR on the same machine; ~1.5 KB Observation; $N_SEED seeded."
  echo "Ceiling: GET /health of the same server (answered on the I/O thread, no token), measured in the same run."
  echo "Every FHIR request carries a bearer token (RS256), validated by the server."
  echo
  echo "| workload | req/s | p50 ms | p99 ms | non-2xx | of ceiling | target | met |"
  echo "|---|---|---|---|---|---|---|---|"
  for line in "${results[@]}"; do
    read -r name rps p50 p99 bad <<< "$line"
    frac=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    t=${target[$name]:-}
    met="-"; [ -n "$t" ] && met=$([ "$rps" -ge "$t" ] && echo yes || echo no)
    echo "| $name | $rps | $p50 | $p99 | $bad | $frac | ${t:--} | $met |"
  done
} > "$OUT"
cat "$OUT"
