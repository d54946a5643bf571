//! Placement policies: given the cluster and one pod, choose a node and the GPUs on it.
//!
//! Each policy scores node *classes* (see [`super::cluster`]); the lowest score wins and ties go
//! to the lowest node id, so every decision is deterministic given the state (and, for `random`,
//! the caller's random source). The policies follow the baselines and the FGD policy of Weng et
//! al., USENIX ATC 2023; where the paper's simulator breaks score ties at random or rounds scores
//! to integers 0..100, fleetsim keeps exact scores and breaks ties on the node id (documented per
//! policy).

mod best_fit;
mod dot_product;
mod fgd;
mod first_fit;
mod gpu_clustering;
mod gpu_packing;
mod random;

pub use best_fit::BestFit;
pub use dot_product::DotProduct;
pub use fgd::Fgd;
pub use first_fit::FirstFit;
pub use gpu_clustering::GpuClustering;
pub use gpu_packing::GpuPacking;
pub use random::RandomFit;

use super::cluster::{ClassKey, ClusterOptions, ClusterState, GpuChoice, NodeSet, Placement, Run, RunKey};
use super::frag::Workload;
use super::model::{template_admits, GpuRequest, NodeId, NodeTemplate, PodSpec};
use std::fmt;

/// A source of random 64-bit words, supplied by the caller (the core holds no generator).
pub trait RandomSource {
    /// The next random word.
    fn next_u64(&mut self) -> u64;
}

/// A source that always gives 0: for decisions that never draw (first-fit estimates, what-if
/// packing), so they need no generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRandom;

impl RandomSource for NoRandom {
    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// A placement policy. Implementations read the state and return a decision; they never change
/// the state (the caller binds).
pub trait PlacementPolicy: Send {
    /// The policy's registry name.
    fn name(&self) -> &'static str;
    /// Chooses where `pod` goes, or `None` if it fits nowhere.
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, rng: &mut dyn RandomSource) -> Option<Placement>;
}

/// The registry of policy names as scenarios spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyName {
    /// `random`: a uniformly random feasible node.
    Random,
    /// `dot-product`: Tetris-style alignment, as in the FGD paper's simulator.
    DotProduct,
    /// `gpu-clustering`: packs pods with the same GPU request together.
    GpuClustering,
    /// `gpu-packing`: shared GPUs first, then idle GPUs on used nodes, then idle nodes.
    GpuPacking,
    /// `best-fit`: the node left with the least (weighted) resources.
    BestFit,
    /// `fgd`: fragmentation gradient descent.
    Fgd,
    /// `first-fit`: the lowest-id node that fits.
    FirstFit,
}

impl PolicyName {
    /// Every policy, in registry order.
    pub const ALL: [PolicyName; 7] = [
        PolicyName::Random,
        PolicyName::DotProduct,
        PolicyName::GpuClustering,
        PolicyName::GpuPacking,
        PolicyName::BestFit,
        PolicyName::Fgd,
        PolicyName::FirstFit,
    ];

    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyName::Random => "random",
            PolicyName::DotProduct => "dot-product",
            PolicyName::GpuClustering => "gpu-clustering",
            PolicyName::GpuPacking => "gpu-packing",
            PolicyName::BestFit => "best-fit",
            PolicyName::Fgd => "fgd",
            PolicyName::FirstFit => "first-fit",
        }
    }

    /// Parses a scenario spelling; the error lists the valid names.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.iter().copied().find(|p| p.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|p| p.as_str()).collect();
            format!("unknown placement policy `{s}`; expected one of: {}", names.join(", "))
        })
    }

    /// The cluster options this policy needs.
    pub fn cluster_options(self) -> ClusterOptions {
        ClusterOptions { class_by_gpu_tags: self == PolicyName::GpuClustering }
    }

    /// Builds the policy. `workload` is the task distribution FGD measures fragmentation
    /// against; the other policies ignore it.
    pub fn build(self, workload: &Workload) -> Box<dyn PlacementPolicy> {
        match self {
            PolicyName::Random => Box::new(RandomFit),
            PolicyName::DotProduct => Box::new(DotProduct),
            PolicyName::GpuClustering => Box::new(GpuClustering),
            PolicyName::GpuPacking => Box::new(GpuPacking),
            PolicyName::BestFit => Box::new(BestFit),
            PolicyName::Fgd => Box::new(Fgd::new(workload.clone())),
            PolicyName::FirstFit => Box::new(FirstFit),
        }
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A class that can hold the pod now, as a policy sees it.
pub struct Candidate<'a> {
    /// The class key.
    pub key: &'a ClassKey,
    /// The class's template.
    pub template: &'a NodeTemplate,
    /// The class's cache id.
    pub uid: u64,
    /// The class's slot ([`crate::core::ClassEntry::slot`]).
    pub slot: u32,
    /// The lowest node id in the class.
    pub first: NodeId,
    /// Number of nodes in the class.
    pub size: usize,
    /// The class's nodes in id order.
    pub nodes: &'a NodeSet,
}

