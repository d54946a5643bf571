//! The class index's types: class and run keys, the per-GPU free shares, node sets.

use super::*;

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
    pub(super) fn cpu_floor(run: RunKey, cpu: u64) -> ClassKey {
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
pub(super) const GPU_INLINE: usize = 8;

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
    pub(super) fn lower_bound(gpu: GpuRequest) -> RunKey {
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
pub(super) struct InRun(pub(super) ClassKey);

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
    pub(super) classes: BTreeMap<InRun, ClassEntry>,
    /// The least and the most free CPU of any class (kept inline, so a scan bounds or skips a
    /// run without touching its classes).
    pub(super) min_cpu: u64,
    pub(super) max_cpu: u64,
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
    pub(super) fn insert(&mut self, id: NodeId) {
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
    pub(super) fn remove(&mut self, id: NodeId) -> bool {
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
