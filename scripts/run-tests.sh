#!/usr/bin/env bash
# Runs every test suite and prints each runner's summary; exits non-zero on any failure.
#   unit: GoogleTest through CTest;  api: pytest (Debian's, /usr/bin/python3) against real servers.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
status=0

echo "== unit tests (ctest) =="
( cd build && ctest --output-on-failure -j2 ) || status=1

echo "== API tests (pytest) =="
HEALTHD_BIN="$ROOT/build/healthd" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api
rc=$?
# pytest exit 5 means no test was collected: that is a failure here, not a pass.
[ $rc -eq 0 ] || status=1

exit $status
