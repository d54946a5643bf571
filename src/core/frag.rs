//! GPU fragmentation as defined by Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing
//! Workloads with Fragmentation Gradient Descent" (USENIX ATC 2023), §3.
//!
//! For a node `n` and one *typical* task `m`, the fragment `F_n(m)` is the idle GPU capacity of `n`
//! that `m` cannot use:
//! - `m` needs no GPU, or cannot run on `n` at all (not enough CPU, an unaccepted GPU model, or no
//!   GPU set that fits its GPU request): **all** idle milli-GPU of `n`;
//! - otherwise: the sum of the idle milli-GPU of every GPU whose free share is below what `m`
//!   needs on one GPU (its share, or 1000 for whole-GPU tasks).
//!
//! The node's fragmentation against a workload `M` is the expectation `F_n(M) = Σ_m p_m F_n(m)`,
//! where `p_m` is the popularity of task shape `m`; the cluster's is the sum over nodes.
//!
//! Choices where the paper is silent (documented here and in the README): like the paper's
//! simulator, the measure looks at CPU and GPU only (memory is checked when placing but is not a
//! fragmentation dimension); popularities are kept as integer counts so that every comparison in
//! the FGD policy is exact integer arithmetic (`F` is scaled by the total count).

use super::cluster::{ClassKey, ClusterState, GpuFree};
use super::model::{GpuRequest, NodeTemplate, PodSpec, MILLI_PER_GPU};

/// One task shape of the workload distribution, with how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypicalTask {
    /// CPU request (milli).
    pub cpu_milli: u64,
    /// GPU request.
    pub gpu: GpuRequest,
    /// Accepted GPU models; empty accepts any.
    pub gpu_models: Vec<String>,
    /// Occurrences in the workload.
    pub count: u64,
}

/// The workload distribution `M`: task shapes with integer popularity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workload {
    /// Shapes, sorted by (descending count, shape) for a stable order.
    pub tasks: Vec<TypicalTask>,
    /// Sum of the counts.
    pub total: u64,
}

impl Workload {
    /// Builds the distribution of the given pods' shapes (CPU, GPU request, GPU models).
    pub fn from_pods<'a>(pods: impl IntoIterator<Item = &'a PodSpec>) -> Self {
        let mut counts: std::collections::BTreeMap<(u64, GpuRequest, Vec<String>), u64> = Default::default();
        for p in pods {
            *counts.entry((p.cpu_milli, p.gpu, p.gpu_models.clone())).or_insert(0) += 1;
        }
        let mut tasks: Vec<TypicalTask> = counts
            .into_iter()
            .map(|((cpu_milli, gpu, gpu_models), count)| TypicalTask { cpu_milli, gpu, gpu_models, count })
            .collect();
        tasks.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.cmp(b)));
        let total = tasks.iter().map(|t| t.count).sum();
        Workload { tasks, total }
    }
}

/// `F_n(m)` in milli-GPU for a node described by its template, free CPU and per-GPU free shares.
pub fn task_fragment(t: &NodeTemplate, free_cpu: u64, gpu_free: &[u32], task: &TypicalTask) -> u64 {
    let idle: u64 = gpu_free.iter().map(|&g| g as u64).sum();
    if idle == 0 {
        return 0;
    }
    let per = task.gpu.per_gpu_milli();
    if per == 0 || free_cpu < task.cpu_milli {
        return idle;
    }
    if !model_accepts(t, task) {
        return idle;
    }
    let usable = gpu_free.iter().filter(|&&g| g >= per).count() as u32;
    if usable < task.gpu.gpus() {
        return idle;
    }
    gpu_free.iter().filter(|&&g| g < per).map(|&g| g as u64).sum()
}

/// `F_n(M) * M.total`: the node's expected fragment scaled to an exact integer, by its
/// definition (`O(|M| · G)`; [`FragIndex`] computes the same faster).
pub fn node_fragment_scaled(t: &NodeTemplate, free_cpu: u64, gpu_free: &[u32], w: &Workload) -> u128 {
    w.tasks.iter().map(|task| task.count as u128 * task_fragment(t, free_cpu, gpu_free, task) as u128).sum()
}

/// A workload arranged for evaluating [`node_fragment_scaled`] many times: the tasks that need
/// a GPU, grouped by what decides whether a node's GPUs suit them (share per GPU, GPUs, accepted
/// models), each group's tasks sorted by CPU with running counts. A node's fragment then costs
/// `O(K · log)` for `K` groups instead of `O(|M| · G)`: which of a group's tasks the node can
/// run is a CPU threshold, and the GPUs too small for the group a prefix of the sorted shares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FragIndex {
    total: u64,
    groups: Vec<FragGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FragGroup {
    per: u32,
    gpus: u32,
    models: Vec<String>,
    /// The group's task CPU requests, ascending.
    cpus: Vec<u64>,
    /// `counts[i]`: the occurrences of the first `i` tasks of `cpus`.
    counts: Vec<u64>,
}

