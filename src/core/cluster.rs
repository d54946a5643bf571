//! The cluster state: nodes, bound pods, an index of node *classes*, and fork/revert.
//!
//! # The class index
//! Two nodes of the same template (capacity, GPU model, labels, taints) whose free CPU, free memory
//! and multiset of per-GPU free milli-GPU are equal are interchangeable for every placement policy:
//! each policy scores them alike and breaks the tie on the lower node id. The state keeps nodes
//! grouped by that [`ClassKey`], so a policy scores each class once instead of every node: a
//! placement costs at most `O(C)` for `C` distinct classes (tens on an empty cluster, thousands
//! on a busy 10^4-node one) instead of `O(N)`, and usually far less.
//!
//! The index has two levels. Classes sharing a GPU state and template (idle GPUs, largest free
//! share, template: a [`RunKey`]) form a [`Run`], kept in a `BTreeMap` ordered so that the runs
//! that can hold a GPU request are one range ([`ClusterState::runs_for`]). Within a run, classes
//! are ordered by free CPU, and the run keeps its least and most free CPU inline: a scan skips a
//! run that lacks the CPU, or seeks to the first class with enough, without comparing whole
//! keys. Binding moves one node between two classes in `O(log C)`. Each class also carries a
//! dense reusable [`ClassEntry::slot`], so policies memoise per class in plain vectors.
//!
//! Policies that look at more than resources (the `gpu-clustering` policy looks at which kinds of
//! GPU request a node already runs) ask for that to be part of the key via
//! [`ClusterOptions::class_by_gpu_tags`].
//!
//! # Fork and revert
//! [`ClusterState::fork`] starts recording an undo log; [`ClusterState::revert`] undoes every
//! change since the matching fork. [`ClusterState::what_if`] wraps the two so a what-if packing
//! (autoscaler estimation) can never forget to revert.

use super::hashing::FastBuild;
use super::model::{
    template_admits, GpuRequest, NodeId, NodeSpec, NodeTemplate, PodId, PodSpec, Unfit, MAX_GPUS_PER_NODE,
    MILLI_PER_GPU,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

mod index;
pub use index::*;

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
    /// The GPUs it takes.
    pub gpus: GpuMask,
    /// Milli-GPU taken on each of them (memory units on a GPU-sharing node).
    pub per_gpu: u32,
    /// Milli-GPU it counts for in the totals (see [`super::GpuShare`] for GPU-memory pods).
    pub gpu_milli: u64,
    /// CPU taken.
    pub cpu_milli: u64,
    /// Memory taken.
    pub memory_mib: u64,
    /// The pod's GPU-request tag.
    pub tag: u32,
}

/// A set of GPU indices of one node: a bitmask over [`MAX_GPUS_PER_NODE`] GPUs, so a binding
/// holds its GPUs without a heap allocation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GpuMask([u64; 4]);

