//! The integration tests, in one binary: each module checks one area through the binary or the
//! library API, with the helpers in [`common`].

mod autoscaling;
mod bad_input;
mod common;
mod fleet;
mod golden;
mod gpu_sharing;
mod karpenter;
mod notebooks;
mod plan;
mod roundtrip;
mod scenarios;
mod sweeps;
mod upstream_ca;
mod upstream_karpenter;
mod user_controller;
mod workloads;
