//! Cron schedules (NodePool disruption budgets): never a panic, and the windows of a schedule
//! that parses are ordered and disjoint.
#![no_main]
use fleetsim::engine::SimTime;
use fleetsim::k8s::cron::Cron;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let Ok(c) = Cron::parse(s) else { return };
    let start = 29_000_000; // 2025-02-20, minutes since the epoch
    let w = c.windows(SimTime(90 * 60_000), start, SimTime(3 * 86_400_000));
    for pair in w.windows(2) {
        assert!(pair[0].1 < pair[1].0, "windows of `{s}` overlap or are out of order: {w:?}");
    }
    let _ = c.fires(start);
});
