#!/usr/bin/env bash
# Sweep throughput (issue #6): ~1,000 runs of a day of the Alibaba trace (the five policies of
# scenarios/sweeps/scalers-alibaba.yaml x 33 days x 6 seeds = 990 runs, summaries only), on 1 and
# on 2 threads in the same invocation; prints wall times and the parallel efficiency
# T1 / (2 * T2). Usage: benches/sweep-1000.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=target/release/fleetsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e 's#\.\./catalogs/#'"$PWD"'/scenarios/catalogs/#' \
    -e 's#\.\./\.\./traces/#'"$PWD"'/traces/#' \
    -e 's/^name: scalers-alibaba/name: sweep-1000/' \
    -e 's/^    pods: true/    pods: false/' -e 's/^    nodes: true/    nodes: false/' \
    -e 's/^    timeseries: true/    timeseries: false/' \
    scenarios/sweeps/scalers-alibaba.yaml > "$work/sweep.yaml"
printf '  seed: { from: 1, to: 6 }\n' >> "$work/sweep.yaml"
runs=$($bin validate "$work/sweep.yaml" | sed -E 's/.*: ([0-9]+) runs.*/\1/')
t() { local s e; s=$(date +%s.%N); $bin sweep "$work/sweep.yaml" --out "$work/out-$1" --threads "$1" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
t1=$(t 1); t2=$(t 2)
cmp "$work/out-1/summary.csv" "$work/out-2/summary.csv"
echo "runs: $runs"
echo "1 thread:  ${t1} s"
echo "2 threads: ${t2} s"
echo "parallel efficiency: $(echo "scale=3; $t1 / (2 * $t2)" | bc)"
