#!/usr/bin/env bash
# FHIR search benchmark: the Synthea patients replicated with new ids (bench/synthea_replicate.py)
# to >= N_RESOURCES and loaded with `healthd load`; then each query kind runs with wrk over its
# variants (other patients, names, codes), next to the HTTP ceiling of the same server (GET
# /health) in the same run, and p50/p99 and searches/s go to bench/results/fhir-search.md.
#   bench/fhir_search.sh   (env: N_RESOURCES=1000000 DUR=10s CONNS=16 THREADS=2 CONCURRENCY=4
#                           DATA=bench-data/store PORT=<free> RESULTS=bench/results/fhir-search.md)
# The store and the replicated bundles stay under bench-data/ (gitignored): a later run reuses
# them (the load resumes from its state file), so iterating on the server needs no reload.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR="$ROOT/bench"
N=${N_RESOURCES:-1000000} DUR=${DUR:-10s} CONNS=${CONNS:-16} THREADS=${THREADS:-2} CONCURRENCY=${CONCURRENCY:-4}
BIN=${HEALTHD_BIN:-"$ROOT/build/healthd"}
SYNTHEA=${SYNTHEA:-"$ROOT/../shared/testdata/synthea/bundles"}
KEEP="$ROOT/bench-data"
DATA=${DATA:-"$KEEP/store"}
BUNDLES="$KEEP/bundles-$N"
WORK=$(mktemp -d /tmp/healthd-search-bench.XXXXXX)
PORT=${PORT:-$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
ORIGIN="http://127.0.0.1:$PORT"
export FHIR_BASE="$ORIGIN/default/fhir/default"
mkdir -p "$KEEP" "$DATA"

"$BIN" serve --port "$PORT" --data "$DATA" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 600); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done
export TOKEN=$("$BIN" token --data "$DATA" --audience "$FHIR_BASE" --lifetime 86400)
AUTH="Authorization: Bearer $TOKEN"
count() { curl -sf -H "$AUTH" "$FHIR_BASE$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }

# Replicate once (the copies keep their random ids), load what the state file does not list yet.
if [ ! -f "$BUNDLES/.complete" ]; then
  rm -rf "$BUNDLES"
  /usr/bin/python3 "$BENCH_DIR/synthea_replicate.py" "$SYNTHEA" "$BUNDLES" "$N" > "$WORK/replicate.txt"
  touch "$BUNDLES/.complete"
fi
have=$(count "?_summary=count")
if [ "$have" -lt "$N" ]; then
  "$BIN" load --data-url "$FHIR_BASE" --token "$TOKEN" --concurrency "$CONCURRENCY" --state "$DATA/bench-load.state" \
    --resume "$BUNDLES" 2> "$WORK/load.txt" || { tail -20 "$WORK/load.txt"; exit 1; }
  LOAD_INFO="loaded by this run: $(grep -E '^healthd load: [0-9]+ resources' "$WORK/load.txt" | sed 's/^healthd load: //')"
  have=$(count "?_summary=count")
else
  LOAD_INFO="reused the store of an earlier run (bench-data/)"
fi
patients=$(count "/Patient?_summary=count")
observations=$(count "/Observation?_summary=count")
echo "$have resources ($patients Patients, $observations Observations); $LOAD_INFO"

# Query variants from the data itself.
/usr/bin/python3 - "$FHIR_BASE" "$TOKEN" "$WORK" <<'PY'
import json, sys, urllib.request, urllib.parse
base, token, work = sys.argv[1:4]
def get(q):
    req = urllib.request.Request(f"{base}/{q}", headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req))
