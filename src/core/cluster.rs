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
/// [`ClusterState::runs_for`]): a whole-GPU pod asking for `k` GPUs starts at `idle = k`, a
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
    pub gpu_free: GpuFree,
    /// Their sum (follows `gpu_free`, so it never decides the order; kept so that scoring a
    /// class does not chase the vector).
    pub gpu_total: u64,
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
    /// The node runs its allocatable `pods` already ([`NodeSpec::max_pods`]): it takes no pod.
    /// Every pod takes one slot, so whether one is left is all placement needs to know.
    pub pods_full: bool,
}

impl ClassKey {
    /// Total free milli-GPU.
    pub fn gpu_free_total(&self) -> u64 {
        self.gpu_total
    }
    /// Number of fully idle GPUs.
    pub fn idle_gpus(&self) -> u32 {
        self.idle
    }

    /// The run this class belongs to.
    pub fn run(&self) -> RunKey {
        RunKey { idle: self.idle, max_free: self.max_free, template: self.template }
    }

    /// The smallest key of the run with at least `cpu` free CPU.
    fn cpu_floor(run: RunKey, cpu: u64) -> ClassKey {
        ClassKey {
            idle: run.idle,
            max_free: run.max_free,
            template: run.template,
            free_cpu: cpu,
            free_mem: 0,
            gpu_free: GpuFree::default(),
            gpu_total: 0,
            gpu_tags: Vec::new(),
            gpu_mem_free: None,
            pods_full: false,
        }
    }

    /// Whether the free resources (not the template constraints) can hold `pod`.
    pub fn resources_fit(&self, pod: &PodSpec) -> bool {
        if pod.cpu_milli > self.free_cpu || pod.memory_mib > self.free_mem || self.pods_full {
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

/// Number of GPUs a [`GpuFree`] holds without a heap allocation: every node of the Alibaba
/// trace and the common 8-GPU servers.
const GPU_INLINE: usize = 8;

/// The free milli-GPU of each GPU of a class, sorted ascending: a slice (it derefs to `[u32]`)
/// kept inline for up to [`GPU_INLINE`] GPUs, so building and comparing class keys, which every
/// bind does twice, allocates nothing and chases no pointer.
#[derive(Clone)]
pub enum GpuFree {
    /// Up to [`GPU_INLINE`] values: the first `len` of `v`.
    Inline {
        /// How many values.
        len: u8,
        /// The values, then zeros.
        v: [u32; GPU_INLINE],
    },
    /// More GPUs than fit inline.
    Heap(Vec<u32>),
}

impl GpuFree {
    /// The values of `s`, sorted.
    pub fn sorted(s: &[u32]) -> GpuFree {
        if s.len() <= GPU_INLINE {
            let mut v = [0; GPU_INLINE];
            v[..s.len()].copy_from_slice(s);
            v[..s.len()].sort_unstable();
            GpuFree::Inline { len: s.len() as u8, v }
        } else {
            let mut v = s.to_vec();
            v.sort_unstable();
            GpuFree::Heap(v)
        }
    }
}

impl Default for GpuFree {
    fn default() -> Self {
        GpuFree::Inline { len: 0, v: [0; GPU_INLINE] }
    }
}

impl std::ops::Deref for GpuFree {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            GpuFree::Inline { len, v } => &v[..*len as usize],
            GpuFree::Heap(v) => v,
        }
    }
}

impl PartialEq for GpuFree {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl Eq for GpuFree {}
impl PartialOrd for GpuFree {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for GpuFree {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}
impl std::hash::Hash for GpuFree {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (**self).hash(h)
    }
}
impl fmt::Debug for GpuFree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// A *run* of the class index: the classes of one GPU state (`idle`, `max_free`) and template.
/// Every class of a run fits the same GPU requests and template constraints; they differ in free
/// CPU, memory and the rest of the GPU shares. Runs order as the prefix of [`ClassKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunKey {
    /// Number of fully idle GPUs.
    pub idle: u32,
    /// The largest free milli-GPU on one GPU.
    pub max_free: u32,
    /// Template.
    pub template: TemplateId,
}

impl RunKey {
    /// The first run whose GPUs can hold `gpu` (see [`ClassKey`]'s docs): every later run can too.
    fn lower_bound(gpu: GpuRequest) -> RunKey {
        let (idle, max_free) = match gpu {
            GpuRequest::None => (0, 0),
            GpuRequest::Shared { milli } => (0, milli),
            GpuRequest::Whole { count } => (count, 0),
            // Placed by ClusterState::place_gpu_memory, never from a policy's range.
            GpuRequest::Memory { .. } => (u32::MAX, u32::MAX),
        };
        RunKey { idle, max_free, template: 0 }
    }
}

/// A class key inside its run: ordered as [`ClassKey`] but without comparing the fields every
/// key of a run shares (idle, max_free, template), which the run's searches would otherwise
/// compare at every step. Only ever compared with keys of the same run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InRun(ClassKey);

impl Ord for InRun {
    #[inline]
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        let (a, b) = (&self.0, &o.0);
        debug_assert_eq!(a.run(), b.run(), "keys of one run");
        // Free CPU decides most comparisons: test it alone before building the rest. `gpu_total`
        // is left out: it is a function of `gpu_free`.
        match a.free_cpu.cmp(&b.free_cpu) {
            std::cmp::Ordering::Equal => {}
            ord => return ord,
        }
        (a.free_mem, &a.gpu_free, &a.gpu_tags, &a.gpu_mem_free, a.pods_full).cmp(&(
            b.free_mem,
            &b.gpu_free,
            &b.gpu_tags,
            &b.gpu_mem_free,
            b.pods_full,
        ))
    }
}

