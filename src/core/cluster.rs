//! The cluster state: nodes, bound pods, an index of node *classes*, and fork/revert.
//!
//! # The class index
//! Two nodes of the same template (capacity, GPU model, labels, taints) whose free CPU, free memory
//! and multiset of per-GPU free milli-GPU are equal are interchangeable for every placement policy:
//! each policy scores them alike and breaks the tie on the lower node id. The state keeps nodes
//! grouped by that [`ClassKey`] in a `BTreeMap`, so a policy scores each class once instead of every
//! node: a placement costs at most `O(C)` for `C` distinct classes (tens on an empty cluster,
//! thousands on a busy 10^4-node one) instead of `O(N)`, and usually far less: the key's order
//! makes the classes that can hold a GPU request one range (see [`ClassKey`]). Binding moves one
//! node between two classes in `O(log C)`.
//!
//! Policies that look at more than resources (the `gpu-clustering` policy looks at which kinds of
//! GPU request a node already runs) ask for that to be part of the key via
//! [`ClusterOptions::class_by_gpu_tags`].
//!
//! # Fork and revert
//! [`ClusterState::fork`] starts recording an undo log; [`ClusterState::revert`] undoes every
//! change since the matching fork. [`ClusterState::what_if`] wraps the two so a what-if packing
//! (autoscaler estimation) can never forget to revert.

use super::model::{template_admits, GpuRequest, NodeId, NodeSpec, NodeTemplate, PodId, PodSpec, Unfit, MILLI_PER_GPU};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// Index of an interned [`NodeTemplate`].
pub type TemplateId = u32;

/// Options fixed for the life of a cluster state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterOptions {
    /// Include the set of GPU-request tags of a node's pods in its class key.
    pub class_by_gpu_tags: bool,
}

/// What makes two nodes interchangeable for placement.
///
/// The key orders first by idle GPUs, then by the largest free share on one GPU, so the classes
/// that can hold a GPU request form one contiguous range of the index (see
/// [`ClusterState::classes_for`]): a whole-GPU pod asking for `k` GPUs starts at `idle = k`, a
/// shared pod asking for `m` milli starts at `(idle 0, max_free m)` (a node with an idle GPU
/// always has `max_free = 1000`). Classes full on GPU are never visited by GPU pods.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassKey {
    /// Number of fully idle GPUs.
    pub idle: u32,
    /// The largest free milli-GPU on one GPU (0 without GPUs).
    pub max_free: u32,
    /// Template.
    pub template: TemplateId,
    /// Free CPU (milli).
    pub free_cpu: u64,
    /// Free memory (MiB).
    pub free_mem: u64,
    /// Free milli-GPU of each GPU, sorted ascending.
    pub gpu_free: Vec<u32>,
    /// Sorted distinct GPU-request tags of the pods on the node (empty unless
    /// [`ClusterOptions::class_by_gpu_tags`]).
    pub gpu_tags: Vec<u32>,
    /// GPU-sharing nodes: the memory units each GPU can still hand out, sorted ascending (0 for
    /// a GPU at its pod limit); `None` for other nodes. Sharing nodes have an empty `gpu_free`,
    /// `idle` and `max_free` 0: to the milli-GPU policies they are CPU nodes. Boxed so the field
    /// costs one word in every key: best-fit placement (`benches/placement.rs`) took 395 ms
    /// without the field, 436 ms with a plain `Vec`, 418 ms boxed (one session, same machine).
    #[allow(clippy::box_collection)]
    pub gpu_mem_free: Option<Box<Vec<u32>>>,
}

impl ClassKey {
    /// Total free milli-GPU.
    pub fn gpu_free_total(&self) -> u64 {
        self.gpu_free.iter().map(|&g| g as u64).sum()
    }
    /// Number of fully idle GPUs.
    pub fn idle_gpus(&self) -> u32 {
        self.idle
    }

    /// The smallest key of a class whose GPUs can hold `gpu` (see the type's docs).
    fn lower_bound(gpu: GpuRequest) -> ClassKey {
        let (idle, max_free) = match gpu {
            GpuRequest::None => (0, 0),
            GpuRequest::Shared { milli } => (0, milli),
            GpuRequest::Whole { count } => (count, 0),
            // Placed by ClusterState::place_gpu_memory, never from a policy's range.
            GpuRequest::Memory { .. } => (u32::MAX, u32::MAX),
        };
        ClassKey::prefix(idle, max_free, 0)
    }
    /// The first key after `self` with the same GPU state and template and at least `cpu` free
    /// CPU (classes between have too little CPU).
    pub fn seek_cpu(&self, cpu: u64) -> ClassKey {
        ClassKey { free_cpu: cpu, ..ClassKey::prefix(self.idle, self.max_free, self.template) }
    }

    /// The first key after every class with `self`'s GPU state and template.
    pub fn seek_next_template(&self) -> ClassKey {
        ClassKey::prefix(self.idle, self.max_free, self.template + 1)
    }

    fn prefix(idle: u32, max_free: u32, template: TemplateId) -> ClassKey {
        ClassKey {
            idle,
            max_free,
            template,
            free_cpu: 0,
            free_mem: 0,
            gpu_free: Vec::new(),
            gpu_tags: Vec::new(),
            gpu_mem_free: None,
        }
    }

