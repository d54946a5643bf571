//! Pods, nodes and their resource requests in integer units.

use super::selector::{NodeAffinity, Taint, Toleration};
use std::collections::BTreeMap;

/// Thousandths of one GPU: a whole GPU is 1000, the trace's `gpu_milli` counts in these.
pub const MILLI_PER_GPU: u32 = 1000;

/// Most GPUs one node may have: GPU indices are bytes (`Placement::gpus`). The largest servers
/// sold hold 8 or 16; loaders reject more as absurd.
pub const MAX_GPUS_PER_NODE: u32 = 256;

/// Index of a node in a [`crate::core::ClusterState`]; assigned in insertion order, never reused.
pub type NodeId = u32;

/// A pod's identifier, chosen by the caller (the simulator uses the trace order).
pub type PodId = u64;

/// The GPU part of a pod's request.
///
/// A *shared* pod takes `milli` thousandths of exactly one GPU (the Alibaba trace's GPU-sharing
/// tasks, `num_gpu = 1, gpu_milli < 1000`); a *whole* pod takes `count` idle GPUs on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum GpuRequest {
    /// No GPU.
    #[default]
    None,
    /// A share of one GPU, 1..=999 milli.
    Shared {
        /// Thousandths of one GPU.
        milli: u32,
    },
    /// Whole, exclusive GPUs.
    Whole {
        /// Number of GPUs, at least 1.
        count: u32,
    },
    /// GPU memory on one GPU of a GPU-sharing node (ACK's `aliyun.com/gpu-mem`), in the
    /// cluster's minimum allocation unit (1 GiB by default, or 128 MiB; ACK docs, "Adjust the
    /// minimum GPU memory unit of shared GPU scheduling"). Only nodes with a [`GpuShare`] take
    /// it; see there for how it counts against milli-GPU.
    Memory {
        /// Memory units, at least 1.
        units: u32,
    },
}

impl GpuRequest {
    /// From the trace's `num_gpu` and `gpu_milli` columns. `gpu_milli` is the share of each
    /// requested GPU: `num_gpu = 1, gpu_milli = 460` is a shared pod, `num_gpu = 8, gpu_milli =
    /// 1000` eight whole GPUs. A fractional share of several GPUs is not expressible in
    /// Kubernetes device plugins and is rejected.
    pub fn from_counts(num_gpu: u32, gpu_milli: u32) -> Result<Self, String> {
        match (num_gpu, gpu_milli) {
            (0, 0) => Ok(GpuRequest::None),
            (0, m) => Err(format!("gpu_milli is {m} but num_gpu is 0; expected gpu_milli 0 for a pod without GPUs")),
            (_, 0) => Err(format!("num_gpu is {num_gpu} but gpu_milli is 0; expected 1..=1000")),
            (1, m) if m < MILLI_PER_GPU => Ok(GpuRequest::Shared { milli: m }),
            (n, MILLI_PER_GPU) => Ok(GpuRequest::Whole { count: n }),
            (_, m) if m > MILLI_PER_GPU => {
                Err(format!("gpu_milli is {m}; expected at most 1000 (one whole GPU) per GPU"))
            }
            (n, m) => Err(format!("num_gpu {n} with gpu_milli {m}: a share below 1000 is only possible on one GPU")),
        }
    }

    /// Total GPU demand in milli-GPU.
    pub fn total_milli(self) -> u64 {
        match self {
            GpuRequest::None => 0,
            GpuRequest::Shared { milli } => milli as u64,
            GpuRequest::Whole { count } => count as u64 * MILLI_PER_GPU as u64,
            GpuRequest::Memory { .. } => 0,
        }
    }

    /// Milli-GPU needed on each GPU used (0, the share, or 1000); for a GPU-memory request, its
    /// memory units (what it takes from its GPU on a sharing node).
    pub fn per_gpu_milli(self) -> u32 {
        match self {
            GpuRequest::None => 0,
            GpuRequest::Shared { milli } => milli,
            GpuRequest::Whole { .. } => MILLI_PER_GPU,
            GpuRequest::Memory { units } => units,
        }
    }

    /// Number of GPUs touched.
    pub fn gpus(self) -> u32 {
        match self {
            GpuRequest::None => 0,
            GpuRequest::Shared { .. } | GpuRequest::Memory { .. } => 1,
            GpuRequest::Whole { count } => count,
        }
    }

    /// A tag that groups pods of the same GPU request (used by `gpu-clustering`): 0 for none, the
    /// milli share for shared pods, `1000 * count` for whole-GPU pods (GPU-memory pods: 0, they
    /// never meet the others on a node).
    pub fn tag(self) -> u32 {
        match self {
            GpuRequest::None | GpuRequest::Memory { .. } => 0,
            GpuRequest::Shared { milli } => milli,
            GpuRequest::Whole { count } => count.saturating_mul(MILLI_PER_GPU),
        }
    }
}

