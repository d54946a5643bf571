//! What the benches share: the Alibaba trace's nodes and pods, an empty cluster, placing every
//! pod with a checksum of the decisions, and a run of the scale ladder's scenario.
#![allow(dead_code)] // each bench uses its part

use fleetsim::core::{ClusterState, PodSpec, PolicyName, Scheduler, Workload};
use fleetsim::engine::RngStreams;
use fleetsim::experiment::{run_scenario, RunOutput};
use fleetsim::scenario::{load_file, Loaded};
use fleetsim::workload::{read_nodes, read_pods};
use std::path::Path;

/// `nodes` nodes (the trace's node mix, repeated) and `pods` pods sampled from its default pod
/// list.
pub fn setup(nodes: usize, pods: usize) -> (Vec<fleetsim::core::NodeSpec>, Vec<PodSpec>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/alibaba-gpu-v2023");
    let base = read_nodes(&dir.join("openb_node_list_all_node.csv")).expect("node list");
    let trace = read_pods(&dir.join("openb_pod_list_default.csv")).expect("pod list");
    let node_specs = (0..nodes)
        .map(|i| {
            let mut n = base[i % base.len()].clone();
            n.name = format!("n{i}");
            n
        })
        .collect();
    let mut rng = RngStreams::new(7).stream("bench/pods");
    let pod_specs = (0..pods).map(|_| trace[rng.below(trace.len() as u64) as usize].spec.clone()).collect();
    (node_specs, pod_specs)
}

/// The empty cluster the pods are placed onto.
pub fn cluster(nodes: &[fleetsim::core::NodeSpec], policy: PolicyName) -> ClusterState {
    let mut c = ClusterState::new(policy.cluster_options());
    for n in nodes {
        c.add_node(n).expect("unique names");
    }
    c
}

/// Places every pod onto `c` (binding those that fit); returns a checksum of the decisions.
pub fn place_all(c: &mut ClusterState, pods: &[PodSpec], policy: PolicyName, w: &Workload) -> u64 {
    let mut p = Scheduler::new(policy.build(w));
    let mut rng = RngStreams::new(1).stream("placement");
    let mut sum = 0u64;
    for (i, pod) in pods.iter().enumerate() {
        if let Ok(pl) = p.place(c, pod, &mut rng) {
            sum = sum.wrapping_mul(31).wrapping_add(pl.node as u64 + 1);
            c.bind(i as u64, pod, &pl).expect("fits");
        }
    }
    sum
}

/// FNV-1a of the text.
pub fn checksum(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// `scenarios/scale/ladder.yaml`'s `variant` at `pods_a_day` (and `end`, e.g. `60s`, in place
/// of the day), run; with a checksum of its summary row (every figure: a changed decision
/// changes it).
pub fn ladder(pods_a_day: u64, end: Option<&str>, variant: &str) -> (RunOutput, u64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/scale/ladder.yaml")).expect("the ladder scenario");
    let mut text = text.replace("rate: 4167/h", &format!("rate: {}/h", pods_a_day.div_ceil(24))).replace(
        "catalog: ../catalogs/aws-gpu.yaml",
        &format!("catalog: {}", root.join("scenarios/catalogs/aws-gpu.yaml").display()),
    );
    if let Some(end) = end {
        text = text.replace("simulation: {end: 1d,", &format!("simulation: {{end: {end},"));
    }
    let file = std::env::temp_dir().join(format!("fleetsim-ladder-{}.yaml", std::process::id()));
    std::fs::write(&file, text).expect("write the rung");
    let loaded = load_file(&file);
    let _ = std::fs::remove_file(&file);
    let Ok(Loaded::Sweep(s)) = loaded else { panic!("the ladder must load as a sweep: {loaded:?}") };
    let run = s.runs.iter().find(|r| r.run_id == format!("variant={variant}")).expect("the variant");
    let scenario = run.scenario().expect("builds");
    let r = run_scenario(&run.run_id, &run.params, &scenario).expect("runs");
    let row: Vec<String> = r.summary.figures.iter().map(|f| format!("{}={}", f.0, f.1)).collect();
    let sum = checksum(&row.join(","));
    (r, sum)
}