pats = [e["resource"] for e in get("Patient?_count=200")["entry"]]
ids = [p["id"] for p in pats]
fams = sorted({p["name"][0]["family"] for p in pats if p.get("name")})
# LOINC codes of the data: five on ~9% of the Observations each, three on ~2.4%, two on ~0.5%.
codes = ["8302-2", "29463-7", "39156-5", "72514-3", "55284-4", "2093-3", "718-7", "6690-2", "2339-0", "6299-2"]
q = urllib.parse.quote
kinds = {
  "token": [f"Observation?code=http://loinc.org|{c}&_count=10" for c in codes],
  "reference+date": [f"Observation?patient=Patient/{i}&date=ge2010-01-01&_count=10" for i in ids],
  "string": [f"Patient?name={q(f[:3].lower())}&_count=10" for f in fams],
  "chained": [f"Observation?subject:Patient.name={q(f)}&_count=10" for f in fams],
  "include": [f"Observation?patient=Patient/{i}&_include=Observation:patient&_count=10" for i in ids],
  "sort": [f"Observation?patient=Patient/{i}&_sort=-date&_count=10" for i in ids],
  "total": [f"Observation?code=http://loinc.org|{c}&_total=accurate&_count=10" for c in codes],
}
for k, paths in kinds.items():
    open(f"{work}/{k}.txt", "w").write("\n".join(paths) + "\n")
PY
KINDS="token reference+date string chained include sort total"

source "$(dirname "$0")/lib/wrk_run.sh"  # run NAME URL [wrk args]
UPTIME_BEFORE=$(uptime)
results=("$(run ceiling "$ORIGIN/health")")
for k in $KINDS; do
  results+=("$(PATHS_FILE="$WORK/$k.txt" run "$k" "$FHIR_BASE" -s "$BENCH_DIR/fhir/paths.lua")")
done
UPTIME_AFTER=$(uptime)
ceiling=$(echo "${results[0]}" | awk '{print $2}')

declare -A p50_target=([token]=5 [reference+date]=5 [string]=5)
mkdir -p "$ROOT/bench/results"
OUT=${RESULTS:-"$ROOT/bench/results/fhir-search.md"}
{
  echo "# FHIR search benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "$have resources ($patients Patients, $observations Observations): the Synthea patients replicated with new ids; $LOAD_INFO."
  echo "wrk -t$THREADS -c$CONNS -d$DUR on the same machine, each kind round robin over its variants (bench/fhir_search.sh);"
  echo "bearer token on every request. Ceiling: GET /health of the same server in the same run."
  echo
  echo "- uptime before the wrk runs: \`$UPTIME_BEFORE\`"
  echo "- uptime after: \`$UPTIME_AFTER\`"
  echo
  echo "Targets: p50 <= 5 ms for token, reference+date and string (_count=10); >= 3,000 searches/s for token."
  echo
  echo "| query | searches/s | of ceiling | p50 ms | p99 ms | non-2xx | target | met |"
  echo "|---|---|---|---|---|---|---|---|"
  for line in "${results[@]}"; do
    read -r name rps p50 p99 bad <<< "$line"
    t="-"; met="-"
    if [ -n "${p50_target[$name]:-}" ]; then
      t="p50 <= ${p50_target[$name]} ms"
      met=$(awk -v a="$p50" -v b="${p50_target[$name]}" 'BEGIN { print (a <= b) ? "yes" : "no" }')
      if [ "$name" = token ]; then
        t="$t, >= 3000/s"
        met=$(awk -v a="$p50" -v r="$rps" 'BEGIN { print (a <= 5 && r >= 3000) ? "yes" : "no" }')
      fi
    fi
    share=$(awk -v a="$rps" -v c="$ceiling" 'BEGIN { printf "%.1f%%", (c > 0) ? 100 * a / c : 0 }')
    [ "$name" = ceiling ] && name="ceiling (GET /health)"
    echo "| $name | $rps | $share | $p50 | $p99 | $bad | $t | $met |"
  done
  echo
  echo "Query shapes (one variant each):"
  echo
  for k in $KINDS; do echo "- $k: \`$(head -1 "$WORK/$k.txt")\`"; done
} > "$OUT"
cat "$OUT"
