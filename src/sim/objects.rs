//! The run's objects as controllers read them: pods, nodes (each with an explicit owner) and
//! Deployments, plus the PodDisruptionBudget accounting every controller shares.

use super::record::{NodeRow, PodRecord};
use super::spec::{DeploymentSpec, Pdb};
use crate::core::{NodeId, NodeSpec, PodSpec};
use crate::engine::SimTime;
use crate::market::cloud::Grant;
use crate::market::spot::CapacityType;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A pod's index in the run (also its id in the scheduler's state).
pub type PodKey = usize;
/// A node's index in the run (static nodes first, then launched ones in launch order).
pub type NodeKey = usize;

/// Who manages a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// Present from the start, managed by nobody (the scenario's `cluster:`).
    Static,
    /// Launched (or, in `fleetsim plan`, adopted) by controller `index`, in its group `group`
    /// (a node pool or NodePool of it).
    Controller {
        /// The controller's index in the run (registration order).
        index: usize,
        /// The controller's own group index.
        group: usize,
    },
}

/// Where a pod is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    /// Waiting for a node.
    Pending,
    /// Bound, its image pulling or its container starting.
    Bound,
    /// Its container runs.
    Running,
    /// Deleted, within its grace period.
    Terminating,
    /// Finished, deleted or evicted.
    Gone,
}

impl PodState {
    /// Bound or Running: holding its node's resources and not on its way out.
    pub fn alive_on_node(self) -> bool {
        matches!(self, PodState::Bound | PodState::Running)
    }
}

/// A pod.
#[derive(Debug, Clone)]
pub struct Pod {
    /// What it asks for.
    pub spec: PodSpec,
    /// The Deployment that owns it.
    pub deployment: Option<usize>,
    /// It has a controller that recreates it when evicted (a Deployment's; in a cluster taken from
    /// a dump, true: what its owner references say is in `drain`).
    pub controlled: bool,
    /// Image (pods of one image share a node's pulled copy).
    pub image: String,
    /// Image size, bytes.
    pub image_bytes: u64,
    /// Grace period when deleted or evicted.
    pub grace: SimTime,
    /// How long it runs once started (`None`: until deleted or the end).
    pub duration: Option<SimTime>,
    /// Where it is in its life.
    pub state: PodState,
    /// The node it is bound to.
    pub node: Option<NodeKey>,
    /// It has failed scheduling at least once (its `PodScheduled` condition said
    /// `Unschedulable`): what node autoscalers act on.
    pub unschedulable: bool,
    /// Annotated `karpenter.sh/do-not-disrupt: "true"`.
    pub do_not_disrupt: bool,
    /// How cluster-autoscaler's drain rules treat it (pods read from a dump; the simulator's own
    /// pods are moved, or block when they have no controller).
    pub drain: crate::k8s::Drain,
    /// PodDisruptionBudgets selecting it.
    pub pdbs: Vec<usize>,
    /// Gang (job id, workers).
    pub gang: Option<(u64, u32)>,
    /// Priority (higher first in the scheduling queue).
    pub priority: i32,
    /// Checkpoint interval of a trace job.
    pub checkpoint: Option<SimTime>,
    /// The trace pod this one retries (itself for a first attempt).
    pub origin: PodKey,
    /// Attempts after the first (on the origin).
    pub retries: u32,
    /// The capacity epoch at which it last failed (retried only once capacity frees).
    pub(crate) failed_epoch: Option<u64>,
    /// It has been tried once (the allocation curve counts its demand then).
    pub(crate) tried: bool,
}

/// A node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its row in `nodes.csv` (name, pool, type, zone, prices, launch, Ready, termination).
    pub row: NodeRow,
    /// Who manages it.
    pub owner: Owner,
    /// What it joins the scheduler's view as.
    pub spec: NodeSpec,
    /// Spot or on-demand.
    pub capacity: CapacityType,
    /// Pods bound to it (terminating ones included).
    pub pods: BTreeSet<PodKey>,
    /// Since when it has had no pod (set when it joins and when its last pod leaves).
    pub empty_since: Option<SimTime>,
    /// Its launch, its join, or the last time a pod was bound to it or left it.
    pub last_change: SimTime,
    /// Pods bound to it so far.
    pub binds: u64,
    /// Cordoned and draining: out of the scheduler's view, terminated when its drain ends.
    pub draining: bool,
    /// Annotated `cluster-autoscaler.kubernetes.io/scale-down-disabled: "true"` (nodes read
    /// from a dump): cluster-autoscaler never removes it.
    pub scale_down_disabled: bool,
    /// Annotated `karpenter.sh/do-not-disrupt: "true"` (nodes read from a dump): Karpenter never
    /// disrupts it voluntarily.
    pub do_not_disrupt: bool,
    pub(crate) images: BTreeMap<String, SimTime>,
    pub(crate) grant: Grant,
    pub(crate) drain_reason: String,
}