    /// Whether the free resources (not the template constraints) can hold `pod`.
    pub fn resources_fit(&self, pod: &PodSpec) -> bool {
        if pod.cpu_milli > self.free_cpu || pod.memory_mib > self.free_mem {
            return false;
        }
        match pod.gpu {
            GpuRequest::None => true,
            GpuRequest::Shared { milli } => self.max_free >= milli,
            GpuRequest::Whole { count } => self.idle >= count,
            GpuRequest::Memory { units } => {
                self.gpu_mem_free.as_ref().and_then(|v| v.last()).is_some_and(|&m| m >= units)
            }
        }
    }
}

/// A scan over the class index in key order.
pub type ClassRange<'a> = std::collections::btree_map::Range<'a, ClassKey, ClassEntry>;

/// A group of interchangeable nodes.
#[derive(Debug, Clone)]
pub struct ClassEntry {
    /// An id unique over the life of the state (never reused), for policies' memo tables.
    pub uid: u64,
    /// The nodes in the class.
    pub nodes: BTreeSet<NodeId>,
}

/// The GPU part of a placement decided on a class, turned into GPU indices on a node by
/// [`ClusterState::concretize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GpuChoice {
    /// The pod uses no GPU.
    None,
    /// Share the lowest-index GPU whose free milli-GPU equals this value.
    SharedOn(u32),
    /// Take the lowest-index idle GPUs.
    Whole(u32),
}

/// A decision: which node and which GPUs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Placement {
    /// The node.
    pub node: NodeId,
    /// GPU indices on the node: one for a shared pod, `count` for a whole-GPU pod.
    pub gpus: Vec<u8>,
}

/// A node as the state holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeState {
    /// Name.
    pub name: String,
    /// Template.
    pub template: TemplateId,
    /// Free CPU (milli).
    pub free_cpu: u64,
    /// Free memory (MiB).
    pub free_mem: u64,
    /// Free milli-GPU per GPU, by GPU index (empty on GPU-sharing nodes).
    pub gpu_free: Vec<u32>,
    /// GPU-sharing nodes: free memory units per GPU, by GPU index (else empty).
    pub gpu_mem_free: Vec<u32>,
    /// GPU-sharing nodes: pods per GPU, by GPU index (else empty).
    pub gpu_pods: Vec<u32>,
    /// Pods bound here.
    pub pods: u32,
    /// GPU-request tag -> number of pods with it.
    pub tags: BTreeMap<u32, u32>,
}

/// A bound pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The node.
    pub node: NodeId,
    /// (GPU index, milli-GPU taken; memory units on a GPU-sharing node).
    pub gpus: Vec<(u8, u32)>,
    /// Milli-GPU it counts for in the totals (see [`super::GpuShare`] for GPU-memory pods).
    pub gpu_milli: u64,
    /// CPU taken.
    pub cpu_milli: u64,
    /// Memory taken.
    pub memory_mib: u64,
    /// The pod's GPU-request tag.
    pub tag: u32,
}

/// Why a change to the state was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// No such node (never added, or removed).
    UnknownNode(NodeId),
    /// The pod id is already bound.
    AlreadyBound(PodId),
    /// The pod id is not bound.
    NotBound(PodId),
    /// The placement does not fit the node.
    DoesNotFit(Unfit),
    /// The GPU indices in the placement do not match the request.
    BadGpus(String),
    /// The node still has pods.
    NodeNotEmpty(NodeId),
    /// A node name is used twice.
    DuplicateName(String),
    /// `revert` without a matching `fork`.
    NotForked,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::UnknownNode(n) => write!(f, "unknown node id {n}"),
            StateError::AlreadyBound(p) => write!(f, "pod {p} is already bound"),
            StateError::NotBound(p) => write!(f, "pod {p} is not bound"),
            StateError::DoesNotFit(u) => write!(f, "placement does not fit: {u}"),
            StateError::BadGpus(s) => write!(f, "bad GPU indices: {s}"),
            StateError::NodeNotEmpty(n) => write!(f, "node {n} still runs pods"),
            StateError::DuplicateName(s) => write!(f, "node name `{s}` is used twice"),
            StateError::NotForked => write!(f, "revert without fork"),
        }
    }
}

impl std::error::Error for StateError {}

/// A fork point returned by [`ClusterState::fork`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a fork must be reverted or committed"]
pub struct Checkpoint(usize);

#[derive(Debug, Clone)]
enum Undo {
    Bind(PodId),
    Unbind(PodId, Binding),
    AddNode(NodeId),
    RemoveNode(NodeId, NodeState),
    Intern(TemplateId),
}

/// Cluster-wide totals, kept up to date on every change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Nodes present.
    pub nodes: u64,
    /// CPU capacity (milli).
    pub cpu_capacity: u64,
    /// CPU allocated (milli).
    pub cpu_allocated: u64,
    /// Memory capacity (MiB).
    pub mem_capacity: u64,
    /// Memory allocated (MiB).
    pub mem_allocated: u64,
    /// GPUs present.
    pub gpus: u64,
    /// Milli-GPU allocated.
    pub gpu_milli_allocated: u64,
    /// Pods bound.
    pub pods: u64,
}

