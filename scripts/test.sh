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
dotnet test Smolmix.sln -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test assemblies: "N passed, N failed, N skipped".
awk '/(Passed|Failed)! +- +Failed: /{
        gsub(",", "");
        for (i = 1; i <= NF; i++) {
          if ($i == "Failed:") f += $(i+1);
          if ($i == "Passed:") p += $(i+1);
          if ($i == "Skipped:") s += $(i+1);
        }
      }
      END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
