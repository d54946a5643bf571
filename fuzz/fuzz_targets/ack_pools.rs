//! ACK node pool files (`pools:`, `scaler:`), against the shipped Alibaba catalog: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(doc) = fleetsim::yaml::from_str::<serde_json::Value>(text) else { return };
    let dir = fleetsim_fuzz::root().join("scenarios");
    let cat = fleetsim_fuzz::catalog("alibaba-a10.yaml").clone();
    let _ = fleetsim::scenario::validate::ack_pools("fuzz.yaml", &dir, doc, Some(cat));
});
