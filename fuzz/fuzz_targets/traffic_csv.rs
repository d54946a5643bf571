//! Service traffic CSVs (Azure LLM inference trace, or fleetsim's rate file), read through a
//! scenario that names the file: never a panic. The first byte picks the kind.
#![no_main]
use fleetsim::controllers::Registry;
use fleetsim::scenario::load_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, csv)) = data.split_first() else { return };
    let path = fleetsim_fuzz::scratch("csv", csv);
    let field = if kind % 2 == 0 { "azure_csv" } else { "rates_csv" };
    let text = format!(
        "name: t\ncluster: {{nodes: [{{name: g, count: 2, cpu: '8', memory: 32Gi, gpus: 1, gpu_model: A10G}}]}}\n\
         workload: {{}}\nplacement: {{policy: best-fit}}\nsimulation: {{end: 1h, sample_interval: 10m}}\n\
         services:\n  - deployment: {{name: chat, replicas: 1, requests: {{cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}}}\n\
         \x20   traffic: {{{field}: {}}}\n    capacity: {{tokens_per_s: 2000}}\n",
        path.display()
    );
    let _ = load_str(&text, &fleetsim_fuzz::root().join("scenarios/fuzz.yaml"), &Registry::default());
});
