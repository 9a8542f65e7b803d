#!/usr/bin/env bash
# Records the public API of every shipped library in its PublicAPI.Unshipped.txt (Roslyn's public API
# analyzer code fix for RS0016/RS0017/RS0037, applied with `dotnet format`). The build fails on any public
# member that is not recorded, so run this after a deliberate change to the surface and review the diff.
# Usage: scripts/update-public-api.sh [Smolmix.Core ...]   (default: all shipped libraries)
set -euo pipefail
cd "$(dirname "$0")/.."
libraries=("$@")
if [ ${#libraries[@]} -eq 0 ]; then
  libraries=(Smolmix.Core Smolmix.Dns Smolmix.Dns.DnsClient Smolmix.Tls Smolmix.Http Smolmix.Devnet)
fi
for lib in "${libraries[@]}"; do
  echo "== $lib"
  # RS0016: add a member that is not listed; RS0017: remove one that no longer exists; RS0037: #nullable enable.
  dotnet format analyzers "$lib/$lib.csproj" --diagnostics RS0016 RS0017 RS0037 --severity info
  # Keep the files sorted (the analyzer does not care about order; sorted files diff and merge cleanly).
  for f in "$lib/PublicAPI.Shipped.txt" "$lib/PublicAPI.Unshipped.txt"; do
    { grep -x '#nullable enable' "$f" || true; { grep -v -x "#nullable enable" "$f" || true; } | LC_ALL=C sort -u; } > "$f.tmp"
    mv "$f.tmp" "$f"
  done
done
git status --short -- '*/PublicAPI.*.txt'