impl Node {
    /// Its id in the scheduler's state, once it has joined.
    pub fn joined(&self) -> Option<NodeId> {
        self.row.id
    }
    /// Not terminated.
    pub fn live(&self) -> bool {
        self.row.terminated.is_none()
    }
}

/// A Deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Its spec.
    pub spec: DeploymentSpec,
    /// Every pod it created, in creation order.
    pub pods: Vec<PodKey>,
    pub(crate) next: u32,
    /// Deleted.
    pub deleted: bool,
}

/// The run's objects.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    pub(crate) pods: Vec<Pod>,
    pub(crate) recs: Vec<PodRecord>,
    pub(crate) pending: VecDeque<PodKey>,
    pub(crate) nodes: Vec<Node>,
    /// Live nodes per owner, in key order: index 0 static, `1 + i` controller `i`.
    pub(crate) live: Vec<Vec<NodeKey>>,
    /// Live nodes per (controller, group).
    pub(crate) group_sizes: BTreeMap<(usize, usize), u32>,
    /// Launched, not joined, not terminated.
    pub(crate) upcoming: BTreeSet<NodeKey>,
    pub(crate) by_core: BTreeMap<NodeId, NodeKey>,
    pub(crate) deployments: Vec<Deployment>,
    pub(crate) pdbs: Vec<Pdb>,
    pub(crate) generation: u64,
    pub(crate) n_static: usize,
}

