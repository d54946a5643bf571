//! Workloads: readers (and a writer) for pod-list traces, synthetic generators and the packing
//! experiment's inflation.

pub mod alibaba;
pub mod inflate;
pub mod synthetic;

pub use alibaba::{csv_message, read_nodes, read_pods, write_pods, TraceError, TracePod};
pub use inflate::inflate_to_gpu_pct;
