#!/usr/bin/env bash
# Instruction counts of the scheduling core and the scalers (benches/icount.rs) under valgrind,
# against the committed baseline benches/icount-baseline.tsv: prints one row a case (baseline,
# now, change, decisions' checksum) and exits 1 when a case runs more than 3 % more instructions
# than its baseline, or when its checksum changed (a changed decision: bless it on purpose).
#
#   scripts/icount.sh            # the gate (.ci/run calls it)
#   scripts/icount.sh --bless    # rewrite the baseline from this build (commit it with the change)
#
# Counts depend on the compiler, valgrind and the processor: the baseline records the three that
# made it, and under others the table is printed but nothing is gated (bless there).
set -euo pipefail
cd "$(dirname "$0")/.."
bless=0; [ "${1:-}" = "--bless" ] && bless=1
base=benches/icount-baseline.tsv
bin=$(cargo bench --bench icount --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*icount[^"]*\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "icount: the bench binary did not build"; exit 2; }
# What the counts depend on besides the code: the compiler, valgrind, and the processor (the C
# library picks its memcpy by what the processor offers).
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
rustc_now="$(rustc --version); $(valgrind --version); ${cpu:-unknown cpu}"
rustc_base=$(sed -n 's/^# rustc: //p' "$base" 2>/dev/null || true)
tmp=$(mktemp)
echo "# rustc: $rustc_now" >"$tmp"
printf '%-24s %15s %15s %8s  %s\n' case baseline now change checksum
fail=0
for case in $("$bin" --list); do
  out=$(valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$bin" "$case" 2>&1)
  n=$(printf '%s\n' "$out" | sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,)
  sum=$(printf '%s\n' "$out" | sed -n "s/^$case checksum \([0-9a-f]*\)$/\1/p")
  [ -n "$n" ] && [ -n "$sum" ] || { printf '%s\n' "$out" | tail -20; echo "icount: $case did not run"; exit 2; }
  printf '%s\t%s\t%s\n' "$case" "$n" "$sum" >>"$tmp"
  was=$(awk -F'\t' -v c="$case" '$1 == c {print $2}' "$base" 2>/dev/null || true)
  was_sum=$(awk -F'\t' -v c="$case" '$1 == c {print $3}' "$base" 2>/dev/null || true)
  if [ -z "$was" ]; then
    printf '%-24s %15s %15s %8s  %s\n' "$case" - "$n" new "$sum"; continue
  fi
  change=$(awk -v a="$n" -v b="$was" 'BEGIN {printf "%+.2f%%", (a - b) * 100 / b}')
  note=""
  if [ "$sum" != "$was_sum" ]; then note=" (decisions changed: was $was_sum)"; fi
  printf '%-24s %15s %15s %8s  %s%s\n' "$case" "$was" "$n" "$change" "$sum" "$note"
  if [ "$rustc_now" = "$rustc_base" ] && { [ -n "$note" ] || awk -v a="$n" -v b="$was" 'BEGIN {exit !(a > b * 1.03)}'; }; then
    fail=1
  fi
done
if [ $bless = 1 ]; then
  mv "$tmp" "$base"; echo "icount: wrote $base"; exit 0
fi
rm -f "$tmp"
if [ "$rustc_now" != "$rustc_base" ]; then
  echo "icount: the baseline is from '${rustc_base:-none}', this is '$rustc_now': not gated (bless on this set-up to gate)"
  exit 0
fi
[ $fail = 0 ] || { echo "icount: a case regressed by more than 3 % or changed its decisions (see above); bless on purpose with scripts/icount.sh --bless"; exit 1; }
echo "icount: every case within 3 % of its baseline, every decision as it was"
