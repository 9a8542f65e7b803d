#!/usr/bin/env bash
# The project's test command: prepares the machine (as root) and runs every test.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Interop").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh
dotnet build Smolmix.sln -c Release -warnaserror --nologo -v q
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
# Normal verbosity makes the xUnit adapter print every skipped test with its reason ("[SKIP]" and the reason on
# the next line); the one line per passed test it also prints is dropped here, so the log stays short.
dotnet test Smolmix.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 \
  | grep --line-buffered -vE '^  Passed .*\[[^]]*\]$' | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test assemblies: "N passed, N failed, N skipped", then every skip with its reason.
awk '/^ +(Passed|Failed|Skipped): +[0-9]+ *$/ {
        if ($1 == "Passed:") p += $2;
        if ($1 == "Failed:") f += $2;
        if ($1 == "Skipped:") s += $2;
      }
      END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
# Each skip: the test's name, then its reason (the xUnit line after "[SKIP]").
awk '/\[SKIP\]$/ { name = $0; sub(/^\[xUnit[^]]*\] +/, "", name); sub(/ \[SKIP\]$/, "", name); getline reason;
                    sub(/^\[xUnit[^]]*\] +/, "", reason); printf "skipped: %s: %s\n", name, reason }' "$log"
exit "$status"
