//! Node-list CSV (Alibaba openb format): reading never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fleetsim::workload::read_nodes(&fleetsim_fuzz::scratch("csv", data));
});
