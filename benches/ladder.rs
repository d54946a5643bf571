//! The scale ladder (issue #20): `scenarios/scale/ladder.yaml`'s synthetic day at 10^4, 10^5 and
//! 10^6 pods under each scaler model, each run in a child process of its own so that its peak
//! memory is its own (`VmHWM`). Prints one row a run: pods, nodes launched, wall time, pods/s,
//! peak RSS, and a checksum of the run's decisions (its summary row hashed: a changed decision
//! changes it).
//!
//!   cargo bench --bench ladder                       # every rung (the 10^6 rung takes a while)
//!   FLEETSIM_LADDER=1e5 cargo bench --bench ladder   # one rung
//!
//! Wall times on a shared machine are noisy: compare two builds with `farm-bench` on the
//! `fleetsim run` of a rung, or by the ratios of one sitting, not across days. The growth figure
//! it prints at the end (the 10^6 rung's time over the 10^5 rung's, per model) is the linearity
//! target: at most about 10.

mod common;

use std::process::Command;
use std::time::Instant;

const RUNGS: [(&str, u64); 3] = [("1e4", 10_000), ("1e5", 100_000), ("1e6", 1_000_000)];

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

/// Runs one (rung, variant) here and prints its row.
fn child(rung: &str, pods_a_day: u64, variant: &str) {
    let start = Instant::now();
    let (r, sum) = common::ladder(pods_a_day, None, variant);
    let wall = start.elapsed().as_secs_f64();
    let fig = |k: &str| r.summary.figures.iter().find(|f| f.0 == k).map(|f| f.1.clone()).unwrap_or_default();
    let pods: f64 = fig("pods").parse().unwrap_or(f64::NAN);
    println!(
        "{rung:>4} {variant:<16} {:>9} {:>7} {:>8.2} {:>10.0} {:>8.0} {:016x}",
        fig("pods"),
        fig("nodes_launched"),
        wall,
        pods / wall,
        peak_rss_mib(),
        sum
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let rung = &args[i + 1];
        let pods = RUNGS.iter().find(|r| r.0 == rung).map(|r| r.1).expect("a rung");
        child(rung, pods, &args[i + 2]);
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and test harness probes
    }
    let only = std::env::var("FLEETSIM_LADDER").ok();
    let me = std::env::current_exe().expect("the bench binary");
    println!("rung model                 pods   nodes   wall s     pods/s peak MiB checksum");
    let mut walls: Vec<(String, String, f64)> = Vec::new();
    for (rung, _) in RUNGS.iter().filter(|r| only.as_deref().is_none_or(|o| o == r.0)) {
        for variant in ["pool-autoscaler", "smart-hosting", "karpenter"] {
            let out = Command::new(&me).args(["--child", rung, variant]).output().expect("run the rung");
            let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if !out.status.success() {
                eprintln!("{rung} {variant} failed: {}", String::from_utf8_lossy(&out.stderr));
                std::process::exit(1);
            }
            println!("{line}");
            if let Some(w) = line.split_whitespace().nth(4).and_then(|w| w.parse().ok()) {
                walls.push((rung.to_string(), variant.to_string(), w));
            }
        }
    }
    for variant in ["pool-autoscaler", "smart-hosting", "karpenter"] {
        let w = |rung: &str| walls.iter().find(|x| x.0 == rung && x.1 == variant).map(|x| x.2);
        if let (Some(a), Some(b)) = (w("1e5"), w("1e6")) {
            println!("growth 1e5 -> 1e6, {variant}: {:.1}x the time for 10x the pods", b / a);
        }
    }
}
