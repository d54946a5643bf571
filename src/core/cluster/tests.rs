use super::*;

pub(crate) fn node(name: &str, cpu: u64, gpus: u32, model: &str) -> NodeSpec {
    NodeSpec {
        name: name.into(),
        cpu_milli: cpu,
        memory_mib: 1 << 20,
        gpu_count: gpus,
        gpu_model: if gpus > 0 { Some(model.into()) } else { None },
        ..Default::default()
    }
}

pub(crate) fn pod(cpu: u64, gpu: GpuRequest) -> PodSpec {
    PodSpec { name: "p".into(), cpu_milli: cpu, memory_mib: 1024, gpu, ..Default::default() }
}

#[test]
fn gpu_mask_holds_every_index_once_in_order() {
    let mut m = GpuMask::default();
    assert_eq!(m.iter().next(), None);
    for g in [200u8, 3, 64, 63, 255, 0] {
        assert!(m.insert(g));
    }
    assert!(!m.insert(64), "a second insert reports the duplicate");
    assert_eq!(m.iter().collect::<Vec<_>>(), vec![0, 3, 63, 64, 200, 255]);
}

#[test]
fn node_set_moves_between_one_and_many() {
    let mut s = NodeSet::One(7);
    s.insert(7);
    assert_eq!(s, NodeSet::One(7), "inserting the member again changes nothing");
    s.insert(3);
    s.insert(9);
    assert_eq!((s.len(), s.first(), s.iter().collect::<Vec<_>>()), (3, 3, vec![3, 7, 9]));
    assert!(s.remove(3) && s.remove(9));
    assert_eq!(s, NodeSet::One(7), "one node left goes back inline");
    assert!(!s.remove(7), "the last node is reported, for the class to go");
}

#[test]
fn class_slots_are_dense_and_reused() {
    let mut c = ClusterState::default();
    for i in 0..3 {
        c.add_node(&node(&format!("n{i}"), 8000, 1, "T4")).unwrap();
    }
    // Three identical nodes: one class.
    assert_eq!((c.class_count(), c.slot_bound()), (1, 1));
    let p = pod(1000, GpuRequest::None);
    c.bind(1, &p, &Placement { node: 0, gpus: vec![] }).unwrap();
    assert_eq!((c.class_count(), c.slot_bound()), (2, 2));
    let slot_of = |c: &ClusterState, node: NodeId| {
        c.classes().find(|(_, e)| e.nodes.iter().any(|n| n == node)).map(|(_, e)| (e.slot, e.uid)).unwrap()
    };
    let (idle_slot, idle_uid) = slot_of(&c, 1);
    c.bind(2, &p, &Placement { node: 1, gpus: vec![] }).unwrap();
    c.bind(3, &p, &Placement { node: 2, gpus: vec![] }).unwrap();
    // The idle class has left; all three nodes share the other class.
    assert_eq!(c.class_count(), 1);
    c.unbind(1).unwrap();
    // Node 0 is idle again: a new class, on the freed slot, under a new uid.
    assert_eq!(c.class_count(), 2);
    assert_eq!(c.slot_bound(), 2, "a freed slot is reused before a new one is handed out");
    let (slot, uid) = slot_of(&c, 0);
    assert_eq!(slot, idle_slot);
    assert_ne!(uid, idle_uid, "a reused slot never brings back a uid");
    assert_ne!(slot, slot_of(&c, 1).0);
}

#[test]
fn a_node_with_more_gpus_than_modelled_is_refused() {
    let mut c = ClusterState::default();
    let err = c.add_node(&node("huge", 64000, MAX_GPUS_PER_NODE + 1, "A10")).unwrap_err();
    assert_eq!(err, StateError::TooManyGpus("huge".into(), MAX_GPUS_PER_NODE + 1));
    assert!(c.add_node(&node("big", 64000, MAX_GPUS_PER_NODE, "A10")).is_ok());
}