impl PartialOrd for InRun {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// The classes of one run, in ascending free CPU (then the rest of [`ClassKey`]).
#[derive(Debug, Clone, Default)]
pub struct Run {
    classes: BTreeMap<InRun, ClassEntry>,
    /// The least and the most free CPU of any class (kept inline, so a scan bounds or skips a
    /// run without touching its classes).
    min_cpu: u64,
    max_cpu: u64,
}

impl Run {
    /// The classes in key order.
    pub fn classes(&self) -> ClassRange<'_> {
        ClassRange(self.classes.range::<InRun, _>(..))
    }
    /// The classes with at least `cpu` free CPU, in key order: `O(log R)` for a run of `R`
    /// classes, then a step each.
    pub fn classes_with_cpu(&self, cpu: u64) -> ClassRange<'_> {
        match self.classes.first_key_value() {
            // Every class has the CPU (often): the whole run, without a search.
            Some(_) if self.min_cpu >= cpu => self.classes(),
            Some((first, _)) => ClassRange(self.classes.range(InRun(ClassKey::cpu_floor(first.0.run(), cpu))..)),
            None => self.classes(),
        }
    }
    /// The least free CPU of any class of the run.
    pub fn min_free_cpu(&self) -> u64 {
        self.min_cpu
    }
    /// The most free CPU of any class of the run.
    pub fn max_free_cpu(&self) -> u64 {
        self.max_cpu
    }
}

/// A scan over one run's classes in key order.
#[derive(Debug, Clone)]
pub struct ClassRange<'a>(std::collections::btree_map::Range<'a, InRun, ClassEntry>);

impl<'a> Iterator for ClassRange<'a> {
    type Item = (&'a ClassKey, &'a ClassEntry);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, e)| (&k.0, e))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// A group of interchangeable nodes.
#[derive(Debug, Clone)]
pub struct ClassEntry {
    /// An id unique over the life of the state (never reused), for policies' memo tables.
    pub uid: u64,
    /// A small index, unique among the live classes and reused after a class leaves the index
    /// (below [`ClusterState::slot_bound`]): policies keep per-class memos in plain vectors
    /// indexed by it, checking `uid` to tell a reused slot's new class from the old.
    pub slot: u32,
    /// The nodes in the class.
    pub nodes: NodeSet,
    /// The lowest id in `nodes` (kept beside the set: policies read it for every class they
    /// weigh, and the set's first element is a pointer chase away).
    pub first: NodeId,
}

/// The nodes of a class, never empty: one id inline (most classes of a busy cluster hold a
/// single node, and moving a node to a new class then allocates nothing), else an ordered set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeSet {
    /// A single node.
    One(NodeId),
    /// Two nodes or more.
    Many(BTreeSet<NodeId>),
}