impl FragIndex {
    /// The index of `w`.
    pub fn new(w: &Workload) -> Self {
        // (share per GPU, GPUs, models) -> the group's (CPU, count) pairs.
        type Group<'w> = (u32, u32, &'w [String]);
        let mut by_group: std::collections::BTreeMap<Group<'_>, Vec<(u64, u64)>> = Default::default();
        for t in w.tasks.iter().filter(|t| t.gpu.per_gpu_milli() > 0) {
            by_group
                .entry((t.gpu.per_gpu_milli(), t.gpu.gpus(), &t.gpu_models))
                .or_default()
                .push((t.cpu_milli, t.count));
        }
        let groups = by_group
            .into_iter()
            .map(|((per, gpus, models), mut tasks)| {
                tasks.sort_unstable();
                let mut counts = vec![0];
                for &(_, c) in &tasks {
                    counts.push(counts[counts.len() - 1] + c);
                }
                FragGroup {
                    per,
                    gpus,
                    models: models.to_vec(),
                    cpus: tasks.iter().map(|&(cpu, _)| cpu).collect(),
                    counts,
                }
            })
            .collect();
        FragIndex { total: w.total, groups }
    }

    /// [`node_fragment_scaled`] of the workload the index was built from.
    pub fn node_fragment_scaled(&self, t: &NodeTemplate, free_cpu: u64, gpu_free: &[u32]) -> u128 {
        let sorted = GpuFree::sorted(gpu_free);
        let idle: u64 = sorted.iter().map(|&g| g as u64).sum();
        if idle == 0 {
            return 0;
        }
        let Some(model) = &t.gpu_model else { return self.total as u128 * idle as u128 };
        // Tasks the node can run leave the GPUs too small for them; every other task all of it.
        let (mut usable, mut fragment) = (0u128, 0u128);
        for g in &self.groups {
            if !accepts(&g.models, model) {
                continue;
            }
            let small = sorted.partition_point(|&s| s < g.per);
            if ((sorted.len() - small) as u32) < g.gpus {
                continue;
            }
            let n = g.counts[g.cpus.partition_point(|&c| c <= free_cpu)] as u128;
            usable += n;
            fragment += n * sorted[..small].iter().map(|&s| s as u128).sum::<u128>();
        }
        (self.total as u128 - usable) * idle as u128 + fragment
    }
}

/// Whether the node's GPU model is one the task accepts.
fn model_accepts(t: &NodeTemplate, task: &TypicalTask) -> bool {
    t.gpu_model.as_deref().is_some_and(|m| accepts(&task.gpu_models, m))
}

/// Whether a task accepting `models` (empty: any) runs on GPU model `model`.
fn accepts(models: &[String], model: &str) -> bool {
    models.is_empty() || models.iter().any(|x| x == model)
}

/// Scaled fragment of a class's nodes (each of them).
pub fn class_fragment_scaled(c: &ClusterState, key: &ClassKey, w: &Workload) -> u128 {
    node_fragment_scaled(c.template(key.template), key.free_cpu, &key.gpu_free, w)
}

/// Cluster fragmentation in milli-GPU (`Σ_n F_n(M)`), computed per class in `O(C·|M|·G)`.
pub fn cluster_fragment_milli(c: &ClusterState, w: &Workload) -> f64 {
    if w.total == 0 {
        return 0.0;
    }
    let scaled: u128 = c.classes().map(|(k, e)| class_fragment_scaled(c, k, w) * e.nodes.len() as u128).sum();
    scaled as f64 / w.total as f64
}

