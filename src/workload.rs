//! Workloads: readers for public traces and the packing experiment's inflation.

pub mod alibaba;
pub mod inflate;

pub use alibaba::{read_nodes, read_pods, TraceError, TracePod};
pub use inflate::inflate_to_gpu_pct;
