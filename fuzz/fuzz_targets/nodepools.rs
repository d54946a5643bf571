//! Karpenter NodePool manifests (YAML, `---`-separated), loaded against the shipped AWS GPU
//! catalog: never a panic.
#![no_main]
use fleetsim::k8s::nodepool::{load_nodepools, manifest_documents};
use fleetsim::market::spot::SpotMarket;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(docs) = manifest_documents("fuzz.yaml", text) else { return };
    let _ = load_nodepools(&docs, fleetsim_fuzz::catalog("aws-gpu.yaml"), &SpotMarket::default());
});