/// Idle milli-GPU in the cluster.
pub fn cluster_idle_milli(c: &ClusterState) -> u64 {
    c.totals().gpus * MILLI_PER_GPU as u64 - c.totals().gpu_milli_allocated
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn tmpl(cpu: u64, gpus: u32, model: &str) -> NodeTemplate {
        NodeTemplate {
            cpu_milli: cpu,
            memory_mib: 1 << 20,
            gpu_count: gpus,
            gpu_model: Some(model.into()),
            labels: BTreeMap::new(),
            taints: vec![],
            gpu_share: None,
            max_pods: None,
        }
    }
    fn task(cpu: u64, gpu: GpuRequest, count: u64) -> TypicalTask {
        TypicalTask { cpu_milli: cpu, gpu, gpu_models: vec![], count }
    }

    #[test]
    fn fragment_cases_by_hand() {
        let t = tmpl(32000, 4, "V100M16");
        // GPUs free: 200, 500, 1000, 1000 (idle 2700).
        let free = [200, 500, 1000, 1000];
        // A 0.5-GPU task can use the GPUs with >= 500 free: the fragment is the 200 on GPU 0.
        assert_eq!(task_fragment(&t, 8000, &free, &task(4000, GpuRequest::Shared { milli: 500 }, 1)), 200);
        // A 0.6-GPU task cannot use GPUs 0 and 1: 200 + 500.
        assert_eq!(task_fragment(&t, 8000, &free, &task(4000, GpuRequest::Shared { milli: 600 }, 1)), 700);
        // A 2-GPU task uses the two idle GPUs; the partial ones (700 in all) are fragments.
        assert_eq!(task_fragment(&t, 8000, &free, &task(4000, GpuRequest::Whole { count: 2 }, 1)), 700);
        // A 3-GPU task cannot run here: every idle milli-GPU is a fragment.
        assert_eq!(task_fragment(&t, 8000, &free, &task(4000, GpuRequest::Whole { count: 3 }, 1)), 2700);
        // Not enough CPU: all idle GPU is a fragment.
        assert_eq!(task_fragment(&t, 1000, &free, &task(4000, GpuRequest::Shared { milli: 100 }, 1)), 2700);
        // A CPU-only task can use no GPU: all idle GPU.
        assert_eq!(task_fragment(&t, 8000, &free, &task(1000, GpuRequest::None, 1)), 2700);
        // A model the task does not accept: all idle GPU.
        let mut picky = task(1000, GpuRequest::Shared { milli: 100 }, 1);
        picky.gpu_models = vec!["T4".into()];
        assert_eq!(task_fragment(&t, 8000, &free, &picky), 2700);
        // Expected fragment over M = {0.5 GPU x3, 2 GPUs x1}: (3*200 + 1*700) / 4 = 325.
        let w = Workload {
            tasks: vec![
                task(4000, GpuRequest::Shared { milli: 500 }, 3),
                task(4000, GpuRequest::Whole { count: 2 }, 1),
            ],
            total: 4,
        };
        assert_eq!(node_fragment_scaled(&t, 8000, &free, &w), 1300);
    }

    #[test]
    fn node_fragment_is_the_weighted_sum_of_task_fragments() {
        // Every combination of free shares (unsorted, with ties), CPU and task shape of a small
        // grid: the prefix-sum form must equal the definition term by term.
        let shares = [0u32, 100, 250, 500, 1000];
        let tasks: Vec<TypicalTask> = [
            GpuRequest::None,
            GpuRequest::Shared { milli: 100 },
            GpuRequest::Shared { milli: 250 },
            GpuRequest::Shared { milli: 600 },
            GpuRequest::Whole { count: 1 },
            GpuRequest::Whole { count: 2 },
            GpuRequest::Whole { count: 4 },
        ]
        .into_iter()
        .enumerate()
        .flat_map(|(i, g)| [task(2000, g, i as u64 + 1), task(9000, g, 2)])
        .chain([TypicalTask { gpu_models: vec!["T4".into()], ..task(1000, GpuRequest::Shared { milli: 100 }, 5) }])
        .collect();
        let w = Workload { total: tasks.iter().map(|t| t.count).sum(), tasks };
        let t = tmpl(32000, 4, "V100M16");
        let index = FragIndex::new(&w);
        let mut checked = 0;
        for a in shares {
            for b in shares {
                for c in shares {
                    for d in shares {
                        let free = [a, b, c, d];
                        for cpu in [0, 2000, 8000] {
                            let by_def: u128 = w
                                .tasks
                                .iter()
                                .map(|m| m.count as u128 * task_fragment(&t, cpu, &free, m) as u128)
                                .sum();
                            assert_eq!(node_fragment_scaled(&t, cpu, &free, &w), by_def, "{free:?} cpu {cpu}");
                            assert_eq!(index.node_fragment_scaled(&t, cpu, &free), by_def, "{free:?} cpu {cpu}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 625 * 3);
    }

    #[test]
    fn workload_distribution_counts_shapes() {
        let p = |cpu, gpu| PodSpec { cpu_milli: cpu, gpu, ..Default::default() };
        let pods = vec![
            p(1000, GpuRequest::None),
            p(2000, GpuRequest::Shared { milli: 500 }),
            p(2000, GpuRequest::Shared { milli: 500 }),
        ];
        let w = Workload::from_pods(&pods);
        assert_eq!(w.total, 3);
        assert_eq!(w.tasks.len(), 2);
        assert_eq!(w.tasks[0].count, 2, "most popular first");
    }
}