#[test]
fn classes_group_interchangeable_nodes() {
    let mut c = ClusterState::default();
    for i in 0..4 {
        c.add_node(&node(&format!("n{i}"), 32000, 2, "V100M16")).unwrap();
    }
    c.add_node(&node("cpu", 32000, 0, "")).unwrap();
    assert_eq!(c.class_count(), 2);
    let p = pod(1000, GpuRequest::Shared { milli: 500 });
    c.bind(1, &p, &c.concretize(2, GpuChoice::SharedOn(1000))).unwrap();
    assert_eq!(c.class_count(), 3);
    assert_eq!(c.node(2).unwrap().gpu_free, vec![500, 1000]);
    // The same share on another node's *second* GPU lands in the same class: keys sort GPUs.
    c.bind(2, &p, &Placement { node: 3, gpus: vec![1] }).unwrap();
    assert_eq!(c.class_count(), 3);
    assert_eq!(c.totals().gpu_milli_allocated, 1000);
    assert!(c.bind(2, &p, &Placement { node: 0, gpus: vec![0] }).is_err(), "double bind");
    c.unbind(1).unwrap();
    c.unbind(2).unwrap();
    assert_eq!(c.class_count(), 2);
    assert_eq!(c.totals().pods, 0);
}

#[test]
fn bind_rejects_overcommit_and_bad_gpus() {
    let mut c = ClusterState::default();
    c.add_node(&node("a", 4000, 2, "T4")).unwrap();
    let big = pod(8000, GpuRequest::None);
    assert_eq!(c.bind(1, &big, &Placement { node: 0, gpus: vec![] }), Err(StateError::DoesNotFit(Unfit::Cpu)));
    let two = pod(100, GpuRequest::Whole { count: 2 });
    assert!(matches!(c.bind(1, &two, &Placement { node: 0, gpus: vec![0, 0] }), Err(StateError::BadGpus(_))));
    assert!(matches!(c.bind(1, &two, &Placement { node: 0, gpus: vec![0] }), Err(StateError::BadGpus(_))));
    c.bind(1, &two, &Placement { node: 0, gpus: vec![0, 1] }).unwrap();
    let one = pod(100, GpuRequest::Shared { milli: 1 });
    assert_eq!(c.fits(0, &one), Err(Unfit::Gpu));
    assert!(c.remove_node(0).is_err());
}

#[test]
fn fork_revert_restores_exactly() {
    let mut c = ClusterState::default();
    for i in 0..3 {
        c.add_node(&node(&format!("n{i}"), 16000, 4, "A10")).unwrap();
    }
    let p = pod(2000, GpuRequest::Shared { milli: 300 });
    c.bind(10, &p, &c.concretize(0, GpuChoice::SharedOn(1000))).unwrap();
    let before = c.clone();
    let cp = c.fork();
    c.bind(11, &p, &c.concretize(1, GpuChoice::SharedOn(1000))).unwrap();
    c.unbind(10).unwrap();
    let extra = c.add_node(&node("new", 8000, 1, "A10")).unwrap();
    c.bind(12, &pod(100, GpuRequest::Whole { count: 1 }), &c.concretize(extra, GpuChoice::Whole(1))).unwrap();
    c.unbind(12).unwrap();
    c.remove_node(extra).unwrap();
    c.remove_node(2).unwrap();
    assert_ne!(c, before);
    c.revert(cp).unwrap();
    assert_eq!(c, before);
    assert!(c.revert(cp).is_err());
    let n = c.what_if(|s| {
        s.bind(20, &p, &s.concretize(2, GpuChoice::SharedOn(1000))).unwrap();
        s.totals().pods
    });
    assert_eq!(n, 2);
    assert_eq!(c, before);
}

#[test]
fn unfit_reason_names_the_common_cause() {
    let mut c = ClusterState::default();
    c.add_node(&node("a", 4000, 1, "T4")).unwrap();
    c.add_node(&node("b", 4000, 1, "T4")).unwrap();
    c.add_node(&node("c", 64000, 0, "")).unwrap();
    let mut p = pod(1000, GpuRequest::Whole { count: 1 });
    p.gpu_models = vec!["A100".into()];
    assert_eq!(c.unfit_reason(&p), Some(Unfit::GpuModel));
    p.gpu_models.clear();
    assert_eq!(c.unfit_reason(&p), None);
    p.gpu = GpuRequest::Whole { count: 2 };
    assert_eq!(c.unfit_reason(&p), Some(Unfit::Gpu));
}

fn share_node(name: &str, gpus: u32, units: u32, max_pods: u32, spread: bool) -> NodeSpec {
    NodeSpec {
        gpu_share: Some(crate::core::GpuShare { units_per_gpu: units, max_pods_per_gpu: max_pods, spread }),
        ..node(name, 64000, gpus, "A10")
    }
}

fn mem_pod(units: u32) -> PodSpec {
    pod(100, GpuRequest::Memory { units })
}

fn place_bind(c: &mut ClusterState, id: PodId, p: &PodSpec) -> Option<Placement> {
    let pl = c.place_gpu_memory(p)?;
    c.bind(id, p, &pl).unwrap();
    Some(pl)
}

