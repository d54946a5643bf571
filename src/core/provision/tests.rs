use super::*;
use crate::core::GpuRequest;

fn offering(ty: &str, gpus: u32, spot: bool) -> Offering {
    let node = NodeSpec {
        cpu_milli: 8000 * gpus.max(1) as u64,
        memory_mib: 32768 * gpus.max(1) as u64,
        gpu_count: gpus,
        gpu_model: Some("A10".into()),
        ..Default::default()
    };
    Offering { instance_type: ty.into(), zone: "z1".into(), spot, capacity: Usage::of_node(&node), node }
}

fn pool(name: &str, weight: u32, gpus: Option<u64>, offerings: Vec<Offering>) -> Pool {
    Pool { name: name.into(), weight, limits: Limits { gpus, ..Default::default() }, offerings, min_values: Vec::new() }
}

fn gpu_pod(n: u32) -> PodSpec {
    PodSpec { cpu_milli: 1000, memory_mib: 1024, gpu: GpuRequest::Whole { count: n }, ..Default::default() }
}

#[test]
fn heavier_pool_first_and_its_limit_sends_the_rest_to_the_next() {
    // "reserved" (weight 100) may hold 4 GPUs; "on-demand" (weight 10) is unlimited. Each claim
    // reserves its largest type (4 GPUs), so the first 1-GPU pod fills reserved's limit at once,
    // the next three pack on that claim, and the fifth opens a claim in "on-demand".
    let prov = Provisioner::new(vec![
        pool("on-demand", 10, None, vec![offering("g1", 1, false), offering("g4", 4, false)]),
        pool("reserved", 100, Some(4), vec![offering("g1", 1, false), offering("g4", 4, false)]),
    ]);
    assert_eq!(prov.order(), [1, 0]);
    let pods: Vec<PodSpec> = (0..5).map(|_| gpu_pod(1)).collect();
    let batch: Vec<(PodId, &PodSpec)> = pods.iter().enumerate().map(|(i, p)| (i as PodId, p)).collect();
    let mut c = ClusterState::default();
    let mut usage = vec![Usage::default(); 2];
    let out = prov.pack(&mut c, &mut Shapes::default(), &batch, &mut usage, |_, _| true).unwrap();
    assert_eq!(out.claims.len(), 2);
    assert_eq!((out.claims[0].pool, out.claims[0].pods.len()), (1, 4));
    assert_eq!((out.claims[1].pool, out.claims[1].pods.as_slice()), (0, &[4][..]));
    assert_eq!(usage[1].gpus, 4);
    // Launch: the cheapest-ranked type that holds the claim's pods. Ranked g1 before g4, the
    // four pods of claim 0 need g4; claim 1's one pod takes g1.
    let mut shapes = Shapes::default();
    let mut pick = |cl: &Claim| {
        let pods: Vec<(PodId, &PodSpec)> = cl.pods.iter().map(|&p| (p, &pods[p as usize])).collect();
        prov.first_fit(ClusterOptions::default(), &mut shapes, cl.pool, &[0, 1], &pods, |_| true).unwrap()
    };
    assert_eq!(pick(&out.claims[0]), Some(1));
    assert_eq!(pick(&out.claims[1]), Some(0));
}

#[test]
fn spot_is_preferred_existing_nodes_first_and_misfits_are_told_apart() {
    let prov = Provisioner::new(vec![pool("gpu", 0, Some(8), vec![offering("g4", 4, false), offering("g4", 4, true)])]);
    let mut c = ClusterState::default();
    c.add_node(&NodeSpec { name: "live".into(), ..offering("g1", 1, false).node }).unwrap();
    let pods = [gpu_pod(1), gpu_pod(2), gpu_pod(16)];
    let batch: Vec<(PodId, &PodSpec)> = pods.iter().enumerate().map(|(i, p)| (i as PodId, p)).collect();
    let mut usage = vec![Usage { gpus: 6, ..Default::default() }];
    let out = prov.pack(&mut c, &mut Shapes::default(), &batch, &mut usage, |_, _| true).unwrap();
    // Largest first: the 16-GPU pod fits no offering (incompatible); the 2-GPU pod opens a spot
    // claim... which the limit (6 + 4 > 8) refuses: blocked. The 1-GPU pod fits the live node.
    assert_eq!(out.incompatible, [2]);
    assert_eq!(out.blocked, [1]);
    assert_eq!(out.existing.len(), 1);
    assert!(out.claims.is_empty());
    let why = prov.why_incompatible(&pods[2]);
    assert_eq!(why, "gpu: insufficient nvidia.com/gpu");
    // With room under the limit the claim opens, and it is spot.
    let mut usage = vec![Usage::default()];
    let mut c = ClusterState::default();
    let out = prov.pack(&mut c, &mut Shapes::default(), &batch[1..2], &mut usage, |_, _| true).unwrap();
    assert!(out.claims[0].spot);
    // No spot available: on-demand.
    let mut c = ClusterState::default();
    let out = prov.pack(&mut c, &mut Shapes::default(), &batch[1..2], &mut usage, |_, o| o == 0).unwrap();
    assert!(!out.claims[0].spot);
}
