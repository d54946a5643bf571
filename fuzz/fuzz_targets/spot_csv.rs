//! Spot interruption and price history CSVs, read through a Karpenter scenario that names the
//! file: never a panic. The first byte picks the kind.
#![no_main]
use fleetsim::controllers::Registry;
use fleetsim::scenario::load_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, csv)) = data.split_first() else { return };
    let path = fleetsim_fuzz::scratch("csv", csv);
    let field = if kind % 2 == 0 { "interruptions_csv" } else { "spot_prices_csv" };
    let text = format!(
        "name: s\ncatalog: catalogs/aws-gpu.yaml\ncluster: {{}}\n\
         workload: {{pods: [{{name: p, requests: {{cpu: '1', memory: 1Gi, nvidia.com/gpu: '1'}}}}]}}\n\
         placement: {{policy: best-fit}}\nsimulation: {{end: 1h, sample_interval: 10m}}\n\
         nodepools:\n  - {{apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {{name: np}}, spec: {{template: {{spec: {{requirements: \
         [{{key: karpenter.sh/capacity-type, operator: In, values: [spot]}}]}}}}}}}}\n\
         market: {{{field}: {}}}\n",
        path.display()
    );
    let _ = load_str(&text, &fleetsim_fuzz::root().join("scenarios/fuzz.yaml"), &Registry::default());
});
