//! The scheduling and bin-packing core, embeddable in production code.
//!
//! No I/O, no clock, no random generator, no global state and no dependency: it builds with
//! `cargo build --lib --no-default-features`. A controller builds a [`ClusterState`] from its
//! informer cache (one [`NodeSpec`] per node, one [`ClusterState::bind`] per running pod), then asks
//! a [`PlacementPolicy`] where a pending pod goes, or forks the state to estimate what new nodes a
//! set of pending pods needs.
//!
//! ```
//! use fleetsim::core::{ClusterState, GpuRequest, NoRandom, NodeSpec, PodSpec, PolicyName, Workload};
//!
//! let mut cluster = ClusterState::default();
//! for (name, gpus) in [("gpu-a", 8), ("gpu-b", 2)] {
//!     cluster.add_node(&NodeSpec {
//!         name: name.into(),
//!         cpu_milli: fleetsim::core::quantity::parse_cpu_milli("96").unwrap(),
//!         memory_mib: fleetsim::core::quantity::parse_memory_mib("384Gi").unwrap(),
//!         gpu_count: gpus,
//!         gpu_model: Some("A10".into()),
//!         ..Default::default()
//!     }).unwrap();
//! }
//! let pod = PodSpec { name: "infer-0".into(), cpu_milli: 4000, memory_mib: 16384,
//!                     gpu: GpuRequest::Whole { count: 2 }, ..Default::default() };
//! let mut policy = PolicyName::BestFit.build(&Workload::default());
//! let placement = policy.place(&cluster, &pod, &mut NoRandom).expect("fits");
//! assert_eq!(cluster.node(placement.node).unwrap().name, "gpu-b"); // the tighter node
//! cluster.bind(1, &pod, &placement).unwrap();
//! assert_eq!(cluster.totals().gpu_milli_allocated, 2000);
//! ```

pub mod cluster;
pub mod fleet;
pub mod frag;
pub mod hashing;
pub mod model;
pub mod policy;
pub mod provision;
pub mod quantity;
pub mod requests;
pub mod scaleup;
pub mod schedule;
pub mod selector;

pub use cluster::{
    Binding, Checkpoint, ClassEntry, ClassKey, ClassRange, ClusterOptions, ClusterState, GpuChoice, GpuFree, GpuMask,
    NodeSet, Placement, Run, RunKey, StateError, Totals,
};
pub use frag::{cluster_fragment_milli, cluster_idle_milli, FragIndex, TypicalTask, Workload};
pub use model::{
    GpuRequest, GpuShare, NodeId, NodeSpec, NodeTemplate, PodId, PodSpec, Unfit, MAX_GPUS_PER_NODE, MILLI_PER_GPU,
};
pub use policy::{NoRandom, PlacementPolicy, PolicyName, RandomSource};
pub use schedule::{same_shape, shape_hash, Scheduler, ShapeMap};
pub use selector::{NodeAffinity, Requirement, SelectorOperator, Taint, TaintEffect, Toleration, TolerationOperator};
