//! Instruction-count cases for the regression gate (issue #20): each case runs once, prints its
//! decisions' checksum, and is counted under valgrind by `scripts/icount.sh`, which compares the
//! counts with `benches/icount-baseline.tsv` (instruction counts are stable where wall time on a
//! shared machine is not).
//!
//!   scripts/icount.sh            # the table; exit 1 when a case runs > 3 % more instructions
//!   scripts/icount.sh --bless    # write the baseline from this build
//!   target/release/deps/icount-* --list | place-fgd | ...   # one case, natively
//!
//! Cases: placement of 2·10^4 pods onto 2·10^3 nodes for each policy; one minute of the scale
//! ladder's 10^6-a-day arrivals on an empty cluster (about 700 pods pending at once: the
//! cluster-autoscaler's scale-up estimate, smart hosting's purchases, Karpenter's provisioning)
//! under each scaler; and one autoscaled day of the ladder's 10^4 rung under each scaler
//! (scale-down and Karpenter's consolidation included).

mod common;

use fleetsim::core::{PolicyName, Workload};

const SCALERS: [&str; 3] = ["pool-autoscaler", "smart-hosting", "karpenter"];

fn cases() -> Vec<String> {
    let mut v: Vec<String> = PolicyName::ALL.iter().map(|p| format!("place-{p}")).collect();
    v.extend(SCALERS.iter().map(|s| format!("burst-{s}")));
    v.extend(SCALERS.iter().map(|s| format!("day-{s}")));
    v
}

fn run(case: &str) -> u64 {
    if let Some(p) = case.strip_prefix("place-") {
        let policy = PolicyName::ALL.iter().copied().find(|x| x.to_string() == p).expect("a policy");
        let (nodes, pods) = common::setup(2_000, 20_000);
        let w = Workload::from_pods(&pods);
        let mut c = common::cluster(&nodes, policy);
        return common::place_all(&mut c, &pods, policy, &w);
    }
    if let Some(s) = case.strip_prefix("burst-") {
        return common::ladder(1_000_000, Some("60s"), s).1;
    }
    if let Some(s) = case.strip_prefix("day-") {
        return common::ladder(10_000, None, s).1;
    }
    panic!("unknown case `{case}`; `--list` lists them");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.first().map(String::as_str) {
        None | Some("--list") => {
            for c in cases() {
                println!("{c}");
            }
        }
        Some(case) => println!("{case} checksum {:016x}", run(case)),
    }
}
