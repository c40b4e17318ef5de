#!/bin/sh
# Runs data_bench.py against a micros run (a static app: only its data is measured).
# (set -e holds in the EXIT trap too: the stopped micros' status must not become the script's)
set -e
here=$(cd "$(dirname "$0")" && pwd)
jar="${MICROS_JAR:-$here/../../build/micros.jar}"
sdk="${DETA_SDK:-$here/../../../shared/sdk/deta-python}"
if [ ! -d "$sdk/deta" ]; then echo "data bench: skipped, the deta python SDK is not at $sdk (set DETA_SDK)"; exit 0; fi
dir=$(mktemp -d)
trap 'st=$?; kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"; exit $st' EXIT
mkdir -p "$dir/app/site"
echo hi > "$dir/app/site/index.html"
printf 'v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n' > "$dir/app/Spacefile"
java -jar "$jar" run "$dir/app" --port 0 > "$dir/log" 2>&1 &
pid=$!
for i in $(seq 100); do grep -q "Press Ctrl-C" "$dir/log" 2>/dev/null && break; sleep 0.1; done
eval "$(java -jar "$jar" data env "$dir/app")"
echo "== Deta Base and Drive on micros (python SDK over HTTPS)"
PYTHONPATH="$sdk" /usr/bin/python3 "$here/data_bench.py"
kill $pid 2>/dev/null; wait $pid 2>/dev/null || true
# memory and scale: a 200,000-item Base and a ~1 GB one, through import, export, a run and the SDK
# (SCALE_ITEMS=200000 for the first alone, SCALE_ITEMS= for none)
java "$here/DataScale.java" "$jar" "$sdk" "$here"
