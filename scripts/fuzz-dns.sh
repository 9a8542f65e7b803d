#!/usr/bin/env bash
# Fuzzes the DNS wire codec (Smolmix.Dns/Wire) with AFL++ and SharpFuzz, as root.
#   bash scripts/fuzz-dns.sh [SECONDS]      (default 600)
# Installs what it needs (afl++ from apt, the sharpfuzz tool into $SMOLMIX_FUZZ_WORK/tools; both
# idempotent), builds fuzz/Smolmix.Dns.Fuzz, instruments Smolmix.Dns.dll, fuzzes for SECONDS seeded
# from fuzz/Smolmix.Dns.Fuzz/corpus, then puts the minimised queue back into that corpus (as afl-*.bin,
# at most $SMOLMIX_FUZZ_KEEP files). Exits 1 when the fuzzer saved a crash or a hang.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
project=fuzz/Smolmix.Dns.Fuzz
corpus="$PWD/$project/corpus"
# Not under /tmp: afl-cmin refuses to run there. artifacts/ is ignored by git.
work="${SMOLMIX_FUZZ_WORK:-$PWD/artifacts/fuzz-dns}"
keep="${SMOLMIX_FUZZ_KEEP:-300}"
tools="$work/tools"
out="$work/bin"
findings="$work/findings"
mkdir -p "$work"

if ! command -v afl-fuzz >/dev/null || ! command -v afl-cmin >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
if [[ ! -x "$tools/sharpfuzz" ]]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools"
fi

rm -rf "$out"
dotnet build "$project" -c Release -o "$out" --nologo -v q
# Only the codec is instrumented: coverage of the runtime and the harness would only add noise.
"$tools/sharpfuzz" "$out/Smolmix.Dns.dll"

if [[ -z "$(ls -A "$corpus" 2>/dev/null)" ]]; then
  dotnet "$out/Smolmix.Dns.Fuzz.dll" seeds "$corpus"
fi

# dotnet is not an AFL binary (the instrumentation is in the managed assembly); no CPU governor or
# core_pattern can be set in this container; AFL_NO_UI for a log that reads in a file.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_FORKSRV_INIT_TMOUT=60000
rm -rf "$findings"
dotnet="$(readlink -f "$(command -v dotnet)")" # afl-cmin wants a path
start=$(date +%s)
afl-fuzz -i "$corpus" -o "$findings" -V "$seconds" -t 5000 -m none -- "$dotnet" "$out/Smolmix.Dns.Fuzz.dll" >"$work/afl.log" 2>&1 || {
  tail -40 "$work/afl.log"
  exit 1
}
elapsed=$(( $(date +%s) - start ))
stats="$findings/default/fuzzer_stats"
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(find "$findings/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$findings/default/hangs" -type f -name 'id:*' | wc -l)
echo "afl-fuzz ran ${elapsed}s: execs_done=$(stat execs_done) execs_per_sec=$(stat execs_per_sec) corpus_count=$(stat corpus_count) corpus_found=$(stat corpus_found) edges_found=$(stat edges_found) crashes=$crashes hangs=$hangs"

if (( crashes > 0 || hangs > 0 )); then
  dotnet "$out/Smolmix.Dns.Fuzz.dll" replay "$findings/default/crashes" "$findings/default/hangs" || true
  echo "crashes or hangs in $findings/default: fix the codec, keep the input as a test, rerun" >&2
  exit 1
fi

# The minimised queue goes back into the corpus; the seeds stay as they are.
rm -rf "$work/cmin"
if ! afl-cmin -i "$findings/default/queue" -o "$work/cmin" -t 5000 -m none -- "$dotnet" "$out/Smolmix.Dns.Fuzz.dll" >"$work/cmin.log" 2>&1; then
  echo "afl-cmin failed (see $work/cmin.log); the corpus is left as it was" >&2
  exit 1
fi
find "$corpus" -maxdepth 1 -name 'afl-*.bin' -delete
seeds=$(sha1sum "$corpus"/seed-* 2>/dev/null | cut -c1-40)
copied=0
for f in "$work"/cmin/*; do
  (( copied < keep )) || break
  [[ -f "$f" ]] || continue
  sum=$(sha1sum "$f" | cut -c1-40)
  if ! grep -q "$sum" <<<"$seeds"; then
    cp "$f" "$corpus/afl-${sum:0:16}.bin"
    copied=$((copied + 1))
  fi
done
echo "corpus: $(ls "$corpus" | wc -l) files ($copied from the minimised queue of $(ls "$findings/default/queue" | wc -l))"
