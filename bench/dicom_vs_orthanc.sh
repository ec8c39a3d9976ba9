#!/bin/bash
# healthd's DICOM service against Orthanc (Debian's orthanc + orthanc-dicomweb, installed by the
# shared script when missing; the product does not depend on it): starts a fresh healthd, runs
# ../shared/bench/compare_dicom.sh (the same client and 2,000 instances for both, Orthanc
# measured in the same run) and writes bench/results/dicom-vs-orthanc.md with the ratios.
#   bench/dicom_vs_orthanc.sh [WORKDIR] [PORT]
# HEALTHD_BIN picks the binary (default: build/healthd of this checkout); NOTES_FILE, when set,
# is a Markdown file appended below the table (the run's commentary).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)} port=${2:-19600}
shared=${HEALTHD_SHARED:-$root/../shared}
bin=${HEALTHD_BIN:-$root/build/healthd}
mkdir -p "$work"
# A reused WORKDIR loses the previous run's data here. On ext4 without a journal (as on the
# development machine) files created within minutes of many deletions are slow to make (ext4
# skips inodes freed in the last 60 s, 360 s while their blocks are dirty), which lowers both
# servers' STOW: prefer a fresh WORKDIR (the default) and no large deletions just before.
rm -rf "$work/healthd" "$work/orthanc"
"$bin" serve --host 127.0.0.1 --port "$port" --data "$work/healthd" >"$work/healthd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
origin=http://127.0.0.1:$port
TOKEN=$("$bin" token --data "$work/healthd" --audience "$origin/default/dicom/default" --roles "DICOM Data Owner")
export TOKEN
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$shared/bench/compare_dicom.sh" "$origin/default/dicom/default/v2" "$work" | tee "$work/results.jsonl"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/python3 - "$work/results.jsonl" "$root/bench/results/dicom-vs-orthanc.md" "$(git -C "$root" rev-parse --short HEAD)" \
  "$load_before" "$load_after" "${NOTES_FILE:-}" <<'PY'
import json, os, sys, time
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = {(x["server"], x["workload"]): x["result"] for x in rows}
# target: ours / Orthanc as a speed ratio (higher is better); None: at least as fast
targets = {"stow": 5, "studies_limit_100": 20, "instances_of_study": 10, "studies_by_patient": 3,
           "study_by_accession": 3, "study_metadata": 5}
out = ["# DICOMweb: healthd vs Orthanc", "",
       f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, {os.cpu_count()} cores shared with other work, "
       f"{sys.argv[3]}; ../shared/bench/compare_dicom.sh: the same Python client and the same 2,000 CT "
       "instances (100 studies x 20, 39 KB) for both servers, Orthanc 1.10 + DICOMweb plugin (Debian, SQLite "
       "index) measured in the same run. healthd with its defaults (bearer token on every request). "
       "Speed-up = Orthanc time / healthd time (STOW: healthd rate / Orthanc rate).", "",
       f"Load average (1, 5, 15 min) before the run: {sys.argv[4]}; after: {sys.argv[5]}.", "",
       "| workload | Orthanc | healthd | speed-up | target | met |", "|---|---|---|---|---|---|"]
o, h = r[("orthanc", "stow")], r[("healthd", "stow")]
ratio = h["instances_per_s"] / o["instances_per_s"]
out.append(f"| STOW, 1 instance per request, 4 threads (instances/s) | {o['instances_per_s']} | {h['instances_per_s']} "
           f"| {ratio:.1f}x | >= 5x | {'yes' if ratio >= 5 else 'no'} |")
for w in ("qido", "wado"):
    for case, ov in r[("orthanc", w)].items():
        hv = r[("healthd", w)][case]
        ok_status = hv["status"] in (200, 206)
        ratio = ov["p50_ms"] / hv["p50_ms"] if hv["p50_ms"] else 0
        t = targets.get(case)
        target = f">= {t}x" if t else ">= 1x"
        met = ok_status and ratio >= (t or 1)
        shown = f"{ratio:.1f}x" if ok_status else f"- (HTTP {hv['status']})"
        out.append(f"| {w.upper()} {case} (p50 ms) | {ov['p50_ms']} | {hv['p50_ms']} | {shown} | {target} "
                   f"| {'yes' if met else 'no'} |")
if sys.argv[6]:
    out += [""] + open(sys.argv[6]).read().rstrip("\n").split("\n")
out += ["", "Raw results (one JSON line per server and workload):", "", "```"] + \
       [json.dumps(x) for x in rows] + ["```", ""]
open(sys.argv[2], "w").write("\n".join(out))
print("\n".join(out))
PY
