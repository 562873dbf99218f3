#!/usr/bin/env bash
# Builds the Azure Functions package of the server: a zip with host.json at its root, the
# catch-all HTTP function http/function.json and the Linux x86-64 binary open311, ready for
# az functionapp deployment source config-zip. azure/README.md describes the app settings.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: azure/build.sh [-c CATALOG] [-o ZIP]

  -c CATALOG  also put this catalog file in the package as catalog.json; then set the app
              setting OPEN311_CATALOG=catalog.json
  -o ZIP      file to write (default dist/open311-functions.zip in the repository)
EOF
}

repo=$(cd "$(dirname "$0")/.." && pwd)
catalog=""
output="$repo/dist/open311-functions.zip"
while getopts "c:o:h" option; do
  case $option in
    c) catalog=$OPTARG ;;
    o) output=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -gt 0 ]; then
  echo "azure/build.sh: unexpected argument \"$1\"; give the catalog with -c FILE" >&2
  exit 2
fi
if [ -n "$catalog" ] && [ ! -f "$catalog" ]; then
  echo "azure/build.sh: catalog file \"$catalog\" not found; give the path of a JSON catalog with -c" >&2
  exit 2
fi

# The paths are made absolute because the build and the zip run in other folders.
case $output in /*) ;; *) output="$PWD/$output" ;; esac
case $catalog in /* | "") ;; *) catalog="$PWD/$catalog" ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The package's root is the function app's root: host.json there, one folder per function.
cp "$repo/azure/host.json" "$stage/host.json"
mkdir "$stage/http"
cp "$repo/azure/http/function.json" "$stage/http/function.json"
if [ -n "$catalog" ]; then
  cp "$catalog" "$stage/catalog.json"
fi
chmod 644 "$stage"/*.json "$stage/http/function.json"

# host.json starts this binary, built for Linux on x86-64. Without cgo it is static, so it
# needs no library from the image that runs it.
(cd "$repo" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
  go build -trimpath -ldflags "-s -w" -o "$stage/open311" .)
chmod 755 "$stage/open311"

mkdir -p "$(dirname "$output")"
rm -f "$output"
if command -v zip >/dev/null 2>&1; then
  # zip stores each file's Unix mode, so the binary stays executable, and -X leaves out owner ids.
  (cd "$stage" && zip -q -r -X "$output" .)
else
  python3 - "$stage" "$output" <<'EOF'
import os
import sys
import zipfile

stage, output = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, folders, files in os.walk(stage):
        folders.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            # write() stores the file's Unix mode, so the binary stays executable.
            archive.write(path, os.path.relpath(path, stage))
EOF
fi

echo "wrote $output ($(wc -c < "$output") bytes)"
