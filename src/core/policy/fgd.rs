//! `fgd`: Fragmentation Gradient Descent (Weng et al., USENIX ATC 2023, §4).
//!
//! For each node that fits and each GPU the pod could use there, FGD computes the growth of the
//! node's expected fragmentation `Δ = F_n'(M) − F_n(M)` (see [`crate::core::frag`]) and picks the
//! placement with the smallest `Δ`. The paper's simulator maps `Δ` through a sigmoid to an integer
//! score 0..100 and breaks ties at random; fleetsim compares `Δ` exactly (integers scaled by the
//! workload's total count) and breaks ties on the lowest node id, then the tightest GPU.
//!
//! Cost: `Δ` for a class depends only on the class key and the pod's shape, so it is memoised per
//! (class, shape): a vector per shape indexed by the class's slot, each cell tagged with the
//! class uid it was computed for (a slot is reused once its class leaves the index). A placement
//! reads one cell per candidate class, adjacent in memory for one shape, and evaluates only the
//! classes it has not seen; each costs `O(|M| · G)` for `|M|` typical shapes and `G` GPUs a node.

use super::{gpu_choices, select_min, PlacementPolicy, RandomSource};
use crate::core::cluster::{ClassKey, ClusterState, GpuChoice, Placement};
use crate::core::frag::{FragIndex, Workload};
use crate::core::hashing::FastBuild;
use crate::core::model::{GpuRequest, NodeTemplate, PodSpec, MILLI_PER_GPU};
use std::collections::HashMap;

type ShapeKey = (u64, GpuRequest, Vec<String>);

/// Memo cells (24 bytes each) kept before the tables are cleared: bounds memory on long runs
/// with many pod shapes.
const MEMO_LIMIT: usize = 1 << 21;

/// A memo cell: the class uid it holds Δ for (0: none; uids start at 1), Δ and the GPU choice.
type Cell = (u64, f64, GpuChoice);
const EMPTY: Cell = (0, 0.0, GpuChoice::None);

/// FGD placement against a workload distribution.
#[derive(Debug, Clone)]
pub struct Fgd {
    index: FragIndex,
    /// Pod shape -> its column of `delta`. Lookups only.
    shapes: HashMap<ShapeKey, u32, FastBuild>,
    /// By class slot: (uid, the class's scaled fragmentation).
    before: Vec<(u64, u128)>,
    /// By shape, then class slot.
    delta: Vec<Vec<Cell>>,
    /// Cells allocated in `delta`.
    cells: usize,
}

impl Fgd {
    /// FGD measuring fragmentation against `workload`.
    pub fn new(workload: Workload) -> Self {
        Fgd {
            index: FragIndex::new(&workload),
            shapes: HashMap::default(),
            before: Vec::new(),
            delta: Vec::new(),
            cells: 0,
        }
    }

    fn shape_id(&mut self, pod: &PodSpec) -> usize {
        let next = self.shapes.len() as u32;
        let id = *self.shapes.entry((pod.cpu_milli, pod.gpu, pod.gpu_models.clone())).or_insert(next) as usize;
        if id == self.delta.len() {
            self.delta.push(Vec::new());
        }
        id
    }

    /// The best (Δ, GPU choice) of placing `pod` on a node of class `key`.
    pub fn best_delta(
        index: &FragIndex,
        t: &NodeTemplate,
        key: &ClassKey,
        pod: &PodSpec,
        before: u128,
    ) -> (f64, GpuChoice) {
        let mut best: Option<(f64, GpuChoice)> = None;
        let cpu_after = key.free_cpu - pod.cpu_milli;
        let mut after = key.gpu_free.to_vec();
        for choice in gpu_choices(key, pod.gpu) {
            after.copy_from_slice(&key.gpu_free);
            match choice {
                GpuChoice::None => {}
                GpuChoice::SharedOn(v) => {
                    if let Some(i) = after.iter().position(|&g| g == v) {
                        after[i] -= pod.gpu.per_gpu_milli();
                    }
                }
                GpuChoice::Whole(n) => {
                    for g in after.iter_mut().filter(|g| **g == MILLI_PER_GPU).take(n as usize) {
                        *g = 0;
                    }
                }
            }
            let f = index.node_fragment_scaled(t, cpu_after, &after);
            let d = f as f64 - before as f64;
            if best.is_none_or(|(b, _)| d.total_cmp(&b).is_lt()) {
                best = Some((d, choice));
            }
        }
        best.unwrap_or((0.0, GpuChoice::None))
    }
}

