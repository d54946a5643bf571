//! Command-line interface.

use clap::{Parser, Subcommand};
use fleetsim::experiment::Shard;
use fleetsim::experiment::{run_each, run_scenario, scenario_hash};
use fleetsim::report::store::{run_key, Manifest, ManifestRun, Store, StoreSink};
use fleetsim::report::{assemble, write_outputs, RunMeta, SummaryRow};
use fleetsim::scenario::{load_file, Loaded};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Given a sweep file (a `matrix` or `variants`, such as the quickstart's comparison of two
    /// scalers), runs every combination as `sweep` does and prints the runs side by side.
    ///
    /// Writes into DIR: summary.csv, pods.csv, nodes.csv, timeseries.csv (as the scenario's
    /// `output` section asks), allocation_curve.csv/.svg/.md when the allocation curve is on, and
    /// run.json (version, scenario hash, seed, wall time). CSVs are byte-identical run after run.
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
        /// Worker threads (default: all cores).
        #[arg(long)]
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
    #[command(verbatim_doc_comment)]
    Plan {
        /// `kubectl get nodes -o json` output.
        #[arg(long)]
        nodes: PathBuf,
        /// `kubectl get pods -A -o json` output.
        #[arg(long)]
        pods: PathBuf,
        /// The node autoscaler: Karpenter NodePool manifests (`karpenter.sh/v1`, several YAML
        /// documents; other kinds such as EC2NodeClass are skipped with a warning), or ACK node
        /// pools as a scenario writes them (`pools:`, optional `scaler:` and `catalog:`; see
        /// examples/plan/ack-pools.yaml).
        #[arg(long)]
        pools: Option<PathBuf>,
        /// Instance catalog the pools launch from (types, allocatable, zones, prices); default:
        /// an ACK pools file's own `catalog:`, else the shipped AWS GPU catalog
        /// (scenarios/catalogs/aws-gpu.yaml).
        #[arg(long, requires = "pools")]
        catalog: Option<PathBuf>,
        /// Placement policy of the scheduler (first-fit, best-fit, ...).
        #[arg(long, default_value = "best-fit")]
        policy: String,
        /// `table` (default) or `json` (a stable document: format_version, placements,
        /// launches, unschedulable, scale_down_candidates; see the README).
        #[arg(long, default_value = "table")]
        output: String,
    },
    /// Write a scenario's workload as a pod-list CSV, to inspect or reuse it.
    ///
    /// The pods of the scenario's `workload` (a trace cut to its window, inline pods, and the
    /// pods its `synthetic` generators draw from the scenario's seed), in creation order, in the
    /// Alibaba `openb_pod_list` format that `workload.trace.pods_csv` reads back:
    /// name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time (seconds).
    /// Tolerations, node selectors and affinity are not written.
    ///
    /// Example:
    ///   fleetsim trace scenarios/synthetic-inference.yaml --out out/synthetic.csv
    #[command(verbatim_doc_comment)]
    Trace {
        /// The scenario file.
        scenario: PathBuf,
        /// The CSV to write (written to a temporary name, then renamed).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { scenario, out } => cmd_run(&scenario, &out),
        Command::Sweep { sweep, out, threads, shard } => cmd_sweep(&sweep, &out, threads, shard),
        Command::Merge { dirs, out } => cmd_merge(&dirs, &out),
        Command::Report { dir, out, baseline } => cmd_report(&dir, out.as_deref(), baseline.as_deref()),
        Command::Validate { file } => cmd_validate(&file),
        Command::Trace { scenario, out } => cmd_trace(&scenario, &out),
        Command::Plan { nodes, pods, pools, catalog, policy, output } => {
            cmd_plan(&nodes, &pods, pools.as_deref(), catalog.as_deref(), &policy, &output)
        }
    }
}

fn load(path: &Path) -> Result<Loaded, i32> {
    let loaded = load_file(path).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    // Warnings once each, however many runs of a sweep share them.
    let warnings: std::collections::BTreeSet<&String> = match &loaded {
        Loaded::Scenario(s) => s.warnings.iter().collect(),
        Loaded::Sweep(s) => s.runs.iter().flat_map(|r| r.scenario.warnings.iter()).collect(),
    };
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok(loaded)
}

