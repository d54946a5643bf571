//! Command-line interface.

/// `print!` to standard output that ends the process cleanly when the reader has gone (a closed
/// pipe: exit 0, as `head` expects) and with a clear error when the write fails otherwise (a full
/// disk: exit 1).
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::emit(format_args!($($t)*), false) };
}

/// `println!` likewise.
macro_rules! outln {
    () => { $crate::cli::emit(format_args!(""), true) };
    ($($t:tt)*) => { $crate::cli::emit(format_args!($($t)*), true) };
}

mod files;
mod plan;
mod run;
mod summary;

use clap::{Parser, Subcommand};
use files::{cmd_report, cmd_trace, cmd_validate};
use fleetsim::experiment::Shard;
use fleetsim::scenario::{load_file, Loaded};
use plan::cmd_plan;
use run::{cmd_merge, cmd_run, cmd_sweep};
use std::path::{Path, PathBuf};

/// fleetsim — replay GPU workloads through scheduling and autoscaling policies, deterministically.
///
/// A scenario file (YAML) names a cluster (a trace node list or inline node groups), a workload (a
/// trace such as Alibaba's GPU trace v2023, or inline pods), a placement policy and what to write.
/// A sweep file adds a `matrix` of values by field path; each combination is one run.
///
/// Examples:
///   fleetsim run scenarios/quickstart.yaml --out out/quickstart
///   fleetsim sweep scenarios/fgd-openb.yaml --out out/fgd-openb --threads 2
///   fleetsim validate scenarios/fgd-openb.yaml
#[derive(Parser, Debug)]
#[command(name = "fleetsim", version, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one scenario and print its summary.
    ///
    /// Given a sweep file (a `matrix` or `variants`, such as scenarios/quickstart.yaml, which
    /// compares three scalers: cluster-autoscaler node groups, an ACK smart-hosting pool and a
    /// Karpenter NodePool), runs every combination as `sweep` does and prints the runs side by
    /// side (as rows beyond a few).
    ///
    /// Writes into DIR: summary.csv, pods.csv, nodes.csv, timeseries.csv (as the scenario's
    /// `output` section asks), allocation_curve.csv/.svg/.md when the allocation curve is on, and
    /// run.json (version, scenario hash, seed, wall time). CSVs are byte-identical run after run.
    ///
    /// Examples:
    ///   fleetsim run scenarios/quickstart.yaml --out out/quickstart
    ///   fleetsim run scenarios/alibaba-replay.yaml
    ///   fleetsim report out/quickstart        # then open out/quickstart/report.html
    #[command(verbatim_doc_comment)]
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Run every combination of a sweep file's matrix, in parallel.
    ///
    /// Outputs are the same files as `run`, one row per run (with a run_id and one column per
    /// matrix path in every row), in matrix order: byte-identical for any --threads. Each finished
    /// run is kept in DIR/.runs/ as it finishes: interrupt the sweep and run the same command again,
    /// and only unfinished (or failed, or changed) runs run. DIR/sweep.json lists the whole sweep.
    ///
    /// Past one machine: `--shard I/N` on N machines (I = 0..N-1, e.g. a Kubernetes Indexed Job's
    /// JOB_COMPLETION_INDEX), then `fleetsim merge` of their directories; see examples/.
    Sweep {
        /// The sweep file (a base scenario and a `matrix` and/or `variants`).
        sweep: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Worker threads (default: all cores; more than the runs or the cores is capped).
        #[arg(long, value_parser = parse_threads)]
        threads: Option<usize>,
        /// Run only shard I of N (runs whose matrix index is I modulo N), e.g. `--shard 0/4`.
        #[arg(long, value_name = "I/N", value_parser = Shard::parse, default_value = "0/1")]
        shard: Shard,
    },
    /// Combine the output directories of a sweep's shards into what the unsharded sweep writes.
    ///
    /// Every directory must hold shards of the same sweep (same sweep.json run list); a run found
    /// in none of them is an error naming it. The CSVs (and plots) in --out are byte-identical to
    /// those of the unsharded sweep; run.json records the merge's own wall time.
    Merge {
        /// The shards' output directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged outputs (may be one of the shards' directories).
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare the policies of a run's or sweep's outputs: report.md and a self-contained report.html.
    ///
    /// Per group of runs (the sweep parameters other than the last and the seeds), a table per
    /// policy (the last parameter: placement policy or variant) of cost, GPU allocation, pending
    /// p50/p95/p99, pods never scheduled, nodes launched, scale-downs, evictions, Karpenter
    /// disruptions, spot interruptions, lost GPU-hours and spot savings, as mean ±
    /// 95 % confidence interval over seeds, with deltas against the baseline; a cost vs p95
    /// pending chart with the Pareto front; time series of pending pods, GPU allocation and
    /// nodes by pool; the CDF of pending time. Charts are inline SVG: no network, no fonts.
    Report {
        /// The output directory of `fleetsim run` or `sweep` (or `merge`).
        dir: PathBuf,
        /// Where to write the report (default: DIR).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The policy the Δ columns compare with (default: the first of each group).
        #[arg(long)]
        baseline: Option<String>,
    },
    /// Check a scenario or sweep file without running it.
    Validate {
        /// The file.
        file: PathBuf,
    },
    /// What the scheduler and a scale-down loop would decide now for a real cluster.
    ///
    /// Reads `kubectl get nodes -o json` and `kubectl get pods -A -o json` and prints, with the
    /// same scheduling core the simulator uses:
    ///   - which pending pods fit on existing nodes and where (creation order, each placed
    ///     before the next is tried);
    ///   - with --pools, which nodes to launch for the rest (pool, instance type, capacity
    ///     type, zone, hourly price): Karpenter NodePools pack as the simulator's Karpenter
    ///     packs; ACK pools scale as its pool autoscaler does in one scan (smart hosting, then
    ///     cluster-autoscaler's options and the expander's pick, all options listed);
    ///   - which pods fit nowhere and why (resources, taints, affinity, pool limits);
    ///   - which nodes are scale-down or consolidation candidates (empty, or all their pods fit
    ///     on the other nodes; a pool's nodes by its rules).
    ///
    /// Unknown fields are ignored; missing ones, bad quantities and pods bound to nodes missing
    /// from the dump are errors.
    ///
    /// Example:
    ///   fleetsim plan --nodes examples/plan/nodes.json --pods examples/plan/pods.json \
    ///       --pools examples/plan/nodepools.yaml
    ///   fleetsim plan --nodes examples/plan/ack-nodes.json --pods examples/plan/ack-pods.json \
    ///       --pools examples/plan/ack-pools.yaml --output json
    ///   kubectl get nodes -o json | fleetsim plan --nodes - --pods pods.json
    #[command(verbatim_doc_comment)]
    Plan {
        /// `kubectl get nodes -o json` output (`-`: standard input).
        #[arg(long)]
        nodes: PathBuf,
        /// `kubectl get pods -A -o json` output (`-`: standard input; one of the two at most).
        #[arg(long)]
        pods: PathBuf,
        /// The node autoscaler: Karpenter NodePool manifests (`karpenter.sh/v1`, several YAML
        /// documents, with the EC2NodeClasses their nodeClassRef names for kubelet maxPods,
        /// podsPerCore, kubeReserved, systemReserved, evictionHard; other kinds are skipped
        /// with a warning), or ACK node pools as a scenario writes them (`pools:`, optional
        /// `scaler:` and `catalog:`; see examples/plan/ack-pools.yaml).
        #[arg(long)]
        pools: Option<PathBuf>,
        /// Instance catalog the pools launch from (types, allocatable, zones, prices); default:
        /// an ACK pools file's own `catalog:`, else the shipped full EC2 catalog of us-east-1
        /// (scenarios/catalogs/aws-us-east-1.yaml: every type Karpenter's AWS provider prices
        /// there, CPU and GPU).
        #[arg(long, requires = "pools")]
        catalog: Option<PathBuf>,
        #[command(flatten)]
        karpenter: KarpenterFlags,
        /// Placement policy of the scheduler (first-fit, best-fit, ...).
        #[arg(long, default_value = "best-fit")]
        policy: String,
        /// `table` (default) or `json` (a stable document: format_version, placements,
        /// launches, unschedulable, scale_down_candidates; see the README).
        #[arg(long, default_value = "table")]
        output: String,
        /// Pods bound to nodes the node dump does not hold (a partial or filtered node dump)
        /// count as running on nodes out of view, with a warning; without it they are an error.
        #[arg(long)]
        pods_on_missing_nodes: bool,
    },
    /// Write a scenario's workload as a pod-list CSV, to inspect or reuse it.
    ///
    /// The pods of the scenario's `workload` (a trace cut to its window, inline pods, and the
    /// pods its `synthetic` generators draw from the scenario's seed), in creation order, in the
    /// Alibaba `openb_pod_list` format that `workload.trace.pods_csv` reads back:
    /// name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time (seconds).
    /// Tolerations, node selectors and affinity are not written. Of a sweep, one run's
    /// workload: name it with --run (its run id, as summary.csv lists it) or --variant.
    ///
    /// Examples:
    ///   fleetsim trace scenarios/alibaba-replay.yaml --out out/alibaba-replay.csv
    ///   fleetsim trace scenarios/quickstart.yaml --variant karpenter --out out/quickstart.csv
    #[command(verbatim_doc_comment)]
    Trace {
        /// The scenario or sweep file.
        scenario: PathBuf,
        /// The CSV to write (written to a temporary name, then renamed).
        #[arg(long)]
        out: PathBuf,
        /// Of a sweep, the run whose workload to write (its run id, e.g.
        /// `pods_csv=openb_pod_list_default|policy=fgd|seed=42`).
        #[arg(long, conflicts_with = "variant")]
        run: Option<String>,
        /// Of a sweep with `variants`, the variant whose workload to write (the one run of it,
        /// or, with a matrix beside it, give --run).
        #[arg(long)]
        variant: Option<String>,
    },
}