#[test]
fn gpu_memory_packs_exactly_in_units_and_binpacks_by_default() {
    // An A10 (24 GiB) at the 1 GiB unit: 24 units a GPU. 2 GiB pods: exactly 12 a GPU, which a
    // milli conversion (83.3 -> 84 milli each) would cut to 11.
    let mut c = ClusterState::default();
    c.add_node(&share_node("s", 2, 24, 0, false)).unwrap();
    for i in 0..12 {
        // Binpack: the fuller GPU that fits is GPU 0 until it is full.
        assert_eq!(place_bind(&mut c, i, &mem_pod(2)).unwrap().gpus, vec![0], "pod {i}");
    }
    assert_eq!(place_bind(&mut c, 12, &mem_pod(2)).unwrap().gpus, vec![1]);
    assert_eq!(c.node(0).unwrap().gpu_mem_free, vec![0, 22]);
    // Each 2-unit pod counts as floor(1000 * 2 / 24) = 83 milli-GPU in the totals.
    assert_eq!(c.totals().gpu_milli_allocated, 13 * 83);
    // A pod bigger than what is left on any GPU: insufficient aliyun.com/gpu-mem.
    assert_eq!(c.fits(0, &mem_pod(23)), Err(Unfit::GpuMemory));
    assert_eq!(c.unfit_reason(&mem_pod(23)), Some(Unfit::GpuMemory));
    // Bigger than a whole GPU: the template refuses it.
    assert_eq!(c.fits(0, &mem_pod(25)), Err(Unfit::GpuMemory));
}

#[test]
fn spread_takes_the_emptiest_gpu() {
    let mut c = ClusterState::default();
    c.add_node(&share_node("s", 2, 24, 0, true)).unwrap();
    let gpus: Vec<u8> = (0..4).map(|i| place_bind(&mut c, i, &mem_pod(2)).unwrap().gpus[0]).collect();
    assert_eq!(gpus, vec![0, 1, 0, 1]); // ties to the lower index
}

#[test]
fn cgpu_allows_sixteen_pods_a_gpu() {
    // 128 MiB unit: 192 units a GPU. 1-unit pods fit memory-wise 192 times, cGPU allows 16.
    let mut c = ClusterState::default();
    c.add_node(&share_node("s", 1, 192, 16, false)).unwrap();
    for i in 0..16 {
        assert!(place_bind(&mut c, i, &mem_pod(1)).is_some(), "pod {i}");
    }
    assert_eq!(c.place_gpu_memory(&mem_pod(1)), None);
    assert_eq!(c.fits(0, &mem_pod(1)), Err(Unfit::GpuMemory));
    // One leaves: room for one again.
    c.unbind(3).unwrap();
    assert!(place_bind(&mut c, 99, &mem_pod(1)).is_some());
}

#[test]
fn sharing_nodes_and_other_gpu_pods_keep_apart() {
    let mut c = ClusterState::default();
    c.add_node(&share_node("s", 1, 24, 0, false)).unwrap(); // 0
    c.add_node(&node("g", 64000, 1, "A10")).unwrap(); // 1
                                                      // nvidia.com/gpu and milli shares never go on the sharing node; GPU memory only goes there.
    assert_eq!(c.fits(0, &pod(100, GpuRequest::Whole { count: 1 })), Err(Unfit::GpuSharing));
    assert_eq!(c.fits(0, &pod(100, GpuRequest::Shared { milli: 100 })), Err(Unfit::GpuSharing));
    assert_eq!(c.fits(1, &mem_pod(1)), Err(Unfit::GpuSharing));
    assert_eq!(c.place_gpu_memory(&mem_pod(1)).map(|p| p.node), Some(0));
    // To the milli-GPU policies the sharing node has no GPU: a whole-GPU pod goes to node 1.
    let whole = pod(100, GpuRequest::Whole { count: 1 });
    let pl = crate::core::PolicyName::BestFit.build(&Default::default()).place(&c, &whole, &mut crate::core::NoRandom);
    assert_eq!(pl.map(|p| p.node), Some(1));
    // A CPU pod may use the sharing node's CPU.
    assert!(c.fits(0, &pod(1000, GpuRequest::None)).is_ok());
    // Fork and revert restore memory units, pod counts and totals.
    let before = c.clone();
    let cp = c.fork();
    place_bind(&mut c, 1, &mem_pod(5)).unwrap();
    c.revert(cp).unwrap();
    assert!(c == before);
}