/// What a [`scan`] does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next class.
    Continue,
    /// Skip the rest of the current run: the classes of this GPU state and template (they follow
    /// in ascending free CPU).
    SkipRun,
    /// End the scan.
    Stop,
}

/// Calls `f` for every class that can hold `pod` now, in class-key order.
///
/// Visits only the runs of the index whose GPUs can hold the request
/// ([`ClusterState::runs_for`]); skips a run whose template refuses the pod (each template's
/// constraints are checked once per call, lazily) or whose classes all lack free CPU, and
/// within a run seeks to the first class with enough CPU. The cost is `O(U + Σ log R + F)` for
/// `U` runs in the GPU range, runs of `R` classes, and `F` fitting classes, against `O(C)` for a
/// scan of every class.
pub fn for_each_candidate<'a>(cluster: &'a ClusterState, pod: &PodSpec, mut f: impl FnMut(Candidate<'a>)) {
    scan(
        cluster,
        pod,
        |_, _| Flow::Continue,
        |c| {
            f(c);
            Flow::Continue
        },
    )
}

/// [`for_each_candidate`] with pruning, for branch and bound: `enter` is called with each run
/// whose GPUs could hold the pod, before anything else of it is looked at (so a bound can end
/// the scan without checking the runs left), and `f` with each fitting class of the runs that
/// have the CPU and a template that admits the pod. Runs come in ascending `(idle, max_free)`;
/// within a run classes ascend in free CPU. Either callback may skip the rest of the run or end
/// the scan.
pub fn scan<'a>(
    cluster: &'a ClusterState,
    pod: &PodSpec,
    mut enter: impl FnMut(RunKey, &Run) -> Flow,
    mut f: impl FnMut(Candidate<'a>) -> Flow,
) {
    // 0 = not checked, 1 = admits, 2 = refuses. On the stack for up to 64 templates.
    let n = cluster.templates().len();
    let mut small = [0u8; 64];
    let mut large = Vec::new();
    let admits: &mut [u8] = if n <= small.len() {
        &mut small[..n]
    } else {
        large.resize(n, 0);
        &mut large
    };
    for (&rk, run) in cluster.runs_for(pod.gpu) {
        match enter(rk, run) {
            Flow::Continue => {}
            Flow::SkipRun => continue,
            Flow::Stop => return,
        }
        let t = rk.template as usize;
        if run.max_free_cpu() < pod.cpu_milli {
            continue;
        }
        if admits[t] == 0 {
            admits[t] = if template_admits(cluster.template(rk.template), pod).is_ok() { 1 } else { 2 };
        }
        if admits[t] != 1 {
            continue;
        }
        for (key, entry) in run.classes_with_cpu(pod.cpu_milli) {
            if !key.resources_fit(pod) {
                continue;
            }
            let flow = f(Candidate {
                key,
                template: cluster.template(key.template),
                uid: entry.uid,
                slot: entry.slot,
                first: entry.first,
                size: entry.nodes.len(),
                nodes: &entry.nodes,
            });
            match flow {
                Flow::Continue => {}
                Flow::SkipRun => break,
                Flow::Stop => return,
            }
        }
    }
}