/// Writes to standard output (see [`out!`]).
pub fn emit(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let r = o.write_fmt(args).and_then(|_| if newline { o.write_all(b"\n") } else { Ok(()) });
    if let Err(e) = r {
        stdout_failed(e);
    }
}

fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: writing to standard output: {e}");
    std::process::exit(1);
}

/// `--threads`: a whole number, at least 1.
fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("`0`: expected at least 1 thread".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}`: expected a whole number of threads, 1 or more")),
    }
}

/// An output directory `--out` may name: missing (it is created) or a directory.
fn out_dir(out: &Path) -> Result<(), i32> {
    if out.exists() && !out.is_dir() {
        eprintln!("error: --out {}: is a file; expected a directory (created if missing)", out.display());
        return Err(2);
    }
    Ok(())
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let code = run_command();
    if let Err(e) = std::io::Write::flush(&mut std::io::stdout()) {
        stdout_failed(e);
    }
    code
}

fn run_command() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        // Help and version go to standard output like every other answer, so a closed pipe ends
        // quietly and a full disk is an error (clap's own printing ignores both).
        Err(e) if !e.use_stderr() => {
            out!("{}", e.render());
            return 0;
        }
        Err(e) => {
            // Usage errors: clap's message on standard error, exit 2.
            let _ = e.print();
            return 2;
        }
    };
    match cli.command {
        Command::Run { scenario, out } => cmd_run(&scenario, &out),
        Command::Sweep { sweep, out, threads, shard } => cmd_sweep(&sweep, &out, threads, shard),
        Command::Merge { dirs, out } => cmd_merge(&dirs, &out),
        Command::Report { dir, out, baseline } => cmd_report(&dir, out.as_deref(), baseline.as_deref()),
        Command::Validate { file } => cmd_validate(&file),
        Command::Trace { scenario, out, run, variant } => {
            cmd_trace(&scenario, &out, run.as_deref(), variant.as_deref())
        }
        Command::Plan { nodes, pods, pools, catalog, karpenter, policy, output, pods_on_missing_nodes } => {
            let missing = if pods_on_missing_nodes {
                fleetsim::k8s::MissingNodes::Elsewhere
            } else {
                fleetsim::k8s::MissingNodes::Refuse
            };
            let dumps = plan::Dumps { nodes: &nodes, pods: &pods, missing };
            cmd_plan(dumps, pools.as_deref(), catalog.as_deref(), &karpenter, &policy, &output)
        }
    }
}

/// Karpenter's settings `fleetsim plan` takes.
#[derive(Debug, clap::Args)]
struct KarpenterFlags {
    /// Karpenter's AWS provider setting VM_MEMORY_OVERHEAD_PERCENT: the fraction of an
    /// instance type's listed memory its hypervisor keeps (0.075 upstream's default).
    #[arg(long, default_value = "0.075", requires = "pools")]
    vm_memory_overhead_percent: f64,
    /// Karpenter's MIN_VALUES_POLICY: `Strict` (upstream's default: a NodeClaim that would break
    /// a requirement's minValues is not made, its pods stay pending) or `BestEffort` (minValues
    /// is relaxed to what is left).
    #[arg(long, default_value = "Strict", value_parser = ["Strict", "BestEffort"], requires = "pools")]
    min_values_policy: String,
}

fn load(path: &Path) -> Result<Loaded, i32> {
    let loaded = load_file(path).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    // Warnings once each, however many runs of a sweep share them.
    let warnings: std::collections::BTreeSet<&String> = match &loaded {
        Loaded::Scenario(s) => s.warnings.iter().collect(),
        Loaded::Sweep(s) => s.warnings.iter().collect(),
    };
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok(loaded)
}

/// A JSON document from `path`, or from standard input when `path` is `-`.
fn read_json(path: &Path) -> Result<serde_json::Value, i32> {
    let stdin = path == Path::new("-");
    let name = if stdin { "standard input".to_string() } else { path.display().to_string() };
    let text = if stdin {
        let mut t = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut t).map(|_| t)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| {
        eprintln!("error: {name}: cannot read: {e}");
        2
    })?;
    serde_json::from_str(&text).map_err(|e| {
        eprintln!("error: {name}: not JSON ({e}); expected `kubectl get ... -o json` output");
        2
    })
}
