#!/usr/bin/env bash
# A fleetsim sweep as a Slurm job array: one array task per shard, then a merge that waits for
# all of them.
#
#   sbatch examples/slurm-array.sh                  # submits the shards and the merge
#
# Run from the repository root on a shared filesystem (scenarios/, traces/ and the output
# directory must be visible to every node). A failed or preempted task can be resubmitted alone
# (sbatch --array=K ...): it reuses the runs it had finished and does only the rest.
#SBATCH --job-name=fleetsim-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
set -euo pipefail

SWEEP=${SWEEP:-scenarios/fgd-openb.yaml}
OUT=${OUT:-results-shards/$(basename "$SWEEP" .yaml)}
SHARDS=${SLURM_ARRAY_TASK_COUNT:-8}

if [[ "${1:-}" == "--merge" ]]; then
  fleetsim merge "$OUT"/shard-* --out "$OUT/merged"
  fleetsim report "$OUT/merged"
  exit 0
fi

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  # Not inside an array task: submit the array and a merge that runs after all of it succeeds.
  jid=$(sbatch --parsable "$0")
  sbatch --dependency=afterok:"$jid" --job-name=fleetsim-merge --wrap "$0 --merge"
  exit 0
fi

# The array's lowest index may not be 0 (e.g. --array=1-8): count shards from it.
I=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
fleetsim sweep "$SWEEP" --shard "$I/$SHARDS" --threads "${SLURM_CPUS_PER_TASK:-2}" --out "$OUT/shard-$I"
