//! Scenario and sweep YAML: loading never panics, whatever the text; a sweep's first run builds.
#![no_main]
use fleetsim::controllers::Registry;
use fleetsim::scenario::{load_str, Loaded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // As if the file sat in scenarios/, so the seeds' relative catalog and trace paths resolve.
    let path = fleetsim_fuzz::root().join("scenarios/fuzz-input.yaml");
    if let Ok(Loaded::Sweep(s)) = load_str(text, &path, &Registry::default()) {
        if let Some(r) = s.runs.first() {
            r.scenario().expect("a validated run builds again");
        }
    }
});