fn read_json(path: &Path) -> Result<serde_json::Value, i32> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: {}: cannot read: {e}", path.display());
        2
    })?;
    serde_json::from_str(&text).map_err(|e| {
        eprintln!("error: {}: not JSON ({e}); expected `kubectl get ... -o json` output", path.display());
        2
    })
}

/// The AWS GPU catalog shipped with the scenarios: `fleetsim plan`'s default.
const AWS_GPU_CATALOG: &str = include_str!("../scenarios/catalogs/aws-gpu.yaml");

/// The node autoscalers of a `--pools` file: Karpenter NodePool manifests (launching from
/// `catalog`, default the shipped AWS GPU catalog), or one mapping with ACK `pools:` (launching
/// from `catalog` or the file's own `catalog:`). Warnings go to stderr.
fn plan_pools(pools: &Path, catalog: Option<&Path>) -> Result<fleetsim::plan::Scalers, i32> {
    let fail = |file: &Path, m: String| {
        eprintln!("error: {}: {m}", file.display());
        2
    };
    let cat = match catalog {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| fail(p, format!("cannot read: {e}")))?;
            Some(parse_catalog(&p.display().to_string(), &text)?)
        }
        None => None,
    };
    let text = std::fs::read_to_string(pools).map_err(|e| fail(pools, format!("cannot read: {e}")))?;
    let file = pools.display().to_string();
    let docs = fleetsim::k8s::nodepool::manifest_documents(&file, &text).map_err(|m| fail(pools, m))?;
    let (ack, manifests): (Vec<_>, Vec<_>) =
        docs.into_iter().partition(|(_, d)| d.get("kind").is_none() && d.get("pools").is_some());
    let mut scalers = fleetsim::plan::Scalers::default();
    if let Some((_, doc)) = ack.into_iter().next() {
        if manifests.iter().any(|(_, d)| !d.is_null()) {
            return Err(fail(
                pools,
                "both ACK `pools:` and Karpenter manifests; a cluster runs one node autoscaler".into(),
            ));
        }
        let dir = pools.parent().unwrap_or(Path::new("."));
        let (specs, cfg) = fleetsim::scenario::validate::ack_pools(&file, dir, doc, cat).map_err(|e| {
            eprintln!("error: {e}");
            2
        })?;
        scalers.pools = specs;
        scalers.ack = Some(cfg);
        return Ok(scalers);
    }
    let cat = match cat {
        Some(c) => c,
        None => parse_catalog("the built-in AWS GPU catalog", AWS_GPU_CATALOG)?,
    };
    let (nps, warnings) = fleetsim::k8s::nodepool::load_nodepools(&manifests, &cat, &scalers.market).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if nps.is_empty() {
        return Err(fail(
            pools,
            "no NodePool in the file; expected `kind: NodePool` manifests (karpenter.sh/v1) or ACK `pools:`".into(),
        ));
    }
    scalers.nodepools = nps;
    Ok(scalers)
}

/// An instance catalog read from `file` (named in errors).
fn parse_catalog(file: &str, text: &str) -> Result<fleetsim::market::Catalog, i32> {
    fleetsim::market::Catalog::from_yaml(text).map_err(|(field, m)| {
        match field {
            Some(f) => eprintln!("error: {file}: field `{f}`: {m}"),
            None => eprintln!("error: {file}: {m}"),
        }
        2
    })
}

