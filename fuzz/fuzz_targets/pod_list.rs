//! Pod-list CSV (Alibaba openb format): reading never panics, and what reads writes back to the
//! same pods.
#![no_main]
use fleetsim::workload::{read_pods, write_pods};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = fleetsim_fuzz::scratch("csv", data);
    let Ok(pods) = read_pods(&path) else { return };
    let Ok(text) = write_pods(&pods) else { return };
    let again = read_pods(&fleetsim_fuzz::scratch("csv", text.as_bytes())).expect("written pod list reads back");
    assert_eq!(pods, again, "pod list round trip");
});
