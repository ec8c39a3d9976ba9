#!/usr/bin/env bash
# MedTech benchmark on this machine, one server, one run (writes bench/results/medtech.md):
#   ceiling     GET /health with wrk (the HTTP ceiling of the same server)
#   ingest-1    POST .../medtech/{name}/messages with one heart-rate message per request (202/s)
#   ingest-100  the same with a JSON array of 100 messages per request (messages/s)
#   e2e-60      N messages queued, then normalize + group + transform + persist until the queue is
#               empty (periodInterval 60: SampledData merged into hourly Observations)
#   e2e-0       the same with periodInterval 0 (one Observation per measurement)
#   latency     RATE messages/s over HTTP for SECS seconds (periodInterval 0): time from each
#               message's 202 to its Observation found by FHIR search (p50/p99/max)
#   mqtt        N messages published with mosquitto_pub -l -q 1 from a file, read by the service
#   stages      normalize + group + transform without persist, in one process (build/bench_medtech)
#   ninja -C build healthd bench_medtech && bench/medtech.sh
#               (env: DUR=10s CONNS=32 THREADS=2 N=20000 N0=5000 SECS=20 RATE=1000 NS=100000)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BENCH_DIR="$ROOT/bench"
DUR=${DUR:-10s} CONNS=${CONNS:-32} THREADS=${THREADS:-2} N=${N:-20000} N0=${N0:-5000}
SECS=${SECS:-20} RATE=${RATE:-1000} NS=${NS:-100000}
export HEALTHD_BIN=${HEALTHD_BIN:-"$ROOT/build/healthd"}
STAGES_BIN=${STAGES_BIN:-"$(dirname "$HEALTHD_BIN")/bench_medtech"}  # built beside healthd
[ -x "$STAGES_BIN" ] || { echo "build it first: ninja -C build bench_medtech" >&2; exit 1; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
stages=$("$STAGES_BIN" "$NS")
WORK=$(mktemp -d /tmp/healthd-bench.XXXXXX)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
ORIGIN="http://127.0.0.1:$PORT"

"$HEALTHD_BIN" serve --port "$PORT" --data "$WORK/data" > "$WORK/server.log" 2>&1 &
SERVER=$!
BROKER=
cleanup() {
  kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true
  [ -n "$BROKER" ] && { kill "$BROKER" 2>/dev/null; wait "$BROKER" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done

# The ingest benchmark's own connector: a queue large enough never to answer 429.
MGMT_TOKEN=$("$HEALTHD_BIN" token --data "$WORK/data" --audience "$ORIGIN")
/usr/bin/python3 - "$ORIGIN" "$MGMT_TOKEN" <<'EOF'
import json, os, sys, requests
origin, tok = sys.argv[1], sys.argv[2]
h = {"Authorization": "Bearer " + tok}
d = os.environ["BENCH_DIR"] + "/medtech/"
device = json.load(open(d + "devicecontent.json"))
fhir = json.loads(open(d + "fhirmapping.json").read().replace("@PERIOD@", "60"))
m = f"{origin}/management/workspaces/default/iotconnectors/ingest"
assert requests.put(m, json={"properties": {"deviceMapping": {"content": device}, "queueLimit": 100000000}},
                    headers=h).status_code == 201
assert requests.put(m + "/fhirdestinations/out", json={"properties": {"resourceIdentityResolutionType": "Create",
    "fhirServiceResourceId": "default", "fhirMapping": {"content": fhir}}}, headers=h).status_code == 201
EOF
export MEDTECH_BASE="$ORIGIN/default/medtech/ingest"
export TOKEN=$("$HEALTHD_BIN" token --data "$WORK/data" --audience "$MEDTECH_BASE")

source "$(dirname "$0")/lib/wrk_run.sh"  # run NAME URL [wrk args]

ceiling=$(run ceiling "$ORIGIN/health")
ingest1=$(BATCH=1 run ingest-1 "$MEDTECH_BASE" -s "$BENCH_DIR/medtech/ingest.lua")
ingest100=$(BATCH=100 run ingest-100 "$MEDTECH_BASE" -s "$BENCH_DIR/medtech/ingest.lua")
# The ingest connector's backlog would compete with the pipeline runs: delete it (and its queue).
curl -sf -X DELETE -H "Authorization: Bearer $MGMT_TOKEN" "$ORIGIN/management/workspaces/default/iotconnectors/ingest" >/dev/null
e2e60=$(/usr/bin/python3 "$BENCH_DIR/medtech_pipeline.py" e2e "$ORIGIN" "$WORK/data" "$N" 60)
e2e0=$(/usr/bin/python3 "$BENCH_DIR/medtech_pipeline.py" e2e "$ORIGIN" "$WORK/data" "$N0" 0)
latency=$(/usr/bin/python3 "$BENCH_DIR/medtech_pipeline.py" latency "$ORIGIN" "$WORK/data" "$SECS" "$RATE")

mqtt="mqtt - - -"
if command -v mosquitto_pub >/dev/null && [ -x /usr/sbin/mosquitto ]; then
  BPORT=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n%s\n' "$BPORT" \
    "$([ "$(id -u)" = 0 ] && echo 'user root')" > "$WORK/mosquitto.conf"
  /usr/sbin/mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 &
  BROKER=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$BPORT") 2>/dev/null && break; sleep 0.1; done
  mqtt=$(/usr/bin/python3 "$BENCH_DIR/medtech_pipeline.py" mqtt "$ORIGIN" "$WORK/data" "$N" "$BPORT")
fi

c_rps=$(echo "$ceiling" | awk '{print $2}')
of() { awk -v a="$1" -v b="$c_rps" 'BEGIN { if (a + 0 > 0) printf "%.1f%%", 100 * a / b; else print "-" }'; }
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/medtech.md"
{
  echo "# MedTech benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores (load average $LOAD_BEFORE before the run, $(cut -d' ' -f1-3 /proc/loadavg) after), $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo "One healthd, default configuration (bearer tokens validated per request). Heart-rate device"
  echo "mapping (CalculatedContent) and a SampledData destination mapping (bench/medtech/*.json),"
  echo "identity resolution Create. Ceiling: GET /health of the same server in the same run."
  echo
  echo "## Stages: normalize + group + transform (target >= 20,000 messages/s)"
  echo
  echo "build/bench_medtech $NS (bench/medtech/stages_bench.cpp): the worker's own code (normalize_batch,"
  echo "group_measurements, observation_groups, build_observation and the JSON of the PUT body) in"
  echo "batches of 1024, without the FHIR persist; identity resolution as the resolver's cache hit."
  echo "Rates per CPU second of the one thread doing the work (best of 3), so they are per core even on"
  echo "a shared machine; the last column is the wall clock of the same run."
  echo
  echo "$stages"
  echo
  echo "## HTTP ingest (wrk -t$THREADS -c$CONNS -d$DUR; 202 = durably queued)"
  echo
  echo "| workload | req/s | messages/s | p50 ms | p99 ms | non-2xx | req/s of ceiling |"
  echo "|---|---|---|---|---|---|---|"
  for line in "$ceiling" "$ingest1" "$ingest100"; do
    read -r name rps p50 p99 bad <<< "$line"
    per=1; [ "$name" = ingest-100 ] && per=100; [ "$name" = ceiling ] && per=0
    msgs=$([ "$per" = 0 ] && echo - || echo $((rps * per)))
    echo "| $name | $rps | $msgs | $p50 | $p99 | $bad | $(of "$rps") |"
  done
  echo
  echo "## Pipeline: queued messages to Observations (normalize + group + transform + persist)"
  echo
  echo "Messages are queued while the destination FHIR service is away; the clock runs from its"
  echo "return until the queue is empty. 100 devices, one message every 5 s per device."
  echo
  echo "| periodInterval | messages | seconds | messages/s | Observations | messages/s of ceiling |"
  echo "|---|---|---|---|---|---|"
  read -r _ rate secs obs <<< "$e2e60"; echo "| 60 (SampledData merged hourly) | $N | $secs | $rate | $obs | $(of "$rate") |"
  read -r _ rate secs obs <<< "$e2e0"; echo "| 0 (one Observation per measurement) | $N0 | $secs | $rate | $obs | $(of "$rate") |"
  echo
  echo "## Latency: ingest to Observation searchable ($RATE messages/s for $SECS s, target p99 <= 1 s)"
  echo
  echo "periodInterval 0 and one timestamp per message, so each message is its own Observation;"
  echo "10 messages per POST, paced. A poller runs the FHIR search"
  echo "Observation?_lastUpdated=ge{last seen}&_sort=_lastUpdated (all pages) back to back; a message's"
  echo "latency runs from the 202 of its POST to the answer of the first search that returned its"
  echo "Observation (so it includes up to one poll round: an upper bound)."
  echo
  read -r _ count p50 p99 max poll sent <<< "$latency"
  echo "| messages | sent msg/s | p50 ms | p99 ms | max ms | mean poll round ms | met |"
  echo "|---|---|---|---|---|---|---|"
  echo "| $count | $sent | $p50 | $p99 | $max | $poll | $([ "$p99" -le 1000 ] && echo yes || echo no) |"
  echo
  echo "## MQTT ingest (mosquitto 2.0 on loopback, mosquitto_pub -l -q 1 from a file)"
  echo
  read -r _ rate secs pub <<< "$mqtt"
  echo "| messages | seconds until all read and queued | messages/s | publisher seconds |"
  echo "|---|---|---|---|"
  echo "| $N | $secs | $rate | $pub |"
} > "$OUT"
cat "$OUT"