impl NodeSet {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        match self {
            NodeSet::One(_) => 1,
            NodeSet::Many(s) => s.len(),
        }
    }
    /// Always false: a class without nodes leaves the index.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// The lowest id.
    pub fn first(&self) -> NodeId {
        match self {
            NodeSet::One(id) => *id,
            NodeSet::Many(s) => *s.first().expect("a set holds two nodes or more"),
        }
    }
    /// The ids, ascending.
    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        let (one, many) = match self {
            NodeSet::One(id) => (Some(*id), None),
            NodeSet::Many(s) => (None, Some(s.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
    fn insert(&mut self, id: NodeId) {
        match self {
            NodeSet::One(x) if *x == id => {}
            NodeSet::One(x) => *self = NodeSet::Many(BTreeSet::from([*x, id])),
            NodeSet::Many(s) => {
                s.insert(id);
            }
        }
    }
    /// Removes `id`; false when it was the last node (the set is then left as it was, for the
    /// caller to drop).
    fn remove(&mut self, id: NodeId) -> bool {
        match self {
            NodeSet::One(_) => false,
            NodeSet::Many(s) => {
                s.remove(&id);
                if s.len() == 1 {
                    *self = NodeSet::One(*s.first().expect("one left"));
                }
                true
            }
        }
    }
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
    fn gpu_mask_holds_every_index_once_in_order() {
        let mut m = GpuMask::default();
        assert_eq!(m.iter().next(), None);
        for g in [200u8, 3, 64, 63, 255, 0] {
            assert!(m.insert(g));
        }
        assert!(!m.insert(64), "a second insert reports the duplicate");
        assert_eq!(m.iter().collect::<Vec<_>>(), vec![0, 3, 63, 64, 200, 255]);
    }

    #[test]
    fn node_set_moves_between_one_and_many() {
        let mut s = NodeSet::One(7);
        s.insert(7);
        assert_eq!(s, NodeSet::One(7), "inserting the member again changes nothing");
        s.insert(3);
        s.insert(9);
        assert_eq!((s.len(), s.first(), s.iter().collect::<Vec<_>>()), (3, 3, vec![3, 7, 9]));
        assert!(s.remove(3) && s.remove(9));
        assert_eq!(s, NodeSet::One(7), "one node left goes back inline");
        assert!(!s.remove(7), "the last node is reported, for the class to go");
    }

    #[test]
    fn class_slots_are_dense_and_reused() {
        let mut c = ClusterState::default();
        for i in 0..3 {
            c.add_node(&node(&format!("n{i}"), 8000, 1, "T4")).unwrap();
        }
        // Three identical nodes: one class.
        assert_eq!((c.class_count(), c.slot_bound()), (1, 1));
        let p = pod(1000, GpuRequest::None);
        c.bind(1, &p, &Placement { node: 0, gpus: vec![] }).unwrap();
        assert_eq!((c.class_count(), c.slot_bound()), (2, 2));
        let slot_of = |c: &ClusterState, node: NodeId| {
            c.classes().find(|(_, e)| e.nodes.iter().any(|n| n == node)).map(|(_, e)| (e.slot, e.uid)).unwrap()
        };
        let (idle_slot, idle_uid) = slot_of(&c, 1);
        c.bind(2, &p, &Placement { node: 1, gpus: vec![] }).unwrap();
        c.bind(3, &p, &Placement { node: 2, gpus: vec![] }).unwrap();
        // The idle class has left; all three nodes share the other class.
        assert_eq!(c.class_count(), 1);
        c.unbind(1).unwrap();
        // Node 0 is idle again: a new class, on the freed slot, under a new uid.
        assert_eq!(c.class_count(), 2);
        assert_eq!(c.slot_bound(), 2, "a freed slot is reused before a new one is handed out");
        let (slot, uid) = slot_of(&c, 0);
        assert_eq!(slot, idle_slot);
        assert_ne!(uid, idle_uid, "a reused slot never brings back a uid");
        assert_ne!(slot, slot_of(&c, 1).0);
    }

    #[test]
    fn a_node_with_more_gpus_than_modelled_is_refused() {
        let mut c = ClusterState::default();
        let err = c.add_node(&node("huge", 64000, MAX_GPUS_PER_NODE + 1, "A10")).unwrap_err();
        assert_eq!(err, StateError::TooManyGpus("huge".into(), MAX_GPUS_PER_NODE + 1));
        assert!(c.add_node(&node("big", 64000, MAX_GPUS_PER_NODE, "A10")).is_ok());
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