impl Objects {
    /// Pod `p`.
    pub fn pod(&self, p: PodKey) -> &Pod {
        &self.pods[p]
    }
    /// Pod `p`'s record (created, scheduled, running times).
    pub fn record(&self, p: PodKey) -> &PodRecord {
        &self.recs[p]
    }
    /// Pods created so far.
    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }
    /// Node `n`.
    pub fn node(&self, n: NodeKey) -> &Node {
        &self.nodes[n]
    }
    /// Every node, terminated ones included, in key order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// Every live (not terminated) node: static ones, then each controller's.
    pub fn live_nodes(&self) -> impl Iterator<Item = NodeKey> + '_ {
        self.live.iter().flatten().copied()
    }
    /// Controller `index`'s live (not terminated) nodes, in key order.
    pub fn nodes_of(&self, index: usize) -> impl Iterator<Item = NodeKey> + '_ {
        self.live.get(1 + index).into_iter().flatten().copied()
    }
    /// Live nodes of controller `index`'s group `group`.
    pub fn group_size(&self, index: usize, group: usize) -> u32 {
        self.group_sizes.get(&(index, group)).copied().unwrap_or(0)
    }
    /// Node `n` is live and owned by `owner` (keys come in increasing order but for adoption).
    pub(crate) fn own(&mut self, owner: Owner, n: NodeKey) {
        let slot = match owner {
            Owner::Static => 0,
            Owner::Controller { index, group } => {
                *self.group_sizes.entry((index, group)).or_default() += 1;
                1 + index
            }
        };
        if self.live.len() <= slot {
            self.live.resize(slot + 1, Vec::new());
        }
        let v = &mut self.live[slot];
        match v.last() {
            Some(&last) if last > n => {
                let at = v.partition_point(|&k| k < n);
                v.insert(at, n);
            }
            _ => v.push(n),
        }
    }
    /// Node `n` is no longer live under `owner`.
    pub(crate) fn disown(&mut self, owner: Owner, n: NodeKey) {
        let slot = match owner {
            Owner::Static => 0,
            Owner::Controller { index, group } => {
                if let Some(c) = self.group_sizes.get_mut(&(index, group)) {
                    *c -= 1;
                }
                1 + index
            }
        };
        if let Some(v) = self.live.get_mut(slot) {
            if let Ok(at) = v.binary_search(&n) {
                v.remove(at);
            }
        }
    }
    /// The node a scheduler id belongs to.
    pub fn node_of(&self, id: NodeId) -> Option<NodeKey> {
        self.by_core.get(&id).copied()
    }
    /// Nodes launched and not yet joined (nor terminated), in key order: what a node autoscaler
    /// counts as on its way.
    pub fn upcoming(&self) -> impl Iterator<Item = NodeKey> + '_ {
        self.upcoming.iter().copied()
    }
    /// The pending queue, in its order.
    pub fn pending(&self) -> impl Iterator<Item = PodKey> + '_ {
        self.pending.iter().copied()
    }
    /// Pending pods that failed scheduling (what node autoscalers act on), in queue order.
    pub fn unschedulable(&self) -> impl Iterator<Item = PodKey> + '_ {
        self.pending.iter().copied().filter(|&p| self.pods[p].unschedulable)
    }
    /// Deployment `d`.
    pub fn deployment(&self, d: usize) -> &Deployment {
        &self.deployments[d]
    }
    /// The live Deployment named `name`.
    pub fn deployment_named(&self, name: &str) -> Option<usize> {
        self.deployments.iter().position(|d| d.spec.name == name && !d.deleted)
    }
    /// Deployment `d`'s pods that are pending, bound or running (its replicas).
    pub fn live_pods(&self, d: usize) -> Vec<PodKey> {
        self.deployments[d]
            .pods
            .iter()
            .copied()
            .filter(|&p| matches!(self.pods[p].state, PodState::Pending | PodState::Bound | PodState::Running))
            .collect()
    }
    /// A counter of changes to where pods run: binds, departures, nodes joining, draining or
    /// terminating. Unchanged, a decision on the cluster's packing would decide the same.
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// The PodDisruptionBudgets.
    pub fn pdbs(&self) -> &[Pdb] {
        &self.pdbs
    }

    /// Evictions each PodDisruptionBudget allows now: expected pods are its selected pods that
    /// are pending, bound or running, healthy ones those running.
    pub fn pdb_allowed(&self) -> Vec<u32> {
        let mut expected = vec![0u32; self.pdbs.len()];
        let mut healthy = vec![0u32; self.pdbs.len()];
        if self.pdbs.is_empty() {
            return Vec::new();
        }
        for p in &self.pods {
            for &b in &p.pdbs {
                match p.state {
                    PodState::Running => {
                        expected[b] += 1;
                        healthy[b] += 1;
                    }
                    PodState::Pending | PodState::Bound => expected[b] += 1,
                    _ => {}
                }
            }
        }
        (0..self.pdbs.len()).map(|b| self.pdbs[b].allowed(expected[b], healthy[b])).collect()
    }

    /// Whether evicting the running pods of `nodes` stays within `allowed` (from
    /// [`Objects::pdb_allowed`]).
    pub fn pdbs_permit(&self, nodes: &[NodeKey], allowed: &[u32]) -> bool {
        if allowed.is_empty() {
            return true;
        }
        let mut take = vec![0u32; allowed.len()];
        for &n in nodes {
            for &p in &self.nodes[n].pods {
                if self.pods[p].state == PodState::Running {
                    for &b in &self.pods[p].pdbs {
                        take[b] += 1;
                    }
                }
            }
        }
        take.iter().zip(allowed).all(|(t, a)| t <= a)
    }

    /// How long draining node `n` takes: the longest grace period of its pods (terminating
    /// ones included), capped by `cap`.
    pub fn drain_time(&self, n: NodeKey, cap: Option<SimTime>) -> SimTime {
        let grace = self.nodes[n].pods.iter().map(|&p| self.pods[p].grace).max().unwrap_or(SimTime::ZERO);
        cap.map_or(grace, |c| grace.min(c))
    }

    /// Pods a drain or termination of node `n` would evict (bound or running, not terminating).
    pub fn evictable(&self, n: NodeKey) -> u64 {
        self.nodes[n].pods.iter().filter(|&&p| self.pods[p].state.alive_on_node()).count() as u64
    }

    /// Adds every upcoming node to `c` (a fork) as `upcoming/NAME`, as node autoscalers count
    /// nodes on their way before asking for more.
    pub fn add_upcoming(&self, c: &mut crate::core::ClusterState) -> Result<(), crate::core::StateError> {
        for n in self.upcoming() {
            let node = &self.nodes[n];
            c.add_node(&NodeSpec { name: format!("upcoming/{}", node.row.name), ..node.spec.clone() })?;
        }
        Ok(())
    }
}
