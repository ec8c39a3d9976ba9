#!/usr/bin/env bash
# FHIR search benchmark: loads the Synthea patients (bench/synthea_load.py, replicated with new ids
# to N_RESOURCES), then runs each query kind with wrk over 200 variants (other patients, names,
# codes) and writes p50/p99 and searches/s to bench/results/fhir-search.md.
#   bench/fhir_search.sh   (env: N_RESOURCES=1000000 DUR=10s CONNS=16 THREADS=2 DATA=<dir to keep/reuse>)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR="$ROOT/bench"
N=${N_RESOURCES:-1000000} DUR=${DUR:-10s} CONNS=${CONNS:-16} THREADS=${THREADS:-2}
BIN=${HEALTHD_BIN:-"$ROOT/build/healthd"}
WORK=$(mktemp -d /tmp/healthd-search-bench.XXXXXX)
DATA=${DATA:-"$WORK/data"}
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ORIGIN="http://127.0.0.1:$PORT"
export FHIR_BASE="$ORIGIN/default/fhir/default"

"$BIN" serve --port "$PORT" --data "$DATA" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done
export TOKEN=$("$BIN" token --data "$DATA" --audience "$FHIR_BASE" --lifetime 86400)
AUTH="Authorization: Bearer $TOKEN"

have=$(curl -sf -H "$AUTH" "$FHIR_BASE?_summary=count" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
LOAD_INFO="reused a data set of $have resources"
if [ "$have" -lt "$N" ]; then
  read -r loaded secs < <(/usr/bin/python3 "$BENCH_DIR/synthea_load.py" "$FHIR_BASE" "$ROOT/../shared/testdata/synthea/bundles" "$((N - have))" 8)
  LOAD_INFO="loaded $loaded resources in ${secs}s ($(awk -v n="$loaded" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')/s, 8 client threads, one PUT each)"
  have=$((have + loaded))
fi
echo "$LOAD_INFO"

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
codes = ["8302-2", "29463-7", "39156-5", "72514-3", "8867-4", "9279-1", "8310-5", "55284-4", "2339-0", "6299-2"]
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

run() {
  local name=$1
  PATHS_FILE="$WORK/$name.txt" wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -s "$BENCH_DIR/fhir/paths.lua" "$FHIR_BASE" > "$WORK/wrk-$name.txt" 2>&1
  awk -v n="$name" 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) } /Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $NF }
    END { printf "%s %.0f %.2f %.2f %d\n", n, rps, p50, p99, bad + 0 }' "$WORK/wrk-$name.txt"
}
results=()
for k in token reference+date string chained include sort total; do results+=("$(run "$k")"); done

declare -A p50_target=([token]=5 [reference+date]=5 [string]=5)
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/fhir-search.md"
{
  echo "# FHIR search benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "$have resources (Synthea patients replicated with new ids; $LOAD_INFO)."
  echo "wrk -t$THREADS -c$CONNS -d$DUR on the same machine, each kind over its variants (bench/fhir_search.sh); bearer token on every request."
  echo "Targets: p50 <= 5 ms for token, reference+date and string (_count=10); >= 3,000 searches/s for token."
  echo
  echo "| query | searches/s | p50 ms | p99 ms | non-2xx | target | met |"
  echo "|---|---|---|---|---|---|---|"
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
    echo "| $name | $rps | $p50 | $p99 | $bad | $t | $met |"
  done
  echo
  echo "Query shapes (one variant each):"
  echo
  for k in token reference+date string chained include sort total; do echo "- $k: \`$(head -1 "$WORK/$k.txt")\`"; done
} > "$OUT"
cat "$OUT"
