#!/usr/bin/env bash
# Validation cost per resource over the Synthea sample: structural (every write) vs full
# ($validate: invariants, bindings) vs full + a profile. Writes bench/results/fhir-validate.md.
#   bench/fhir_validate.sh [SYNTHEA_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ninja -C "$ROOT/build" -j2 bench_validate
"$ROOT/build/bench_validate" "${1:-$ROOT/../shared/testdata/synthea}"
cat "$ROOT/bench/results/fhir-validate.md"
