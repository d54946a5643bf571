//! Command-line interface.

use clap::{Parser, Subcommand};
use fleetsim::experiment::{run_all, run_scenario, RunOutput};
use fleetsim::report::{write_outputs, RunMeta};
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
    /// matrix path), in matrix order: byte-identical for any --threads.
    Sweep {
        /// The sweep file (a base scenario and a `matrix`).
        sweep: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Check a scenario or sweep file without running it.
    Validate {
        /// The file.
        file: PathBuf,
    },
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { scenario, out } => cmd_run(&scenario, &out),
        Command::Sweep { sweep, out, threads } => cmd_sweep(&sweep, &out, threads),
        Command::Validate { file } => cmd_validate(&file),
    }
}

fn load(path: &Path) -> Result<Loaded, i32> {
    load_file(path).map_err(|e| {
        eprintln!("error: {e}");
        2
    })
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

fn figure<'a>(r: &'a RunOutput, c: &str) -> &'a str {
    r.summary.figures.iter().find(|(k, _)| *k == c).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Prints the summary: one row per run, or side by side (one column per run) for a comparison of
/// a few runs.
fn print_summary(runs: &[&RunOutput]) {
    let autoscaling = runs.iter().any(|r| r.result.gpu_capacity_integral.is_some());
    let cols: &[&str] = if autoscaling { &AUTOSCALING_COLS } else { &PACKING_COLS };
    if runs.len() > 1 && runs.len() <= 6 {
        let label = cols.iter().map(|c| c.len()).max().unwrap_or(6);
        let ws: Vec<usize> = runs
            .iter()
            .map(|r| r.run_id.len().max(cols.iter().map(|c| figure(r, c).len()).max().unwrap_or(0)))
            .collect();
        print!("{:<label$}", "run");
        for (r, w) in runs.iter().zip(&ws) {
            print!("  {:>w$}", r.run_id);
        }
        println!();
        for c in cols {
            print!("{c:<label$}");
            for (r, w) in runs.iter().zip(&ws) {
                print!("  {:>w$}", figure(r, c));
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
            print!("  {:>w$}", figure(r, c), w = c.len().max(10));
        }
        println!();
    }
}

fn cmd_run(path: &Path, out: &Path) -> i32 {
    let t0 = Instant::now();
    let s = match load(path) {
        Ok(Loaded::Scenario(s)) => s,
        // A comparison file (variants or a matrix) runs every combination, as `sweep` does.
        Ok(Loaded::Sweep(_)) => return cmd_sweep(path, out, None),
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
        Ok(files) => {
            print_summary(&[&r]);
            println!("wrote {} in {}", files.join(", "), out.display());
            0
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}

fn cmd_sweep(path: &Path, out: &Path, threads: Option<usize>) -> i32 {
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
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let tty = std::io::stderr().is_terminal();
    let bar = if tty {
        let b = indicatif::ProgressBar::new(sweep.runs.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let step = (sweep.runs.len() / 10).max(1);
    let progress = |done: usize, total: usize| match &bar {
        Some(b) => b.set_position(done as u64),
        None if done % step == 0 || done == total => eprintln!("{done}/{total} runs done"),
        None => {}
    };
    let results = match run_all(&sweep.runs, threads, &progress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut ok = Vec::new();
    let mut failed = 0;
    for r in &results {
        match r {
            Ok(o) => ok.push(o),
            Err(f) => {
                failed += 1;
                let params: Vec<String> = f.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                eprintln!("error: run {} ({}) failed: {}", f.run_id, params.join(", "), f.message);
            }
        }
    }
    let meta = RunMeta { name: sweep.name.clone(), wall_time_s: t0.elapsed().as_secs_f64(), threads };
    match write_outputs(out, &ok, &sweep.axes, &meta) {
        Ok(files) => {
            if ok.len() <= 20 {
                print_summary(&ok);
            }
            println!(
                "{} runs ({} failed) in {:.1} s on {threads} threads; wrote {} in {}",
                results.len(),
                failed,
                meta.wall_time_s,
                files.join(", "),
                out.display()
            );
            if failed > 0 {
                1
            } else {
                0
            }
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}
