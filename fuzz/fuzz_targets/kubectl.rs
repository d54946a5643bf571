//! kubectl JSON dumps (`kubectl get nodes,pods -o json`): reading never panics. The input is the
//! node list, a line `---`, and the pod list (without the line, one document is both).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (nodes, pods) = text.split_once("\n---\n").unwrap_or((text, text));
    let (Ok(nodes), Ok(pods)) = (serde_json::from_str(nodes), serde_json::from_str(pods)) else { return };
    let _ = fleetsim::k8s::snapshot(&nodes, &pods);
});
