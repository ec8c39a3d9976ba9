#!/usr/bin/env bash
# One-shot, idempotent set-up for a fresh Debian 12 machine (run as root):
# Debian packages, FHIR R4 definitions from npm, CMake configure (Ninja + ccache).
# Fast when nothing changed: each step checks before it acts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost1.74-dev rapidjson-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libsqlite3-dev libzstd-dev zlib1g-dev libssl-dev libgtest-dev libgmock-dev libxml2-dev
  python3 python3-pytest python3-requests python3-cryptography wrk
  libdcmtk-dev dcmtk python3-pydicom libicu-dev libopenjp2-7-dev libjpeg-dev python3-numpy python3-pil
  libmosquitto-dev mosquitto mosquitto-clients libjemalloc-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm: any working npm will do (a machine may have Node.js from elsewhere); otherwise Debian's.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$ROOT/scripts/fetch-definitions.sh"

if [ ! -f "$ROOT/build/build.ninja" ]; then
  cmake -S "$ROOT" -B "$ROOT/build" -G Ninja \
    -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