impl GpuMask {
    /// Adds GPU `g`; false if it was already in.
    pub fn insert(&mut self, g: u8) -> bool {
        let (w, b) = (g as usize / 64, 1u64 << (g % 64));
        let new = self.0[w] & b == 0;
        self.0[w] |= b;
        new
    }
    /// The GPU indices, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut rest = bits;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let b = rest.trailing_zeros();
                    rest &= rest - 1;
                    (w as u32 * 64 + b) as u8
                })
            })
        })
    }
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
    /// A node has more GPUs than [`MAX_GPUS_PER_NODE`].
    TooManyGpus(String, u32),
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
            StateError::TooManyGpus(s, n) => {
                write!(f, "node `{s}` has {n} GPUs; at most {MAX_GPUS_PER_NODE} are modelled")
            }
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
    bindings: HashMap<PodId, Binding, FastBuild>,
    runs: BTreeMap<RunKey, Run>,
    class_count: usize,
    next_uid: u64,
    free_slots: Vec<u32>,
    slot_bound: u32,
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
            && self.class_count == other.class_count
            && self.classes().zip(other.classes()).all(|((ka, a), (kb, b))| ka == kb && a.nodes == b.nodes)
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
            bindings: HashMap::default(),
            runs: BTreeMap::new(),
            class_count: 0,
            next_uid: 0,
            free_slots: Vec::new(),
            slot_bound: 0,
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
        self.runs.values().flat_map(Run::classes)
    }

    /// The runs whose free GPUs could hold `gpu`, in key order: a range of the index, so
    /// `O(log U + R)` for `U` runs in all and `R` returned. CPU, memory and template constraints
    /// are not checked here.
    pub fn runs_for(&self, gpu: GpuRequest) -> std::collections::btree_map::Range<'_, RunKey, Run> {
        self.runs.range(RunKey::lower_bound(gpu)..)
    }

    /// Number of distinct classes.
    pub fn class_count(&self) -> usize {
        self.class_count
    }

    /// One more than the largest [`ClassEntry::slot`] handed out: at most the largest number of
    /// classes the index has held at once.
    pub fn slot_bound(&self) -> usize {
        self.slot_bound as usize
    }

    fn class_key(&self, n: &NodeState) -> ClassKey {
        let gpu_free = GpuFree::sorted(&n.gpu_free);
        let gpu_mem_free = if n.gpu_mem_free.is_empty() { None } else { Some(Box::new(self.mem_key(n))) };
        ClassKey {
            idle: gpu_free.iter().filter(|&&g| g == MILLI_PER_GPU).count() as u32,
            max_free: gpu_free.last().copied().unwrap_or(0),
            template: n.template,
            free_cpu: n.free_cpu,
            free_mem: n.free_mem,
            gpu_total: gpu_free.iter().map(|&g| g as u64).sum(),
            gpu_free,
            gpu_tags: if self.opts.class_by_gpu_tags { n.tags.keys().copied().collect() } else { Vec::new() },
            gpu_mem_free,
            pods_full: self.templates[n.template as usize].max_pods.is_some_and(|m| n.pods >= m),
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
        let (uid, count, free, bound) =
            (&mut self.next_uid, &mut self.class_count, &mut self.free_slots, &mut self.slot_bound);
        let run = self.runs.entry(key.run()).or_default();
        run.min_cpu = if run.classes.is_empty() { key.free_cpu } else { run.min_cpu.min(key.free_cpu) };
        run.max_cpu = run.max_cpu.max(key.free_cpu);
        let mut new = false;
        let e = run.classes.entry(InRun(key)).or_insert_with(|| {
            *uid += 1;
            *count += 1;
            new = true;
            let slot = free.pop().unwrap_or_else(|| {
                *bound += 1;
                *bound - 1
            });
            ClassEntry { uid: *uid, slot, nodes: NodeSet::One(id), first: id }
        });
        if !new {
            e.nodes.insert(id);
            e.first = e.first.min(id);
        }
    }

    fn class_remove(&mut self, id: NodeId) {
        let key = self.class_key(self.nodes[id as usize].as_ref().expect("present"));
        let run = key.run();
        let Some(r) = self.runs.get_mut(&run) else { return };
        // One descent: the entry both updates the class and removes it when it empties.
        let std::collections::btree_map::Entry::Occupied(mut o) = r.classes.entry(InRun(key)) else { return };
        let e = o.get_mut();
        if e.nodes.remove(id) {
            e.first = e.nodes.first();
            return;
        }
        self.free_slots.push(o.remove().slot);
        self.class_count -= 1;
        match (r.classes.first_key_value(), r.classes.last_key_value()) {
            (Some((first, _)), Some((last, _))) => (r.min_cpu, r.max_cpu) = (first.0.free_cpu, last.0.free_cpu),
            _ => {
                self.runs.remove(&run);
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
        if spec.gpu_count > MAX_GPUS_PER_NODE {
            return Err(StateError::TooManyGpus(spec.name.clone(), spec.gpu_count));
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
        let t = &self.templates[n.template as usize];
        template_admits(t, pod)?;
        if pod.cpu_milli > n.free_cpu {
            return Err(Unfit::Cpu);
        }
        if pod.memory_mib > n.free_mem {
            return Err(Unfit::Memory);
        }
        if t.max_pods.is_some_and(|m| n.pods >= m) {
            return Err(Unfit::Pods);
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
        for (key, entry) in self.classes() {
            if !key.resources_fit(pod) {
                continue;
            }
            let t = key.template as usize;
            if !*admits[t].get_or_insert_with(|| template_admits(&self.templates[t], pod).is_ok()) {
                continue;
            }
            let spread = self.templates[t].gpu_share.is_some_and(|s| s.spread);
            let node = entry.first;
            let Some(n) = self.node(node) else { continue };
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
        let mut gpus = GpuMask::default();
        for &g in &placement.gpus {
            let free = *slots.get(g as usize).ok_or_else(|| StateError::BadGpus(format!("no GPU {g}")))?;
            if free < per || !gpus.insert(g) || (share.is_some() && !self.gpu_mem_fits(n, g as usize, per)) {
                return Err(StateError::BadGpus(format!("GPU {g} has {free} milli free, or is used twice")));
            }
        }
        let binding = Binding {
            node: placement.node,
            gpus,
            per_gpu: per,
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
        let m = b.per_gpu;
        for g in b.gpus.iter().map(usize::from) {
            if n.gpu_mem_free.is_empty() {
                n.gpu_free[g] -= m;
            } else {
                n.gpu_mem_free[g] -= m;
                n.gpu_pods[g] += 1;
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
        let m = b.per_gpu;
        for g in b.gpus.iter().map(usize::from) {
            if n.gpu_mem_free.is_empty() {
                n.gpu_free[g] += m;
            } else {
                n.gpu_mem_free[g] += m;
                n.gpu_pods[g] -= 1;
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
        if self.runs.is_empty() {
            return Some(Unfit::Cpu);
        }
        // Nodes refused per template, and per resource reason among the admitting templates.
        let mut refused = vec![0usize; self.templates.len()];
        let mut admits: Vec<Option<Result<(), Unfit>>> = vec![None; self.templates.len()];
        let (mut cpu, mut mem, mut gpu, mut pods) = (0usize, 0usize, 0usize, 0usize);
        for (rk, run) in &self.runs {
            let t = rk.template as usize;
            let admitted = admits[t].get_or_insert_with(|| template_admits(&self.templates[t], pod)).is_ok();
            for (key, entry) in run.classes() {
                let n = entry.nodes.len();
                match () {
                    _ if !admitted => refused[t] += n,
                    _ if key.resources_fit(pod) => return None,
                    _ if pod.cpu_milli > key.free_cpu => cpu += n,
                    _ if pod.memory_mib > key.free_mem => mem += n,
                    _ if key.pods_full => pods += n,
                    _ => gpu += n,
                }
            }
        }
        let gpu_reason = if matches!(pod.gpu, GpuRequest::Memory { .. }) { Unfit::GpuMemory } else { Unfit::Gpu };
        let mut counts: BTreeMap<Unfit, usize> = BTreeMap::new();
        for (why, n) in admits.into_iter().zip(refused).filter_map(|(a, n)| Some((a?.err()?, n))) {
            *counts.entry(why).or_insert(0) += n;
        }
        for (why, n) in [(Unfit::Cpu, cpu), (Unfit::Memory, mem), (gpu_reason, gpu), (Unfit::Pods, pods)] {
            if n > 0 {
                *counts.entry(why).or_insert(0) += n;
            }
        }
        counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(u, _)| u)
    }
}

#[cfg(test)]
mod tests;