impl PlacementPolicy for Fgd {
    fn name(&self) -> &'static str {
        "fgd"
    }
    fn place(&mut self, cluster: &ClusterState, pod: &PodSpec, _: &mut dyn RandomSource) -> Option<Placement> {
        let slots = cluster.slot_bound();
        if self.cells > MEMO_LIMIT {
            self.shapes.clear();
            self.delta.clear();
            self.cells = 0;
        }
        let shape = self.shape_id(pod);
        let Fgd { index, before, delta, cells, .. } = self;
        if before.len() < slots {
            before.resize(slots, (0, 0));
        }
        let column = &mut delta[shape];
        if column.len() < slots {
            *cells += slots - column.len();
            column.resize(slots, EMPTY);
        }
        select_min(cluster, pod, |c| {
            let cell = &mut column[c.slot as usize];
            if cell.0 != c.uid {
                let b = &mut before[c.slot as usize];
                if b.0 != c.uid {
                    *b = (c.uid, index.node_fragment_scaled(c.template, c.key.free_cpu, &c.key.gpu_free));
                }
                let (d, choice) = Fgd::best_delta(index, c.template, c.key, pod, b.1);
                *cell = (c.uid, d, choice);
            }
            Some((cell.1, cell.2))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn chooses_the_placement_that_fragments_least() {
        // Workload: half 0.5-GPU tasks, half 1-GPU tasks.
        let w = Workload::from_pods(&[
            pod(1000, GpuRequest::Shared { milli: 500 }),
            pod(1000, GpuRequest::Whole { count: 1 }),
        ]);
        let mut c = ClusterState::default();
        c.add_node(&node("a", 32000, 2, "V100M16")).unwrap(); // 0
        c.add_node(&node("b", 32000, 2, "V100M16")).unwrap(); // 1
                                                              // Node b: GPU 0 has 600 free.
        c.bind(100, &pod(0, GpuRequest::Shared { milli: 400 }), &c.concretize(1, GpuChoice::SharedOn(1000))).unwrap();
        // Place a 0.5 share.
        //  On a (free 1000,1000; F = 0): after (500,1000): 0.5-task frag 0, 1-GPU frag 500 -> F*2 = 500, Δ = 500.
        //  On b GPU0 (600 -> 100): before (600,1000): 0.5 frag 0, 1-GPU frag 600 -> 600.
        //     after (100,1000): 0.5 frag 100, 1-GPU frag 100 -> 200: Δ = -400.
        //  On b GPU1 (1000 -> 500): after (600,500): 0.5 frag 0; 1-GPU cannot run -> 1100: Δ = +500.
        // Best: b, GPU 0.
        let mut f = Fgd::new(w);
        let pl = f.place(&c, &pod(1000, GpuRequest::Shared { milli: 500 }), &mut Seq(1)).unwrap();
        assert_eq!((pl.node, pl.gpus), (1, vec![0]));
    }

    #[test]
    fn memo_is_keyed_by_class_and_shape() {
        let w = Workload::from_pods(&[pod(1000, GpuRequest::Shared { milli: 300 })]);
        let mut c = ClusterState::default();
        for i in 0..3 {
            c.add_node(&node(&format!("n{i}"), 8000, 1, "T4")).unwrap();
        }
        let mut f = Fgd::new(w.clone());
        let mut first = FirstFit;
        // FGD agrees with an uncached evaluation at every step of a fill.
        for i in 0..12 {
            let p = pod(500, GpuRequest::Shared { milli: 300 });
            let a = f.place(&c, &p, &mut Seq(i));
            let b = Fgd::new(w.clone()).place(&c, &p, &mut Seq(i));
            assert_eq!(a, b);
            match a {
                Some(pl) => c.bind(i, &p, &pl).unwrap(),
                None => assert!(first.place(&c, &p, &mut Seq(i)).is_none()),
            }
        }
        assert_eq!(c.totals().gpu_milli_allocated, 2700, "three GPUs take three 0.3 shares each");
    }

    #[test]
    fn memo_survives_classes_leaving_and_slots_reused() {
        // Binds and unbinds of three shapes: classes come and go, and their slots are handed to
        // new classes. The memoising policy must agree with a fresh one at every step.
        let shapes = [
            pod(1000, GpuRequest::Shared { milli: 300 }),
            pod(2000, GpuRequest::Whole { count: 1 }),
            pod(500, GpuRequest::Shared { milli: 700 }),
        ];
        let w = Workload::from_pods(&shapes);
        let mut c = ClusterState::default();
        for i in 0..4 {
            c.add_node(&node(&format!("n{i}"), 16000, 2, "T4")).unwrap();
        }
        let mut f = Fgd::new(w.clone());
        let mut rng = Seq(5);
        let mut bound: Vec<u64> = Vec::new();
        let mut reused = false;
        for i in 0..200u64 {
            if !bound.is_empty() && rng.next_u64() % 3 == 0 {
                let k = (rng.next_u64() % bound.len() as u64) as usize;
                c.unbind(bound.swap_remove(k)).unwrap();
                continue;
            }
            let p = &shapes[(rng.next_u64() % 3) as usize];
            let before = c.slot_bound();
            let a = f.place(&c, p, &mut Seq(i));
            assert_eq!(a, Fgd::new(w.clone()).place(&c, p, &mut Seq(i)), "step {i}");
            if let Some(pl) = a {
                c.bind(i, p, &pl).unwrap();
                bound.push(i);
                reused |= c.slot_bound() == before && c.class_count() > 1;
            }
        }
        assert!(reused, "the sequence reuses slots");
    }

    use super::super::FirstFit;
}