/// Picks the candidate with the lowest score (ties: lowest node id) and places the pod there.
/// `score` returns `None` to skip a class.
pub fn select_min(
    cluster: &ClusterState,
    pod: &PodSpec,
    mut score: impl FnMut(&Candidate<'_>) -> Option<(f64, GpuChoice)>,
) -> Option<Placement> {
    let mut best: Option<(f64, NodeId, GpuChoice)> = None;
    for_each_candidate(cluster, pod, |c| {
        if let Some((s, g)) = score(&c) {
            let better = match best {
                None => true,
                Some((bs, bn, _)) => s.total_cmp(&bs).then(c.first.cmp(&bn)).is_lt(),
            };
            if better {
                best = Some((s, c.first, g));
            }
        }
    });
    best.map(|(_, node, g)| cluster.concretize(node, g))
}

/// The GPU choice that wastes least on one node: for a shared pod the GPU with the least free
/// share that still fits (best-fit within the node), for whole-GPU pods the idle GPUs.
pub fn tightest_gpu(key: &ClassKey, gpu: GpuRequest) -> GpuChoice {
    match gpu {
        GpuRequest::None => GpuChoice::None,
        GpuRequest::Shared { milli } => {
            // gpu_free is sorted ascending: the first that fits is the tightest.
            let v = key.gpu_free.iter().copied().find(|&g| g >= milli).unwrap_or(milli);
            GpuChoice::SharedOn(v)
        }
        GpuRequest::Whole { count } => GpuChoice::Whole(count),
        // Placed by ClusterState::place_gpu_memory; no class of a policy's range holds it.
        GpuRequest::Memory { .. } => GpuChoice::None,
    }
}

/// Every distinct GPU choice on a class (one per distinct free share that fits a shared pod).
pub fn gpu_choices(key: &ClassKey, gpu: GpuRequest) -> Vec<GpuChoice> {
    match gpu {
        GpuRequest::Shared { milli } => {
            let mut v: Vec<GpuChoice> =
                key.gpu_free.iter().copied().filter(|&g| g >= milli).map(GpuChoice::SharedOn).collect();
            v.dedup();
            v
        }
        other => vec![tightest_gpu(key, other)],
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use crate::core::model::NodeSpec;

    /// A fixed sequence, for tests.
    pub struct Seq(pub u64);
    impl RandomSource for Seq {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 1
        }
    }

    pub fn node(name: &str, cpu: u64, gpus: u32, model: &str) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            cpu_milli: cpu,
            memory_mib: 1 << 20,
            gpu_count: gpus,
            gpu_model: if gpus > 0 { Some(model.into()) } else { None },
            ..Default::default()
        }
    }

    pub fn pod(cpu: u64, gpu: GpuRequest) -> PodSpec {
        PodSpec { name: "p".into(), cpu_milli: cpu, memory_mib: 1024, gpu, ..Default::default() }
    }

    /// Places and binds `pod` with `policy`; returns the chosen node.
    pub fn place(c: &mut ClusterState, policy: &mut dyn PlacementPolicy, id: u64, pod: &PodSpec) -> Option<NodeId> {
        let p = policy.place(c, pod, &mut Seq(id))?;
        c.bind(id, pod, &p).expect("policy chose a fitting node");
        Some(p.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pruned, seeking scan visits exactly the classes a full scan finds fitting, on busy
    /// clusters with many templates (so the seeks are exercised) and every request kind.
    #[test]
    fn candidate_scan_equals_a_full_scan() {
        use crate::core::model::NodeSpec;
        use crate::core::selector::{Taint, TaintEffect};
        let mut r = testutil::Seq(3);
        let mut c = ClusterState::default();
        for i in 0..400u64 {
            let gpus = [0, 1, 2, 4, 8][(r.next_u64() % 5) as usize];
            let tainted = r.next_u64() % 4 == 0;
            c.add_node(&NodeSpec {
                name: format!("n{i}"),
                cpu_milli: 8000 * (1 + r.next_u64() % 12),
                memory_mib: 1 << 16,
                gpu_count: gpus,
                gpu_model: (gpus > 0).then(|| ["T4", "A10", "V100M16"][(r.next_u64() % 3) as usize].to_string()),
                taints: if tainted {
                    vec![Taint { key: "dedicated".into(), value: "x".into(), effect: TaintEffect::NoSchedule }]
                } else {
                    Vec::new()
                },
                ..Default::default()
            })
            .unwrap();
        }
        let gpu_of = |x: u64| match x % 4 {
            0 => GpuRequest::None,
            1 => GpuRequest::Shared { milli: 50 * (1 + (x / 4) % 19) as u32 },
            _ => GpuRequest::Whole { count: 1 + ((x / 4) % 4) as u32 },
        };
        let mut id = 0;
        for round in 0..300 {
            let pod = PodSpec {
                name: "p".into(),
                cpu_milli: 500 * (1 + r.next_u64() % 40),
                memory_mib: 1024,
                gpu: gpu_of(r.next_u64()),
                ..Default::default()
            };
            let mut seen = Vec::new();
            for_each_candidate(&c, &pod, |cand| seen.push(cand.key.clone()));
            let mut expect: Vec<ClassKey> = c
                .classes()
                .filter(|(k, e)| c.fits(e.first, &pod).is_ok() && k.resources_fit(&pod))
                .map(|(k, _)| k.clone())
                .collect();
            expect.sort();
            seen.sort();
            assert_eq!(seen, expect, "round {round}: pod {pod:?}");
            // Fill the cluster as we go so later rounds see busy, fragmented classes.
            if let Some(p) = BestFit.place(&c, &pod, &mut testutil::Seq(round)) {
                c.bind(id, &pod, &p).unwrap();
                id += 1;
            }
        }
        assert!(c.class_count() > 100, "the test needs many classes, has {}", c.class_count());
    }

    #[test]
    fn registry_round_trips_and_lists_names() {
        for p in PolicyName::ALL {
            assert_eq!(PolicyName::parse(p.as_str()), Ok(p));
        }
        let e = PolicyName::parse("bestfit").unwrap_err();
        assert!(e.contains("best-fit") && e.contains("fgd"), "{e}");
    }
}
