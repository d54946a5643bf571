//! # fleetsim
//!
//! A deterministic discrete-event simulator of GPU cluster scheduling and autoscaling policies.
//!
//! - [`core`]: the scheduling / bin-packing core — quantities, pods, nodes, taints and affinity,
//!   per-GPU shares, a cluster state with fork/revert, placement policies (`random`,
//!   `dot-product`, `gpu-clustering`, `gpu-packing`, `best-fit`, `fgd`, `first-fit`) and the GPU
//!   fragmentation measure. It has no dependency and builds alone with
//!   `--no-default-features`, so production code can embed it unchanged.
//! - With the default `sim` feature: [`engine`] (simulated time, event queue, RNG streams, the
//!   run loop), [`workload`] (trace readers and inflation), [`scenario`] (scenario and sweep files),
//!   [`metrics`], [`experiment`] (sweeps across threads) and [`report`] (CSV/JSON/SVG outputs).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod core;

#[cfg(feature = "sim")]
pub mod controllers;
#[cfg(feature = "sim")]
pub mod engine;
#[cfg(feature = "sim")]
pub mod experiment;
#[cfg(feature = "sim")]
pub mod k8s;
#[cfg(feature = "sim")]
pub mod market;
#[cfg(feature = "sim")]
pub mod metrics;
#[cfg(feature = "sim")]
pub mod plan;
#[cfg(feature = "sim")]
pub mod report;
#[cfg(feature = "sim")]
pub mod scenario;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "sim")]
pub mod workload;
#[cfg(feature = "sim")]
pub mod yaml;
