//! Kubernetes quantities, durations, latency ranges and timestamps: never a panic; a CPU quantity
//! that parses reads the same with its unit spelled out in millicores.
#![no_main]
use fleetsim::core::quantity::{parse_bytes, parse_count, parse_cpu_milli, parse_memory_mib, parse_milli};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(m) = parse_cpu_milli(s) {
        assert_eq!(parse_cpu_milli(&format!("{m}m")), Ok(m), "cpu `{s}`");
    }
    let _ = parse_memory_mib(s);
    let _ = parse_bytes(s);
    let _ = parse_count(s);
    let _ = parse_milli(s);
    if let Ok(d) = fleetsim::engine::time::parse_duration(s) {
        assert_eq!(fleetsim::engine::time::parse_duration(&format!("{}ms", d.0)), Ok(d), "duration `{s}`");
    }
    let _ = fleetsim::sim::Latency::parse(s);
    let _ = fleetsim::k8s::cron::parse_utc_minute(s);
});