/// What a pod asks of the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodSpec {
    /// Name, for messages.
    pub name: String,
    /// CPU request in milli-cores.
    pub cpu_milli: u64,
    /// Memory request in MiB.
    pub memory_mib: u64,
    /// GPU request.
    pub gpu: GpuRequest,
    /// Acceptable GPU models (the trace's `gpu_spec`, `V100M16|V100M32`); empty accepts any.
    pub gpu_models: Vec<String>,
    /// `nodeSelector`.
    pub node_selector: BTreeMap<String, String>,
    /// Required node affinity, if any.
    pub affinity: Option<NodeAffinity>,
    /// Tolerations.
    pub tolerations: Vec<Toleration>,
}

/// How a GPU-sharing node (ACK label `ack.node.gpu.schedule=share` or `cgpu`) hands out its
/// GPUs: by memory, in the cluster's minimum unit, each pod on one GPU.
///
/// Such a node takes only `aliyun.com/gpu-mem` pods on its GPUs ([`GpuRequest::Memory`]);
/// `nvidia.com/gpu` pods and the trace's milli shares go elsewhere. For cluster totals and
/// utilization, a pod of `u` units on a GPU of `U` units counts as `⌊1000·u / U⌋` milli-GPU of that
/// GPU model (an A10's 24 GiB at the 1 GiB unit: 24 units, a 2 GiB pod 83 milli; at 128 MiB: 192
/// units, the same pod 16 units, again 83 milli). Fits are decided in units, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GpuShare {
    /// Memory units of one GPU (its memory divided by the unit, rounded down).
    pub units_per_gpu: u32,
    /// Pods one GPU may run, 0 for no limit. cGPU memory isolation (`cgpu`) allows 16 whatever
    /// the unit (ACK docs, same page).
    pub max_pods_per_gpu: u32,
    /// GPU selection on the node: `false` binpack (the fullest GPU that fits, ACK's default),
    /// `true` spread (the emptiest).
    pub spread: bool,
}

/// What a node offers: its allocatable resources, GPUs, labels and taints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeSpec {
    /// Node name, unique in the cluster.
    pub name: String,
    /// Allocatable CPU in milli-cores.
    pub cpu_milli: u64,
    /// Allocatable memory in MiB.
    pub memory_mib: u64,
    /// Number of GPUs.
    pub gpu_count: u32,
    /// GPU model (e.g. `V100M16`, `A10`), `None` for CPU-only nodes.
    pub gpu_model: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Taints.
    pub taints: Vec<Taint>,
    /// GPU sharing by memory, for nodes labelled `ack.node.gpu.schedule=share|cgpu`.
    pub gpu_share: Option<GpuShare>,
    /// Allocatable `pods`: the most pods the node runs at once (the kubelet's `maxPods`);
    /// `None`: no limit. Every pod takes one, as in the scheduler's NodeResourcesFit.
    pub max_pods: Option<u32>,
}

/// The unchanging part of a node, shared by every node built alike.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeTemplate {
    /// Allocatable CPU in milli-cores.
    pub cpu_milli: u64,
    /// Allocatable memory in MiB.
    pub memory_mib: u64,
    /// Number of GPUs.
    pub gpu_count: u32,
    /// GPU model.
    pub gpu_model: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Taints.
    pub taints: Vec<Taint>,
    /// GPU sharing by memory.
    pub gpu_share: Option<GpuShare>,
    /// Allocatable `pods`.
    pub max_pods: Option<u32>,
}

impl NodeTemplate {
    /// The template of a node spec.
    pub fn of(spec: &NodeSpec) -> Self {
        NodeTemplate {
            cpu_milli: spec.cpu_milli,
            memory_mib: spec.memory_mib,
            gpu_count: spec.gpu_count,
            gpu_model: spec.gpu_model.clone(),
            labels: spec.labels.clone(),
            taints: spec.taints.clone(),
            gpu_share: spec.gpu_share,
            max_pods: spec.max_pods,
        }
    }
}

