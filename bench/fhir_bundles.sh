#!/usr/bin/env bash
# FHIR Bundle benchmark: the Synthea transaction bundles from ../shared/testdata/synthea,
# replicated with fresh ids to >= N resources, loaded with `healthd load` (resources/s); and small
# transactions (1 Patient + 1 Observation referring to it by urn:uuid) per second with wrk, next to
# the HTTP ceiling of the same server (GET /health) in the same run. Writes
# bench/results/fhir-bundles.md.
#   bench/fhir_bundles.sh     (env: N=100000 CONCURRENCY=32 DUR=10s CONNS=16 THREADS=2)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR="$ROOT/bench"
N=${N:-100000} CONCURRENCY=${CONCURRENCY:-32} DUR=${DUR:-10s} CONNS=${CONNS:-16} THREADS=${THREADS:-2}
BIN=${HEALTHD_BIN:-"$ROOT/build/healthd"}
SYNTHEA=${SYNTHEA:-"$ROOT/../shared/testdata/synthea/bundles"}
WORK=$(mktemp -d /tmp/healthd-bench.XXXXXX)
PORT=${PORT:-$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
ORIGIN="http://127.0.0.1:$PORT"
export FHIR_BASE="$ORIGIN/default/fhir/default"

LOAD_AVG=$(cut -d' ' -f1-3 /proc/loadavg)
"$BIN" serve --port "$PORT" --data "$WORK/data" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done
export TOKEN=$("$BIN" token --data "$WORK/data" --audience "$FHIR_BASE")

read -r files resources < <(/usr/bin/python3 "$BENCH_DIR/synthea_replicate.py" "$SYNTHEA" "$WORK/bundles" "$N")
echo "replicated: $files bundles, $resources resources"
"$BIN" load --data-url "$FHIR_BASE" --token "$TOKEN" --concurrency "$CONCURRENCY" --state "$WORK/load.state" \
  "$WORK/bundles" 2> "$WORK/load.txt" || { cat "$WORK/load.txt"; exit 1; }
summary=$(grep -E '^healthd load: [0-9]+ resources' "$WORK/load.txt")
echo "$summary"
loaded=$(echo "$summary" | awk '{print $3}')
seconds=$(echo "$summary" | sed -E 's/.* ([0-9.]+) s, .*/\1/')
load_rate=$(echo "$summary" | sed -E 's/.*, ([0-9]+) resources\/s/\1/')
stored=$(curl -sf -H "Authorization: Bearer $TOKEN" "$FHIR_BASE/Patient?_summary=count" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
patients=$(grep -l . "$WORK"/bundles/*.json | wc -l)

source "$(dirname "$0")/lib/wrk_run.sh"  # run NAME URL [wrk args]
ceiling_line=$(run ceiling "$ORIGIN/health")
tx_line=$(run transaction "$FHIR_BASE" -s "$BENCH_DIR/fhir/transaction.lua")
read -r _ ceiling c50 c99 _ <<< "$ceiling_line"
read -r _ tx t50 t99 tbad <<< "$tx_line"

mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/fhir-bundles.md"
{
  echo "# FHIR Bundle benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "Server and clients on the same machine; every request carries a bearer token."
  echo "Load average before the run: $LOAD_AVG (anything above ~0.5 means other work shared the 2 cores)."
  echo
  echo "## Synthea transaction bundles with \`healthd load\`"
  echo
  echo "$files bundles (the $(ls "$SYNTHEA" | grep -c '\.json$') Synthea patients of the test data, copied with fresh"
  echo "urn:uuids), $resources entries, \`--concurrency $CONCURRENCY\`; the server rewrites every urn:uuid"
  echo "reference, validates and indexes every resource and commits each Bundle in one transaction."
  echo
  echo "| resources loaded | seconds | resources/s | target | met | Patients stored / bundles |"
  echo "|---|---|---|---|---|---|"
  echo "| $loaded | $seconds | $load_rate | 10000 | $([ "$load_rate" -ge 10000 ] && echo yes || echo no) | $stored / $patients |"
  echo
  echo "## Small transactions (1 Patient + 1 Observation, urn:uuid reference) with wrk"
  echo
  echo "wrk -t$THREADS -c$CONNS -d$DUR. Ceiling: GET /health of the same server in the same run."
  echo
  echo "| workload | req/s | p50 ms | p99 ms | non-2xx | of ceiling |"
  echo "|---|---|---|---|---|---|"
  echo "| ceiling (GET /health) | $ceiling | $c50 | $c99 | 0 | 100% |"
  echo "| transaction | $tx | $t50 | $t99 | $tbad | $(awk -v a="$tx" -v b="$ceiling" 'BEGIN { printf "%.1f%%", 100 * a / b }') |"
  echo
  echo "Resources/s of small transactions: $((tx * 2))."
} > "$OUT"
cat "$OUT"