/// Nodes, bound pods and the class index. See the module docs.
#[derive(Debug, Clone)]
pub struct ClusterState {
    opts: ClusterOptions,
    templates: Vec<NodeTemplate>,
    template_ids: BTreeMap<NodeTemplate, TemplateId>,
    nodes: Vec<Option<NodeState>>,
    names: BTreeMap<String, NodeId>,
    bindings: HashMap<PodId, Binding>,
    classes: BTreeMap<ClassKey, ClassEntry>,
    next_uid: u64,
    totals: Totals,
    undo: Vec<Undo>,
    forks: usize,
    capacity_epoch: u64,
}

impl PartialEq for ClusterState {
    /// Semantic equality: nodes, bindings, templates, totals and the class index's keys and
    /// members. Class `uid`s are cache identifiers, not state, and are not compared.
    fn eq(&self, other: &Self) -> bool {
        self.opts == other.opts
            && self.templates == other.templates
            && self.template_ids == other.template_ids
            && self.nodes == other.nodes
            && self.names == other.names
            && self.bindings == other.bindings
            && self.totals == other.totals
            && self.classes.len() == other.classes.len()
            && self.classes.iter().zip(other.classes.iter()).all(|((ka, a), (kb, b))| ka == kb && a.nodes == b.nodes)
    }
}

impl Default for ClusterState {
    fn default() -> Self {
        Self::new(ClusterOptions::default())
    }
}

impl ClusterState {
    /// An empty cluster.
    pub fn new(opts: ClusterOptions) -> Self {
        ClusterState {
            opts,
            templates: Vec::new(),
            template_ids: BTreeMap::new(),
            nodes: Vec::new(),
            names: BTreeMap::new(),
            bindings: HashMap::new(),
            classes: BTreeMap::new(),
            next_uid: 0,
            totals: Totals::default(),
            undo: Vec::new(),
            forks: 0,
            capacity_epoch: 0,
        }
    }

    /// The options the state was built with.
    pub fn options(&self) -> ClusterOptions {
        self.opts
    }

    /// Cluster-wide totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// A counter bumped whenever free capacity may have grown (a node added or restored, a pod
    /// unbound). Between two bumps resources are only taken, so a pod that fit nowhere still fits
    /// nowhere: schedulers use this to skip hopeless retries. Not part of the state's equality.
    pub fn capacity_epoch(&self) -> u64 {
        self.capacity_epoch
    }

    /// All templates, by id.
    pub fn templates(&self) -> &[NodeTemplate] {
        &self.templates
    }

    /// A template.
    pub fn template(&self, id: TemplateId) -> &NodeTemplate {
        &self.templates[id as usize]
    }

    /// A node, if present.
    pub fn node(&self, id: NodeId) -> Option<&NodeState> {
        self.nodes.get(id as usize).and_then(Option::as_ref)
    }