/// Why a pod cannot be placed on a node (or on any node).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Unfit {
    /// A `NoSchedule`/`NoExecute` taint the pod does not tolerate.
    Taint(String),
    /// A `nodeSelector` pair the node's labels lack.
    NodeSelector(String),
    /// No term of the required node affinity matches.
    NodeAffinity,
    /// The pod needs GPUs and the node has none, or not of an accepted model.
    GpuModel,
    /// Not enough free CPU.
    Cpu,
    /// Not enough free memory.
    Memory,
    /// Not enough free GPU (whole GPUs or a share on one GPU).
    Gpu,
    /// The pod asks for GPU memory (`aliyun.com/gpu-mem`) and the node does not share its GPUs
    /// by memory, or the node does and the pod asks for `nvidia.com/gpu`.
    GpuSharing,
    /// Not enough GPU memory on any one GPU of a sharing node (or, with cGPU isolation, every
    /// GPU with room already runs its 16 pods).
    GpuMemory,
    /// The node runs its allocatable `pods` already.
    Pods,
    /// A node fits, but the placement policy chose none.
    Declined,
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfit::Taint(t) => write!(f, "untolerated taint {t}"),
            Unfit::NodeSelector(k) => write!(f, "nodeSelector {k} does not match"),
            Unfit::NodeAffinity => write!(f, "node affinity does not match"),
            Unfit::GpuModel => write!(f, "no GPU of an accepted model"),
            Unfit::Cpu => write!(f, "insufficient cpu"),
            Unfit::Memory => write!(f, "insufficient memory"),
            Unfit::Gpu => write!(f, "insufficient nvidia.com/gpu"),
            Unfit::GpuSharing => write!(f, "GPU sharing mode does not match"),
            Unfit::GpuMemory => write!(f, "insufficient aliyun.com/gpu-mem"),
            Unfit::Pods => write!(f, "too many pods"),
            Unfit::Declined => write!(f, "the placement policy chose no node"),
        }
    }
}

/// Whether a node of template `t` is one `pod` may run on, resources aside: its taints tolerated
/// (`PreferNoSchedule` only steers), its node selector and required affinity matched. This is
/// how a DaemonSet's pod is matched to the nodes it runs on.
pub fn template_selects(t: &NodeTemplate, pod: &PodSpec) -> bool {
    super::selector::untolerated(&t.taints, &pod.tolerations).is_none()
        && pod.node_selector.iter().all(|(k, v)| t.labels.get(k) == Some(v))
        && pod.affinity.as_ref().is_none_or(|a| a.matches(&t.labels))
}

/// Whether the unchanging part of a node admits a pod (taints, selectors, GPU model, and
/// capacity that could ever hold it).
pub fn template_admits(t: &NodeTemplate, pod: &PodSpec) -> Result<(), Unfit> {
    if let Some(taint) = super::selector::untolerated(&t.taints, &pod.tolerations) {
        return Err(Unfit::Taint(format!("{}={}:{:?}", taint.key, taint.value, taint.effect)));
    }
    for (k, v) in &pod.node_selector {
        if t.labels.get(k) != Some(v) {
            return Err(Unfit::NodeSelector(format!("{k}={v}")));
        }
    }
    if let Some(aff) = &pod.affinity {
        if !aff.matches(&t.labels) {
            return Err(Unfit::NodeAffinity);
        }
    }
    if matches!(pod.gpu, GpuRequest::Memory { .. }) != t.gpu_share.is_some() && pod.gpu != GpuRequest::None {
        return Err(Unfit::GpuSharing);
    }
    if pod.gpu != GpuRequest::None {
        let Some(model) = &t.gpu_model else { return Err(Unfit::GpuModel) };
        if t.gpu_count == 0 || (!pod.gpu_models.is_empty() && !pod.gpu_models.iter().any(|m| m == model)) {
            return Err(Unfit::GpuModel);
        }
    }
    if pod.cpu_milli > t.cpu_milli {
        return Err(Unfit::Cpu);
    }
    if pod.memory_mib > t.memory_mib {
        return Err(Unfit::Memory);
    }
    if pod.gpu.gpus() > t.gpu_count {
        return Err(Unfit::Gpu);
    }
    if t.max_pods == Some(0) {
        return Err(Unfit::Pods);
    }
    if let (GpuRequest::Memory { units }, Some(share)) = (pod.gpu, &t.gpu_share) {
        if units > share.units_per_gpu {
            return Err(Unfit::GpuMemory);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_request_from_trace_columns() {
        assert_eq!(GpuRequest::from_counts(0, 0), Ok(GpuRequest::None));
        assert_eq!(GpuRequest::from_counts(1, 460), Ok(GpuRequest::Shared { milli: 460 }));
        assert_eq!(GpuRequest::from_counts(1, 1000), Ok(GpuRequest::Whole { count: 1 }));
        assert_eq!(GpuRequest::from_counts(8, 1000), Ok(GpuRequest::Whole { count: 8 }));
        assert!(GpuRequest::from_counts(2, 500).is_err());
        assert!(GpuRequest::from_counts(0, 300).is_err());
        assert!(GpuRequest::from_counts(1, 1500).is_err());
        assert_eq!(GpuRequest::Whole { count: 8 }.total_milli(), 8000);
        assert_eq!(GpuRequest::Shared { milli: 460 }.per_gpu_milli(), 460);
    }
}
