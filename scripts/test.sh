#!/usr/bin/env bash
# The project's test command: prepares the machine (as root) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh
dotnet build Smolmix.sln -c Release -warnaserror --nologo -v q
dotnet test Smolmix.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
