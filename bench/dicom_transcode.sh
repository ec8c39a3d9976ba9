#!/usr/bin/env bash
# DICOM transcoding benchmark: frames/s of WADO-RS retrieval with and without transcoding, relative
# to serving the stored syntax in the same run, and the server's CPU time per frame (from
# /proc/PID/stat, so other load on the machine does not count). One synthetic 16-frame 512x512
# 16-bit CT instance per stored syntax (uncompressed, JPEG lossless SV1, JPEG-LS lossless, RLE);
# targets include JPEG 2000 (.90 lossless, .91 at 10:1) for instances and frames.
# Writes bench/results/dicom-transcode.md (OUT= to write elsewhere). A workload the server does
# not serve (an older binary without JPEG 2000, HEALTHD_BIN=...) shows "-".
#   bench/dicom_transcode.sh            (env: DUR=5s CONNS=4 THREADS=2 FRAMES=16 SIZE=512)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DUR=${DUR:-5s} CONNS=${CONNS:-4} THREADS=${THREADS:-2} FRAMES=${FRAMES:-16} SIZE=${SIZE:-512}
BIN=${HEALTHD_BIN:-"$ROOT/build/healthd"}
WORK=$(mktemp -d /tmp/healthd-bench.XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ORIGIN="http://127.0.0.1:$PORT"
AUD="$ORIGIN/default/dicom/default"
BASE="$AUD/v2"

"$BIN" serve --port "$PORT" --data "$WORK/data" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$ORIGIN/health/ready" >/dev/null && break; sleep 0.1; done
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TOKEN=$("$BIN" token --data "$WORK/data" --audience "$AUD" --roles "DICOM Data Owner")

# make NAME TOOL ARGS...: a fresh instance (own UIDs), compressed by a DCMTK tool, stored; sets URL_NAME.
declare -A URL
make() {
  local name=$1 tool=$2; shift 2
  read -r st se sop < <(/usr/bin/python3 "$ROOT/bench/dicom/make_multiframe.py" "$WORK/$name-src.dcm" "$FRAMES" "$SIZE")
  if [ "$tool" = none ]; then cp "$WORK/$name-src.dcm" "$WORK/$name.dcm"; else "$tool" "$@" "$WORK/$name-src.dcm" "$WORK/$name.dcm"; fi
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/studies" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/dicom' --data-binary @"$WORK/$name.dcm")
  [ "$code" = 200 ] || { echo "storing $name failed: $code" >&2; exit 1; }
  URL[$name]="$BASE/studies/$st/series/$se/instances/$sop"
}
make native none
make jpegll dcmcjpeg +e1
make jpegls dcmcjpls +el
make rle dcmcrle

# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }
TICK=$(getconf CLK_TCK)

# run NAME URL ACCEPT FRAMES_PER_REQUEST: prints "NAME req/s frames/s p50_ms cpu_ms_per_frame"
run() {
  local name=$1 url=$2 accept=$3 per=$4 before after
  before=$(cpu_ticks)
  wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -H "Authorization: Bearer $TOKEN" -H "Accept: $accept" "$url" \
    > "$WORK/wrk-$name.txt" 2>&1
  after=$(cpu_ticks)
  awk -v n="$name" -v per="$per" -v ticks=$((after - before)) -v hz="$TICK" \
    'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 50%/ { p50 = ms($2) } /Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $NF } /requests in/ { total = $1 }
    END { if (bad + 0 > 0) { print n " had non-2xx answers: not served" > "/dev/stderr"; print n " - - - -"; exit }
          printf "%s %.1f %.1f %.2f %.3f\n", n, rps, rps * per, p50, (total > 0 ? ticks * 1000 / hz / (total * per) : 0) }' \
    "$WORK/wrk-$name.txt"
}

EVRLE=1.2.840.10008.1.2.1
J2KLL=1.2.840.10008.1.2.4.90
J2K=1.2.840.10008.1.2.4.91
INST="application/dicom; transfer-syntax"
FRAME="application/octet-stream; transfer-syntax"
rows=()
# groups: the first row of each is the stored-syntax baseline the others are compared with
for src in jpegll jpegls rle; do
  rows+=("$src|$(run "$src-instance-stored" "${URL[$src]}" "$INST=*" "$FRAMES")")
  rows+=("$src|$(run "$src-instance-to-evrle" "${URL[$src]}" "$INST=$EVRLE" "$FRAMES")")
  rows+=("$src|$(run "$src-frame-stored" "${URL[$src]}/frames/1" "$FRAME=*" 1)")
  rows+=("$src|$(run "$src-frame-decoded" "${URL[$src]}/frames/1" "$FRAME=$EVRLE" 1)")
done
rows+=("native|$(run native-instance-stored "${URL[native]}" "$INST=*" "$FRAMES")")
rows+=("native|$(run native-instance-to-jpegls "${URL[native]}" "$INST=1.2.840.10008.1.2.4.80" "$FRAMES")")
rows+=("native|$(run native-instance-to-jpegll "${URL[native]}" "$INST=1.2.840.10008.1.2.4.70" "$FRAMES")")
rows+=("native|$(run native-instance-to-rle "${URL[native]}" "$INST=1.2.840.10008.1.2.5" "$FRAMES")")
rows+=("native|$(run native-instance-to-j2k-lossless "${URL[native]}" "$INST=$J2KLL" "$FRAMES")")
rows+=("native|$(run native-instance-to-j2k-lossy "${URL[native]}" "$INST=$J2K" "$FRAMES")")
rows+=("jpegll|$(run jpegll-instance-to-j2k-lossless "${URL[jpegll]}" "$INST=$J2KLL" "$FRAMES")")
rows+=("native|$(run native-frame-stored "${URL[native]}/frames/1" "$FRAME=*" 1)")
rows+=("native|$(run native-frame-to-jpeg-baseline "${URL[native]}/frames/1" "$FRAME=1.2.840.10008.1.2.4.50" 1)")
rows+=("native|$(run native-frame-to-jpegll "${URL[native]}/frames/1" "$FRAME=1.2.840.10008.1.2.4.70" 1)")
rows+=("native|$(run native-frame-to-jpegls "${URL[native]}/frames/1" "$FRAME=1.2.840.10008.1.2.4.80" 1)")
rows+=("native|$(run native-frame-to-j2k-lossless "${URL[native]}/frames/1" "$FRAME=$J2KLL" 1)")
rows+=("native|$(run native-frame-to-j2k-lossy "${URL[native]}/frames/1" "$FRAME=$J2K" 1)")
rows+=("jpegll|$(run jpegll-frame-to-j2k-lossless "${URL[jpegll]}/frames/1" "$FRAME=$J2KLL" 1)")
rows+=("native|$(run native-rendered-jpeg "${URL[native]}/rendered" "image/jpeg" 1)")
rows+=("jpegll|$(run jpegll-rendered-jpeg "${URL[jpegll]}/rendered" "image/jpeg" 1)")

mkdir -p "$ROOT/bench/results"
OUT=${OUT:-"$ROOT/bench/results/dicom-transcode.md"}
{
  echo "# DICOM transcoding benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown);"
  echo "wrk -t$THREADS -c$CONNS -d$DUR on the same machine; one synthetic CT instance per stored syntax,"
  echo "$FRAMES frames of ${SIZE}x${SIZE}, 16 bits allocated, 12 stored. Frames/s = requests/s x frames per answer."
  echo "\"relative\" compares with the stored-syntax row of the same kind (instance or frame) and source, same run;"
  echo "\"CPU ms/frame\": the server's CPU time (/proc/PID/stat) over the frames served, not affected by other load."
  echo "Load average before the run: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| workload | req/s | frames/s | p50 ms | relative | CPU ms/frame |"
  echo "|---|---|---|---|---|---|"
  declare -A base_rate
  for row in "${rows[@]}"; do
    IFS='|' read -r src line <<< "$row"
    read -r name rps fps p50 cpu <<< "$line"
    kind=frame; case $name in *instance*) kind=instance ;; *rendered*) kind=frame ;; esac
    key="$src-$kind"
    case $name in *-stored) base_rate[$key]=$fps ;; esac
    rel=$(awk -v a="$fps" -v b="${base_rate[$key]:-0}" 'BEGIN { if (a != "-" && b > 0) printf "%.2f", a / b; else print "-" }')
    echo "| $name | $rps | $fps | $p50 | $rel | $cpu |"
  done
} > "$OUT"
cat "$OUT"