    /// Looks a node up by name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.names.get(name).copied()
    }

    /// Present nodes in id order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeState)> {
        self.nodes.iter().enumerate().filter_map(|(i, n)| n.as_ref().map(|n| (i as NodeId, n)))
    }

    /// Upper bound (exclusive) of node ids handed out so far.
    pub fn node_id_bound(&self) -> NodeId {
        self.nodes.len() as NodeId
    }

    /// The binding of a pod.
    pub fn binding(&self, pod: PodId) -> Option<&Binding> {
        self.bindings.get(&pod)
    }

    /// The class index in key order.
    pub fn classes(&self) -> impl Iterator<Item = (&ClassKey, &ClassEntry)> {
        self.classes.iter()
    }

    /// The classes whose free GPUs could hold `gpu`, in key order: a range of the index, so
    /// `O(log C + R)` for `R` classes returned. CPU, memory and template constraints are not
    /// checked here.
    pub fn classes_for(&self, gpu: GpuRequest) -> ClassRange<'_> {
        self.classes.range(ClassKey::lower_bound(gpu)..)
    }

    /// The classes from `key` on, in key order: lets a scan seek past a run of classes it knows
    /// cannot fit (see [`ClassKey::seek_cpu`] and [`ClassKey::seek_next_template`]).
    pub fn classes_from(&self, key: &ClassKey) -> ClassRange<'_> {
        self.classes.range(key..)
    }

    /// Number of distinct classes.
    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    fn class_key(&self, n: &NodeState) -> ClassKey {
        let mut gpu_free = n.gpu_free.clone();
        gpu_free.sort_unstable();
        let gpu_mem_free = if n.gpu_mem_free.is_empty() { None } else { Some(Box::new(self.mem_key(n))) };
        ClassKey {
            idle: gpu_free.iter().filter(|&&g| g == MILLI_PER_GPU).count() as u32,
            max_free: gpu_free.last().copied().unwrap_or(0),
            template: n.template,
            free_cpu: n.free_cpu,
            free_mem: n.free_mem,
            gpu_free,
            gpu_tags: if self.opts.class_by_gpu_tags { n.tags.keys().copied().collect() } else { Vec::new() },
            gpu_mem_free,
        }
    }

    /// A sharing node's GPUs for its class key: free memory units, 0 for a GPU at its pod limit,
    /// sorted.
    fn mem_key(&self, n: &NodeState) -> Vec<u32> {
        let cap = self.templates[n.template as usize].gpu_share.map_or(0, |s| s.max_pods_per_gpu);
        let mut v: Vec<u32> =
            n.gpu_mem_free.iter().zip(&n.gpu_pods).map(|(&m, &p)| if cap > 0 && p >= cap { 0 } else { m }).collect();
        v.sort_unstable();
        v
    }

    fn class_insert(&mut self, id: NodeId) {
        let key = self.class_key(self.nodes[id as usize].as_ref().expect("present"));
        let uid = &mut self.next_uid;
        self.classes
            .entry(key)
            .or_insert_with(|| {
                *uid += 1;
                ClassEntry { uid: *uid, nodes: BTreeSet::new() }
            })
            .nodes
            .insert(id);
    }

    fn class_remove(&mut self, id: NodeId) {
        let key = self.class_key(self.nodes[id as usize].as_ref().expect("present"));
        if let Some(e) = self.classes.get_mut(&key) {
            e.nodes.remove(&id);
            if e.nodes.is_empty() {
                self.classes.remove(&key);
            }
        }
    }

    fn intern(&mut self, t: NodeTemplate) -> TemplateId {
        if let Some(&id) = self.template_ids.get(&t) {
            return id;
        }
        let id = self.templates.len() as TemplateId;
        self.templates.push(t.clone());
        self.template_ids.insert(t, id);
        if self.forks > 0 {
            self.undo.push(Undo::Intern(id));
        }
        id
    }

    /// Adds an empty node; returns its id.
    pub fn add_node(&mut self, spec: &NodeSpec) -> Result<NodeId, StateError> {
        if self.names.contains_key(&spec.name) {
            return Err(StateError::DuplicateName(spec.name.clone()));
        }
        let template = self.intern(NodeTemplate::of(spec));
        let id = self.nodes.len() as NodeId;
        let (milli, units) = match spec.gpu_share {
            None => (spec.gpu_count, 0),
            Some(_) => (0, spec.gpu_count),
        };
        self.nodes.push(Some(NodeState {
            name: spec.name.clone(),
            template,
            free_cpu: spec.cpu_milli,
            free_mem: spec.memory_mib,
            gpu_free: vec![MILLI_PER_GPU; milli as usize],
            gpu_mem_free: vec![spec.gpu_share.map_or(0, |s| s.units_per_gpu); units as usize],
            gpu_pods: vec![0; units as usize],
            pods: 0,
            tags: BTreeMap::new(),
        }));
        self.names.insert(spec.name.clone(), id);
        self.account_capacity(template, true);
        self.class_insert(id);
        self.capacity_epoch += 1;
        if self.forks > 0 {
            self.undo.push(Undo::AddNode(id));
        }
        Ok(id)
    }

    /// Removes an empty node.
    pub fn remove_node(&mut self, id: NodeId) -> Result<(), StateError> {
        let n = self.node(id).ok_or(StateError::UnknownNode(id))?;
        if n.pods > 0 {
            return Err(StateError::NodeNotEmpty(id));
        }
        self.class_remove(id);
        let n = self.nodes[id as usize].take().expect("present");
        self.account_capacity(n.template, false);
        self.names.remove(&n.name);
        if self.forks > 0 {
            self.undo.push(Undo::RemoveNode(id, n));
        }
        Ok(())
    }

    /// Adds (or removes) one node of `template` to (from) the capacity totals.
    fn account_capacity(&mut self, template: TemplateId, add: bool) {
        let t = &self.templates[template as usize];
        let (cpu, mem, gpus) = (t.cpu_milli, t.memory_mib, t.gpu_count as u64);
        let tot = &mut self.totals;
        if add {
            tot.nodes += 1;
            tot.cpu_capacity += cpu;
            tot.mem_capacity += mem;
            tot.gpus += gpus;
        } else {
            tot.nodes -= 1;
            tot.cpu_capacity -= cpu;
            tot.mem_capacity -= mem;
            tot.gpus -= gpus;
        }
    }

    fn restore_node(&mut self, id: NodeId, n: NodeState) {
        self.account_capacity(n.template, true);
        self.names.insert(n.name.clone(), id);
        self.nodes[id as usize] = Some(n);
        self.class_insert(id);
        self.capacity_epoch += 1;
    }

    /// Whether `pod` fits `node` now (template constraints and free resources).
    pub fn fits(&self, node: NodeId, pod: &PodSpec) -> Result<(), Unfit> {
        let n = self.node(node).ok_or(Unfit::Cpu)?;
        template_admits(&self.templates[n.template as usize], pod)?;
        if pod.cpu_milli > n.free_cpu {
            return Err(Unfit::Cpu);
        }
        if pod.memory_mib > n.free_mem {
            return Err(Unfit::Memory);
        }
        let ok = match pod.gpu {
            GpuRequest::None => true,
            GpuRequest::Shared { milli } => n.gpu_free.iter().any(|&g| g >= milli),
            GpuRequest::Whole { count } => n.gpu_free.iter().filter(|&&g| g == MILLI_PER_GPU).count() as u32 >= count,
            GpuRequest::Memory { units } => (0..n.gpu_mem_free.len()).any(|g| self.gpu_mem_fits(n, g, units)),
        };
        match (ok, pod.gpu) {
            (true, _) => Ok(()),
            (false, GpuRequest::Memory { .. }) => Err(Unfit::GpuMemory),
            (false, _) => Err(Unfit::Gpu),
        }
    }

    /// Whether GPU `g` of sharing node `n` can take `units` more (memory, and the pod limit).
    fn gpu_mem_fits(&self, n: &NodeState, g: usize, units: u32) -> bool {
        let cap = self.templates[n.template as usize].gpu_share.map_or(0, |s| s.max_pods_per_gpu);
        n.gpu_mem_free.get(g).is_some_and(|&m| m >= units) && (cap == 0 || n.gpu_pods[g] < cap)
    }

    /// Where a GPU-memory pod ([`GpuRequest::Memory`]) goes: over the GPU-sharing nodes that
    /// admit it, the GPU left with the least free memory after it (binpack, ACK's default) or the
    /// most (nodes whose [`super::GpuShare`] says spread); ties to the lowest node id, then the
    /// lowest GPU index. `None` when no GPU can take it, or for any other request.
    /// `O(classes + nodes in the best class)`; nodes of one class are interchangeable, so only
    /// the first of each is weighed.
    pub fn place_gpu_memory(&self, pod: &PodSpec) -> Option<Placement> {
        let GpuRequest::Memory { units } = pod.gpu else { return None };
        let mut admits: Vec<Option<bool>> = vec![None; self.templates.len()];
        let mut best: Option<(u64, NodeId, usize)> = None;
        for (key, entry) in &self.classes {
            if !key.resources_fit(pod) {
                continue;
            }
            let t = key.template as usize;
            if !*admits[t].get_or_insert_with(|| template_admits(&self.templates[t], pod).is_ok()) {
                continue;
            }
            let spread = self.templates[t].gpu_share.is_some_and(|s| s.spread);
            let Some((node, n)) = entry.nodes.first().and_then(|&id| Some((id, self.node(id)?))) else { continue };
            for g in 0..n.gpu_mem_free.len() {
                if !self.gpu_mem_fits(n, g, units) {
                    continue;
                }
                let left = (n.gpu_mem_free[g] - units) as u64;
                let score = if spread { u64::MAX - left } else { left };
                if best.is_none_or(|(s, bn, bg)| (score, node, g) < (s, bn, bg)) {
                    best = Some((score, node, g));
                }
            }
        }
        best.map(|(_, node, g)| Placement { node, gpus: vec![g as u8] })
    }

    /// Turns a class-level GPU choice into GPU indices on `node` (lowest index first).
    pub fn concretize(&self, node: NodeId, choice: GpuChoice) -> Placement {
        let gpus = match (self.node(node), choice) {
            (Some(n), GpuChoice::SharedOn(v)) => {
                n.gpu_free.iter().position(|&g| g == v).map(|i| vec![i as u8]).unwrap_or_default()
            }
            (Some(n), GpuChoice::Whole(count)) => n
                .gpu_free
                .iter()
                .enumerate()
                .filter(|(_, &g)| g == MILLI_PER_GPU)
                .take(count as usize)
                .map(|(i, _)| i as u8)
                .collect(),
            _ => Vec::new(),
        };
        Placement { node, gpus }
    }

    /// Binds a pod according to a placement; checks that it fits.
    pub fn bind(&mut self, pod_id: PodId, pod: &PodSpec, placement: &Placement) -> Result<(), StateError> {
        if self.bindings.contains_key(&pod_id) {
            return Err(StateError::AlreadyBound(pod_id));
        }
        self.fits(placement.node, pod).map_err(StateError::DoesNotFit)?;
        let n = self.node(placement.node).ok_or(StateError::UnknownNode(placement.node))?;
        let per = pod.gpu.per_gpu_milli();
        let share = self.templates[n.template as usize].gpu_share;
        let slots = if share.is_some() { &n.gpu_mem_free } else { &n.gpu_free };
        if placement.gpus.len() as u32 != pod.gpu.gpus() {
            return Err(StateError::BadGpus(format!(
                "{} indices for a request of {} GPUs",
                placement.gpus.len(),
                pod.gpu.gpus()
            )));
        }
        let mut seen = 0u64;
        for &g in &placement.gpus {
            let free = *slots.get(g as usize).ok_or_else(|| StateError::BadGpus(format!("no GPU {g}")))?;
            if free < per || seen & (1 << (g % 64)) != 0 || (share.is_some() && !self.gpu_mem_fits(n, g as usize, per))
            {
                return Err(StateError::BadGpus(format!("GPU {g} has {free} milli free, or is used twice")));
            }
            seen |= 1 << (g % 64);
        }
        let binding = Binding {
            node: placement.node,
            gpus: placement.gpus.iter().map(|&g| (g, per)).collect(),
            gpu_milli: match share {
                Some(s) => per as u64 * MILLI_PER_GPU as u64 / s.units_per_gpu.max(1) as u64,
                None => per as u64 * placement.gpus.len() as u64,
            },
            cpu_milli: pod.cpu_milli,
            memory_mib: pod.memory_mib,
            tag: pod.gpu.tag(),
        };
        self.apply_bind(pod_id, binding);
        if self.forks > 0 {
            self.undo.push(Undo::Bind(pod_id));
        }
        Ok(())
    }

    fn apply_bind(&mut self, pod_id: PodId, b: Binding) {
        self.class_remove(b.node);
        let n = self.nodes[b.node as usize].as_mut().expect("checked");
        n.free_cpu -= b.cpu_milli;
        n.free_mem -= b.memory_mib;
        for &(g, m) in &b.gpus {
            if n.gpu_mem_free.is_empty() {
                n.gpu_free[g as usize] -= m;
            } else {
                n.gpu_mem_free[g as usize] -= m;
                n.gpu_pods[g as usize] += 1;
            }
        }
        n.pods += 1;
        if b.tag != 0 {
            *n.tags.entry(b.tag).or_insert(0) += 1;
        }
        self.totals.cpu_allocated += b.cpu_milli;
        self.totals.mem_allocated += b.memory_mib;
        self.totals.gpu_milli_allocated += b.gpu_milli;
        self.totals.pods += 1;
        let node = b.node;
        self.bindings.insert(pod_id, b);
        self.class_insert(node);
    }

    /// Unbinds a pod, freeing its resources; returns its former binding.
    pub fn unbind(&mut self, pod_id: PodId) -> Result<Binding, StateError> {
        let b = self.bindings.remove(&pod_id).ok_or(StateError::NotBound(pod_id))?;
        self.apply_unbind(&b);
        if self.forks > 0 {
            self.undo.push(Undo::Unbind(pod_id, b.clone()));
        }
        Ok(b)
    }

    fn apply_unbind(&mut self, b: &Binding) {
        self.class_remove(b.node);
        let n = self.nodes[b.node as usize].as_mut().expect("bound pods sit on present nodes");
        n.free_cpu += b.cpu_milli;
        n.free_mem += b.memory_mib;
        for &(g, m) in &b.gpus {
            if n.gpu_mem_free.is_empty() {
                n.gpu_free[g as usize] += m;
            } else {
                n.gpu_mem_free[g as usize] += m;
                n.gpu_pods[g as usize] -= 1;
            }
        }
        n.pods -= 1;
        if b.tag != 0 {
            if let Some(c) = n.tags.get_mut(&b.tag) {
                *c -= 1;
                if *c == 0 {
                    n.tags.remove(&b.tag);
                }
            }
        }
        self.totals.cpu_allocated -= b.cpu_milli;
        self.totals.mem_allocated -= b.memory_mib;
        self.totals.gpu_milli_allocated -= b.gpu_milli;
        self.totals.pods -= 1;
        self.class_insert(b.node);
        self.capacity_epoch += 1;
    }

    /// Starts recording changes; every change until the matching [`revert`](Self::revert) or
    /// [`commit`](Self::commit) can be undone. Forks nest.
    pub fn fork(&mut self) -> Checkpoint {
        self.forks += 1;
        Checkpoint(self.undo.len())
    }

    /// Undoes every change since `cp` and closes that fork.
    pub fn revert(&mut self, cp: Checkpoint) -> Result<(), StateError> {
        if self.forks == 0 || cp.0 > self.undo.len() {
            return Err(StateError::NotForked);
        }
        while self.undo.len() > cp.0 {
            match self.undo.pop().expect("len checked") {
                Undo::Bind(p) => {
                    let b = self.bindings.remove(&p).expect("recorded bind");
                    self.apply_unbind(&b);
                }
                Undo::Unbind(p, b) => self.apply_bind(p, b),
                Undo::AddNode(id) => {
                    self.class_remove(id);
                    let n = self.nodes[id as usize].take().expect("recorded add");
                    self.account_capacity(n.template, false);
                    self.names.remove(&n.name);
                    // Undo is LIFO and nodes are only ever appended, so `id` is the last slot.
                    self.nodes.pop();
                }
                Undo::RemoveNode(id, n) => self.restore_node(id, n),
                Undo::Intern(id) => {
                    // Templates are only appended: `id` is the last one.
                    if let Some(t) = self.templates.pop() {
                        debug_assert_eq!(self.template_ids.get(&t), Some(&id));
                        self.template_ids.remove(&t);
                    }
                }
            }
        }
        self.close_fork();
        Ok(())
    }

    /// Keeps every change since `cp` and closes that fork.
    pub fn commit(&mut self, cp: Checkpoint) {
        let _ = cp;
        self.close_fork();
    }

    fn close_fork(&mut self) {
        self.forks -= 1;
        if self.forks == 0 {
            self.undo.clear();
        }
    }

    /// Runs `f` on a fork of the state and always reverts it: the one way what-if packing should
    /// touch a live state.
    pub fn what_if<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let cp = self.fork();
        let r = f(self);
        self.revert(cp).expect("fork taken above");
        r
    }

    /// Why `pod` fits no node now: the reason shared by the most nodes, or `None` if it fits one.
    /// `O(templates + classes)`.
    pub fn unfit_reason(&self, pod: &PodSpec) -> Option<Unfit> {
        if self.classes.is_empty() {
            return Some(Unfit::Cpu);
        }
        let mut counts: BTreeMap<Unfit, usize> = BTreeMap::new();
        for (key, entry) in &self.classes {
            let r = match template_admits(&self.templates[key.template as usize], pod) {
                Err(u) => u,
                Ok(()) if key.resources_fit(pod) => return None,
                Ok(()) if pod.cpu_milli > key.free_cpu => Unfit::Cpu,
                Ok(()) if pod.memory_mib > key.free_mem => Unfit::Memory,
                Ok(()) if matches!(pod.gpu, GpuRequest::Memory { .. }) => Unfit::GpuMemory,
                Ok(()) => Unfit::Gpu,
            };
            *counts.entry(r).or_insert(0) += entry.nodes.len();
        }
        counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(u, _)| u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn node(name: &str, cpu: u64, gpus: u32, model: &str) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            cpu_milli: cpu,
            memory_mib: 1 << 20,
            gpu_count: gpus,
            gpu_model: if gpus > 0 { Some(model.into()) } else { None },
            ..Default::default()
        }
    }

    pub(crate) fn pod(cpu: u64, gpu: GpuRequest) -> PodSpec {
        PodSpec { name: "p".into(), cpu_milli: cpu, memory_mib: 1024, gpu, ..Default::default() }
    }

    #[test]
    fn classes_group_interchangeable_nodes() {
        let mut c = ClusterState::default();
        for i in 0..4 {
            c.add_node(&node(&format!("n{i}"), 32000, 2, "V100M16")).unwrap();
        }
        c.add_node(&node("cpu", 32000, 0, "")).unwrap();
        assert_eq!(c.class_count(), 2);
        let p = pod(1000, GpuRequest::Shared { milli: 500 });
        c.bind(1, &p, &c.concretize(2, GpuChoice::SharedOn(1000))).unwrap();
        assert_eq!(c.class_count(), 3);
        assert_eq!(c.node(2).unwrap().gpu_free, vec![500, 1000]);
        // The same share on another node's *second* GPU lands in the same class: keys sort GPUs.
        c.bind(2, &p, &Placement { node: 3, gpus: vec![1] }).unwrap();
        assert_eq!(c.class_count(), 3);
        assert_eq!(c.totals().gpu_milli_allocated, 1000);
        assert!(c.bind(2, &p, &Placement { node: 0, gpus: vec![0] }).is_err(), "double bind");
        c.unbind(1).unwrap();
        c.unbind(2).unwrap();
        assert_eq!(c.class_count(), 2);
        assert_eq!(c.totals().pods, 0);
    }

    #[test]
    fn bind_rejects_overcommit_and_bad_gpus() {
        let mut c = ClusterState::default();
        c.add_node(&node("a", 4000, 2, "T4")).unwrap();
        let big = pod(8000, GpuRequest::None);
        assert_eq!(c.bind(1, &big, &Placement { node: 0, gpus: vec![] }), Err(StateError::DoesNotFit(Unfit::Cpu)));
        let two = pod(100, GpuRequest::Whole { count: 2 });
        assert!(matches!(c.bind(1, &two, &Placement { node: 0, gpus: vec![0, 0] }), Err(StateError::BadGpus(_))));
        assert!(matches!(c.bind(1, &two, &Placement { node: 0, gpus: vec![0] }), Err(StateError::BadGpus(_))));
        c.bind(1, &two, &Placement { node: 0, gpus: vec![0, 1] }).unwrap();
        let one = pod(100, GpuRequest::Shared { milli: 1 });
        assert_eq!(c.fits(0, &one), Err(Unfit::Gpu));
        assert!(c.remove_node(0).is_err());
    }

    #[test]
    fn fork_revert_restores_exactly() {
        let mut c = ClusterState::default();
        for i in 0..3 {
            c.add_node(&node(&format!("n{i}"), 16000, 4, "A10")).unwrap();
        }
        let p = pod(2000, GpuRequest::Shared { milli: 300 });
        c.bind(10, &p, &c.concretize(0, GpuChoice::SharedOn(1000))).unwrap();
        let before = c.clone();
        let cp = c.fork();
        c.bind(11, &p, &c.concretize(1, GpuChoice::SharedOn(1000))).unwrap();
        c.unbind(10).unwrap();
        let extra = c.add_node(&node("new", 8000, 1, "A10")).unwrap();
        c.bind(12, &pod(100, GpuRequest::Whole { count: 1 }), &c.concretize(extra, GpuChoice::Whole(1))).unwrap();
        c.unbind(12).unwrap();
        c.remove_node(extra).unwrap();
        c.remove_node(2).unwrap();
        assert_ne!(c, before);
        c.revert(cp).unwrap();
        assert_eq!(c, before);
        assert!(c.revert(cp).is_err());
        let n = c.what_if(|s| {
            s.bind(20, &p, &s.concretize(2, GpuChoice::SharedOn(1000))).unwrap();
            s.totals().pods
        });
        assert_eq!(n, 2);
        assert_eq!(c, before);
    }

    #[test]
    fn unfit_reason_names_the_common_cause() {
        let mut c = ClusterState::default();
        c.add_node(&node("a", 4000, 1, "T4")).unwrap();
        c.add_node(&node("b", 4000, 1, "T4")).unwrap();
        c.add_node(&node("c", 64000, 0, "")).unwrap();
        let mut p = pod(1000, GpuRequest::Whole { count: 1 });
        p.gpu_models = vec!["A100".into()];
        assert_eq!(c.unfit_reason(&p), Some(Unfit::GpuModel));
        p.gpu_models.clear();
        assert_eq!(c.unfit_reason(&p), None);
        p.gpu = GpuRequest::Whole { count: 2 };
        assert_eq!(c.unfit_reason(&p), Some(Unfit::Gpu));
    }

    fn share_node(name: &str, gpus: u32, units: u32, max_pods: u32, spread: bool) -> NodeSpec {
        NodeSpec {
            gpu_share: Some(crate::core::GpuShare { units_per_gpu: units, max_pods_per_gpu: max_pods, spread }),
            ..node(name, 64000, gpus, "A10")
        }
    }

    fn mem_pod(units: u32) -> PodSpec {
        pod(100, GpuRequest::Memory { units })
    }

    fn place_bind(c: &mut ClusterState, id: PodId, p: &PodSpec) -> Option<Placement> {
        let pl = c.place_gpu_memory(p)?;
        c.bind(id, p, &pl).unwrap();
        Some(pl)
    }

    #[test]
    fn gpu_memory_packs_exactly_in_units_and_binpacks_by_default() {
        // An A10 (24 GiB) at the 1 GiB unit: 24 units a GPU. 2 GiB pods: exactly 12 a GPU, which a
        // milli conversion (83.3 -> 84 milli each) would cut to 11.
        let mut c = ClusterState::default();
        c.add_node(&share_node("s", 2, 24, 0, false)).unwrap();
        for i in 0..12 {
            // Binpack: the fuller GPU that fits is GPU 0 until it is full.
            assert_eq!(place_bind(&mut c, i, &mem_pod(2)).unwrap().gpus, vec![0], "pod {i}");
        }
        assert_eq!(place_bind(&mut c, 12, &mem_pod(2)).unwrap().gpus, vec![1]);
        assert_eq!(c.node(0).unwrap().gpu_mem_free, vec![0, 22]);
        // Each 2-unit pod counts as floor(1000 * 2 / 24) = 83 milli-GPU in the totals.
        assert_eq!(c.totals().gpu_milli_allocated, 13 * 83);
        // A pod bigger than what is left on any GPU: insufficient aliyun.com/gpu-mem.
        assert_eq!(c.fits(0, &mem_pod(23)), Err(Unfit::GpuMemory));
        assert_eq!(c.unfit_reason(&mem_pod(23)), Some(Unfit::GpuMemory));
        // Bigger than a whole GPU: the template refuses it.
        assert_eq!(c.fits(0, &mem_pod(25)), Err(Unfit::GpuMemory));
    }

    #[test]
    fn spread_takes_the_emptiest_gpu() {
        let mut c = ClusterState::default();
        c.add_node(&share_node("s", 2, 24, 0, true)).unwrap();
        let gpus: Vec<u8> = (0..4).map(|i| place_bind(&mut c, i, &mem_pod(2)).unwrap().gpus[0]).collect();
        assert_eq!(gpus, vec![0, 1, 0, 1]); // ties to the lower index
    }

    #[test]
    fn cgpu_allows_sixteen_pods_a_gpu() {
        // 128 MiB unit: 192 units a GPU. 1-unit pods fit memory-wise 192 times, cGPU allows 16.
        let mut c = ClusterState::default();
        c.add_node(&share_node("s", 1, 192, 16, false)).unwrap();
        for i in 0..16 {
            assert!(place_bind(&mut c, i, &mem_pod(1)).is_some(), "pod {i}");
        }
        assert_eq!(c.place_gpu_memory(&mem_pod(1)), None);
        assert_eq!(c.fits(0, &mem_pod(1)), Err(Unfit::GpuMemory));
        // One leaves: room for one again.
        c.unbind(3).unwrap();
        assert!(place_bind(&mut c, 99, &mem_pod(1)).is_some());
    }

    #[test]
    fn sharing_nodes_and_other_gpu_pods_keep_apart() {
        let mut c = ClusterState::default();
        c.add_node(&share_node("s", 1, 24, 0, false)).unwrap(); // 0
        c.add_node(&node("g", 64000, 1, "A10")).unwrap(); // 1
                                                          // nvidia.com/gpu and milli shares never go on the sharing node; GPU memory only goes there.
        assert_eq!(c.fits(0, &pod(100, GpuRequest::Whole { count: 1 })), Err(Unfit::GpuSharing));
        assert_eq!(c.fits(0, &pod(100, GpuRequest::Shared { milli: 100 })), Err(Unfit::GpuSharing));
        assert_eq!(c.fits(1, &mem_pod(1)), Err(Unfit::GpuSharing));
        assert_eq!(c.place_gpu_memory(&mem_pod(1)).map(|p| p.node), Some(0));
        // To the milli-GPU policies the sharing node has no GPU: a whole-GPU pod goes to node 1.
        let whole = pod(100, GpuRequest::Whole { count: 1 });
        let pl =
            crate::core::PolicyName::BestFit.build(&Default::default()).place(&c, &whole, &mut crate::core::NoRandom);
        assert_eq!(pl.map(|p| p.node), Some(1));
        // A CPU pod may use the sharing node's CPU.
        assert!(c.fits(0, &pod(1000, GpuRequest::None)).is_ok());
        // Fork and revert restore memory units, pod counts and totals.
        let before = c.clone();
        let cp = c.fork();
        place_bind(&mut c, 1, &mem_pod(5)).unwrap();
        c.revert(cp).unwrap();
        assert!(c == before);
    }
}