fn cmd_plan(
    nodes: &Path,
    pods: &Path,
    pools: Option<&Path>,
    catalog: Option<&Path>,
    policy: &str,
    output: &str,
) -> i32 {
    let policy = match fleetsim::core::PolicyName::parse(policy) {
        Ok(p) => p,
        Err(m) => {
            eprintln!("error: --policy: {m}");
            return 2;
        }
    };
    if output != "table" && output != "json" {
        eprintln!("error: --output `{output}`; expected table or json");
        return 2;
    }
    let (n, p) = match (read_json(nodes), read_json(pods)) {
        (Ok(n), Ok(p)) => (n, p),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let snap = match fleetsim::k8s::snapshot(&n, &p) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: {}: {e}",
                if e.object.starts_with("pod") || e.object.contains("PodList") {
                    pods.display()
                } else {
                    nodes.display()
                }
            );
            return 2;
        }
    };
    let scalers = match pools {
        Some(f) => match plan_pools(f, catalog) {
            Ok(x) => x,
            Err(code) => return code,
        },
        None => fleetsim::plan::Scalers::default(),
    };
    let plan = match fleetsim::plan::plan_for(&snap, policy, &scalers) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if output == "json" {
        let doc = serde_json::json!({
            "format_version": 1,
            "placements": plan.placements.iter().map(|p| serde_json::json!({"pod": p.pod, "node": p.node})).collect::<Vec<_>>(),
            "launches": plan.launches.iter().map(|l| serde_json::json!({
                "scaler": l.scaler, "nodepool": l.nodepool, "instance_type": l.instance_type, "capacity_type": l.capacity_type,
                "zone": l.zone, "hourly_cost_usd": l.price_micro_h as f64 / 1e6, "pods": l.pods,
            })).collect::<Vec<_>>(),
            "unschedulable": plan.unplaced.iter().map(|u| serde_json::json!({"pod": u.pod, "reason": u.reason})).collect::<Vec<_>>(),
            "scale_down_candidates": plan.candidates.iter().map(|c| serde_json::json!({"node": c.node, "pods": c.pods, "reason": c.reason, "nodepool": c.nodepool})).collect::<Vec<_>>(),
            "scale_up_options": plan.scale_up_options.iter().map(|o| serde_json::json!({
                "nodepool": o.nodepool, "instance_type": o.instance_type, "nodes": o.nodes, "pods": o.pods,
                "waste_permille": o.waste_permille, "hourly_cost_usd": o.price_micro_h as f64 / 1e6, "picked": o.picked,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return 0;
    }
    println!(
        "{} nodes ({} cordoned), {} bound pods, {} pending pods; policy {}",
        snap.nodes.len(),
        snap.cordoned.len(),
        snap.bound.len(),
        snap.pending.len(),
        policy
    );
    println!("\npending pods that fit now:");
    for p in &plan.placements {
        println!("  {:<40} -> {}", p.pod, p.node);
    }
    if plan.placements.is_empty() {
        println!("  (none)");
    }
    if pools.is_some() {
        println!("\nnew nodes to launch:");
        for l in &plan.launches {
            println!(
                "  {:<18} {:<20} {:<16} {:<9} {:<12} ${}/h  for {}",
                l.scaler,
                l.nodepool,
                l.instance_type,
                l.capacity_type,
                l.zone,
                fleetsim::market::usd(l.price_micro_h),
                l.pods.join(", ")
            );
        }
        if plan.launches.is_empty() {
            println!("  (none)");
        }
    }
    if let Some(cfg) = &scalers.ack {
        let e = cfg.expander;
        let note = if e == fleetsim::core::scaleup::Expander::Random {
            "; random draws, the plan shows the first"
        } else {
            ""
        };
        println!("\ncluster-autoscaler's scale-up options (expander {}{note}):", e.as_str());
        for o in &plan.scale_up_options {
            println!(
                "  {} {:<20} {:<24} +{} nodes for {} pods, {} per mille idle, ${}/h",
                if o.picked { "*" } else { " " },
                o.nodepool,
                o.instance_type,
                o.nodes,
                o.pods,
                o.waste_permille,
                fleetsim::market::usd(o.price_micro_h)
            );
        }
        if plan.scale_up_options.is_empty() {
            println!("  (none)");
        }
    }
    println!("\npending pods that fit on no node{}:", if pools.is_some() { " and no new node" } else { "" });
    for u in &plan.unplaced {
        println!("  {:<40} {}", u.pod, u.reason);
    }
    if plan.unplaced.is_empty() {
        println!("  (none)");
    }
    println!("\nscale-down candidates:");
    for c in &plan.candidates {
        let kind = if scalers.ack.is_some() { "pool" } else { "NodePool" };
        let by = c.nodepool.as_ref().map(|p| format!(", {kind} {p}")).unwrap_or_default();
        println!("  {:<40} {} ({} pods{by})", c.node, c.reason, c.pods);
    }
    if plan.candidates.is_empty() {
        println!("  (none)");
    }
    0
}

fn cmd_trace(path: &Path, out: &Path) -> i32 {
    let s = match load(path) {
        Ok(Loaded::Scenario(s)) => s,
        Ok(Loaded::Sweep(_)) => {
            eprintln!("error: {} is a sweep; `fleetsim trace` takes one scenario", path.display());
            return 2;
        }
        Err(code) => return code,
    };
    if s.pods.is_empty() {
        eprintln!("error: {}: the workload has no pods to write (only a timeline?)", path.display());
        return 2;
    }
    let text = match fleetsim::workload::write_pods(&s.pods) {
        Ok(t) => t,
        Err(m) => {
            eprintln!("error: {}: {m}", path.display());
            return 2;
        }
    };
    match fleetsim::report::write_atomic(out, text.as_bytes()) {
        Ok(()) => {
            println!("wrote {} pods of `{}` to {}", s.pods.len(), s.name, out.display());
            0
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}

fn cmd_validate(path: &Path) -> i32 {
    match load(path) {
        Ok(Loaded::Scenario(s)) => {
            println!(
                "ok: scenario `{}`: {} nodes, {} pods ({}), policy {}",
                s.name,
                s.nodes.len(),
                s.pods.len(),
                s.workload_name,
                s.policy
            );
            0
        }
        Ok(Loaded::Sweep(s)) => {
            println!("ok: sweep `{}`: {} runs over {}", s.name, s.runs.len(), s.axes.join(" x "));
            0
        }
        Err(code) => code,
    }
}

/// Figures a person reads first: packing runs and autoscaling runs differ.
const PACKING_COLS: [&str; 9] = [
    "pods",
    "pods_scheduled",
    "pods_never_scheduled",
    "gpu_alloc_pct_end",
    "gpu_alloc_pct_time_avg",
    "frag_pct_end",
    "pending_p50_s",
    "pending_p95_s",
    "pending_max_s",
];
const AUTOSCALING_COLS: [&str; 14] = [
    "pods",
    "pods_never_scheduled",
    "cost_usd",
    "gpu_hours_provisioned",
    "gpu_hours_allocated",
    "gpu_hours_alloc_ratio",
    "cpu_alloc_pct_time_avg",
    "pending_p50_s",
    "pending_p95_s",
    "pending_p99_s",
    "pending_max_s",
    "nodes_launched",
    "scale_ups",
    "provisioning_failures",
];

/// Karpenter and spot figures, shown when some run has them.
const DISRUPTION_COLS: [&str; 5] =
    ["disruptions", "pods_disrupted", "spot_interruptions", "lost_gpu_hours", "savings_vs_on_demand_pct"];

/// Inference-service figures, shown when a run has services.
const SERVICE_COLS: [&str; 6] = [
    "svc_tokens_in_time_pct",
    "svc_tokens_late",
    "svc_tokens_dropped",
    "svc_underprovisioned_s",
    "svc_rescales",
    "cost_per_m_tokens_usd",
];

/// Prints the summary: one row per run, or side by side (one column per run) for a comparison of
/// a few runs.
fn print_summary(runs: &[SummaryRow]) {
    // Only autoscaling runs have time-averaged CPU allocation over the nodes present.
    let autoscaling = runs.iter().any(|r| !r.get("cpu_alloc_pct_time_avg").is_empty());
    let mut cols: Vec<&str> = if autoscaling { AUTOSCALING_COLS.to_vec() } else { PACKING_COLS.to_vec() };
    let nonzero = |c: &str| runs.iter().any(|r| r.get(c).parse::<f64>().is_ok_and(|v| v != 0.0));
    if autoscaling && ["disruptions", "spot_interruptions", "savings_vs_on_demand_pct"].iter().any(|c| nonzero(c)) {
        cols.extend(DISRUPTION_COLS);
    }
    if runs.iter().any(|r| !r.get("svc_tokens").is_empty()) {
        cols.extend(SERVICE_COLS);
    }
    let cols = cols.as_slice();
    if runs.len() > 1 && runs.len() <= 6 {
        let label = cols.iter().map(|c| c.len()).max().unwrap_or(6);
        let ws: Vec<usize> =
            runs.iter().map(|r| r.run_id.len().max(cols.iter().map(|c| r.get(c).len()).max().unwrap_or(0))).collect();
        print!("{:<label$}", "run");
        for (r, w) in runs.iter().zip(&ws) {
            print!("  {:>w$}", r.run_id);
        }
        println!();
        for c in cols {
            print!("{c:<label$}");
            for (r, w) in runs.iter().zip(&ws) {
                print!("  {:>w$}", r.get(c));
            }
            println!();
        }
        return;
    }
    let width = runs.iter().map(|r| r.run_id.len()).max().unwrap_or(6).max(6);
    print!("{:<width$}", "run");
    for c in cols {
        print!("  {c:>w$}", w = c.len().max(10));
    }
    println!();
    for r in runs {
        print!("{:<width$}", r.run_id);
        for c in cols {
            print!("  {:>w$}", r.get(c), w = c.len().max(10));
        }
        println!();
    }
}

fn cmd_run(path: &Path, out: &Path) -> i32 {
    let t0 = Instant::now();
    let s = match load(path) {
        Ok(Loaded::Scenario(s)) => s,
        // A comparison file (variants or a matrix) runs every combination, as `sweep` does.
        Ok(Loaded::Sweep(_)) => return cmd_sweep(path, out, None, Shard::ALL),
        Err(code) => return code,
    };
    let r = match run_scenario(&s.name, &[], &s) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: run `{}` failed: {e}", s.name);
            return 1;
        }
    };
    let meta = RunMeta { name: s.name.clone(), wall_time_s: t0.elapsed().as_secs_f64(), threads: 1 };
    match write_outputs(out, &[&r], &[], &meta) {
        Ok(w) => {
            print_summary(&w.summary);
            println!("wrote {} in {}", w.files.join(", "), out.display());
            0
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}

fn cmd_sweep(path: &Path, out: &Path, threads: Option<usize>, shard: Shard) -> i32 {
    let t0 = Instant::now();
    let sweep = match load(path) {
        Ok(Loaded::Sweep(s)) => s,
        Ok(Loaded::Scenario(_)) => {
            eprintln!(
                "error: {} is a single scenario (no `matrix` or `variants`); run it with `fleetsim run {}`",
                path.display(),
                path.display()
            );
            return 2;
        }
        Err(code) => return code,
    };
    let mut manifest_runs = Vec::with_capacity(sweep.runs.len());
    for r in &sweep.runs {
        match scenario_hash(&r.scenario) {
            Ok(h) => manifest_runs.push(ManifestRun { run_id: r.run_id.clone(), key: run_key(&r.run_id, &h) }),
            Err(e) => {
                eprintln!("error: run {}: {e}", r.run_id);
                return 1;
            }
        }
    }
    let store = Store::new(out);
    let mine: Vec<usize> = (0..sweep.runs.len()).filter(|&i| shard.owns(i)).collect();
    let todo: Vec<usize> = mine.iter().copied().filter(|&i| !store.has(&manifest_runs[i].key)).collect();
    if todo.len() < mine.len() {
        eprintln!(
            "{} of {} runs already finished in {}; reusing them",
            mine.len() - todo.len(),
            mine.len(),
            out.display()
        );
    }
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let tty = std::io::stderr().is_terminal();
    let bar = if tty && !todo.is_empty() {
        let b = indicatif::ProgressBar::new(todo.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let step = (todo.len() / 10).max(1);
    let progress = |done: usize, total: usize| match &bar {
        Some(b) => b.set_position(done as u64),
        None if done % step == 0 || done == total => eprintln!("{done}/{total} runs done"),
        None => {}
    };
    let specs: Vec<&fleetsim::scenario::RunSpec> = todo.iter().map(|&i| &sweep.runs[i]).collect();
    let keys: std::collections::BTreeMap<&str, &str> =
        manifest_runs.iter().map(|m| (m.run_id.as_str(), m.key.as_str())).collect();
    let sink = StoreSink { store: &store, keys, axes: &sweep.axes };
    let results = match run_each(&specs, threads, &progress, &sink) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut failed = 0;
    for f in results.iter().filter_map(|r| r.as_ref().err()) {
        failed += 1;
        let params: Vec<String> = f.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        eprintln!("error: run {} ({}) failed: {}", f.run_id, params.join(", "), f.message);
    }
    let manifest = Manifest::new(&sweep.name, &sweep.axes, shard, manifest_runs);
    let meta = RunMeta { name: sweep.name.clone(), wall_time_s: t0.elapsed().as_secs_f64(), threads };
    let code = write_from_store(out, &manifest, &mine, std::slice::from_ref(&store), &meta, &t0);
    if failed > 0 {
        eprintln!("{failed} of {} runs failed; run the same command again to retry only those", mine.len());
        return 1;
    }
    code
}

/// Assembles the outputs of the manifest's runs at `indices` (those found in `stores`, copied into
/// `out`'s own store) into `out`, writes `sweep.json`, prints the summary.
fn write_from_store(
    out: &Path,
    manifest: &Manifest,
    indices: &[usize],
    stores: &[Store],
    meta: &RunMeta,
    t0: &Instant,
) -> i32 {
    let own = Store::new(out);
    let mut frags = Vec::new();
    for &i in indices {
        let key = &manifest.runs[i].key;
        let Some(src) = stores.iter().find(|s| s.has(key)) else { continue };
        let got = own.copy_from(src, key).and_then(|_| own.get(key));
        match got {
            Ok(f) => frags.push(f),
            Err(e) => {
                eprintln!("error: run {}: {e}", manifest.runs[i].run_id);
                return 1;
            }
        }
    }
    let written = manifest.write(out).and_then(|_| assemble(out, &frags, meta));
    match written {
        Ok(w) => {
            if w.summary.len() <= 20 {
                print_summary(&w.summary);
            }
            println!(
                "{} runs in {:.1} s on {} threads; wrote {}, sweep.json in {}",
                frags.len(),
                t0.elapsed().as_secs_f64(),
                meta.threads,
                w.files.join(", "),
                out.display()
            );
            0
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}

fn cmd_merge(dirs: &[PathBuf], out: &Path) -> i32 {
    let t0 = Instant::now();
    let mut manifests = Vec::new();
    for d in dirs {
        match Manifest::read(d) {
            Ok(m) => manifests.push(m),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    }
    let Some(first) = manifests.first() else {
        eprintln!("error: give at least one sweep output directory to merge");
        return 2;
    };
    for (d, m) in dirs.iter().zip(&manifests) {
        if m.name != first.name || m.axes != first.axes || m.runs != first.runs {
            eprintln!(
                "error: {} holds a different sweep than {} (name, matrix or fleetsim version differ); merge only shards of one sweep",
                d.display(),
                dirs[0].display()
            );
            return 2;
        }
    }
    let stores: Vec<Store> = dirs.iter().map(|d| Store::new(d)).collect();
    let missing: Vec<&str> =
        first.runs.iter().filter(|r| !stores.iter().any(|s| s.has(&r.key))).map(|r| r.run_id.as_str()).collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).copied().collect();
        eprintln!(
            "error: {} of {} runs are in none of the directories (a shard missing or failed?): {}{}",
            missing.len(),
            first.runs.len(),
            shown.join(", "),
            if missing.len() > shown.len() { ", ..." } else { "" }
        );
        return 1;
    }
    let manifest = Manifest::new(&first.name, &first.axes, Shard::ALL, first.runs.clone());
    let meta = RunMeta { name: first.name.clone(), wall_time_s: t0.elapsed().as_secs_f64(), threads: 1 };
    let all: Vec<usize> = (0..manifest.runs.len()).collect();
    write_from_store(out, &manifest, &all, &stores, &meta, &t0)
}

fn cmd_report(dir: &Path, out: Option<&Path>, baseline: Option<&str>) -> i32 {
    let out = out.unwrap_or(dir);
    match fleetsim::report::compare::write_report(dir, out, baseline) {
        Ok(files) => {
            let names: Vec<String> =
                files.iter().filter_map(|f| f.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
            println!("wrote {} in {}", names.join(", "), out.display());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
