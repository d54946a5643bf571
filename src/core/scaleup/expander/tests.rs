//! The expanders on the cases of upstream's own tests (kubernetes/autoscaler
//! `cluster-autoscaler/expander/*/..._test.go` at commit f7bb0c36), restated: each option is a
//! node group's template, a node count and the pods it helps.

use super::*;
use crate::core::scaleup::GroupType;
use crate::core::NodeSpec;

const MIB: u64 = 1;

fn node(cpu_milli: u64, memory_mib: u64, gpus: u32) -> NodeSpec {
    NodeSpec { cpu_milli, memory_mib, gpu_count: gpus, ..Default::default() }
}

fn group(name: &str, n: NodeSpec, priority: Option<i32>) -> NodeGroup {
    NodeGroup::new(name, 100, priority, vec![GroupType::new(name, n, 1_000_000)])
}

/// An option of group `g` adding `nodes` nodes for `pods` pods of `cpu`/`mem` each.
fn opt(g: usize, nodes: u32, pods: usize, cpu: u64, mem: u64) -> ScaleUpOption {
    ScaleUpOption {
        group: g,
        ty: 0,
        nodes,
        pods: (0..pods as u64).collect(),
        on_node: vec![0; pods],
        waste_permille: 0,
        price_micro_h: 1_000_000 * nodes as u64,
        pod_cpu_milli: cpu * pods as u64,
        pod_memory_mib: mem * pods as u64,
        pod_gpu_milli: 0,
    }
}

fn keep(e: Expander, opts: &[ScaleUpOption], groups: &[NodeGroup]) -> Vec<usize> {
    let all: Vec<usize> = (0..opts.len()).collect();
    filter(e, &all, opts, groups, 1, &mut |_| 0)
}

fn waste_groups() -> Vec<NodeGroup> {
    // waste_test.go TestLeastWaste: balanced 8 CPU / 16000 MiB, highmem 8 / 32000, lowcpu 4 / 16000.
    vec![
        group("balanced", node(8000, 16_000 * MIB, 0), None),
        group("highmem", node(8000, 32_000 * MIB, 0), None),
        group("lowcpu", node(4000, 16_000 * MIB, 0), None),
    ]
}

#[test]
fn least_waste_scores_cpu_and_memory_shares() {
    // waste_test.go TestLeastWaste: one 500m / 1000 MiB pod.
    let g = waste_groups();
    let score = |k: usize, pods: usize| waste_score(&opt(k, 1, pods, 500, 1000), &g[k]);
    assert_eq!(score(0, 0), 2.0, "no pods: everything idle");
    assert_eq!(score(0, 1), 1.875);
    assert_eq!(score(1, 1), 1.90625);
    assert_eq!(score(2, 1), 1.8125);
    let one = [opt(0, 1, 1, 500, 1000)];
    assert_eq!(keep(Expander::LeastWaste, &one, &g), [0], "one option");
    let two = [opt(0, 1, 1, 500, 1000), opt(1, 1, 1, 500, 1000)];
    assert_eq!(keep(Expander::LeastWaste, &two, &g), [0], "balanced beats highmem");
    let three = [opt(0, 1, 1, 500, 1000), opt(1, 1, 1, 500, 1000), opt(2, 1, 1, 500, 1000)];
    assert_eq!(keep(Expander::LeastWaste, &three, &g), [2], "lowcpu wastes least");
}

#[test]
fn least_waste_ignores_gpus_and_keeps_ties() {
    // Upstream scores CPU and memory only: two 1-GPU types with the same CPU and memory tie
    // whatever their GPUs, and both are kept for the next expander.
    let g = vec![group("a", node(8000, 32_000, 1), None), group("b", node(8000, 32_000, 4), None)];
    let o = [opt(0, 1, 1, 2000, 8000), opt(1, 1, 1, 2000, 8000)];
    assert_eq!(keep(Expander::LeastWaste, &o, &g), [0, 1]);
}

#[test]
fn most_pods_and_least_nodes_keep_every_tie() {
    // mostpods_test.go TestMostPods: 0 pods alone is kept; 1 beats 0; two with 1 pod both kept.
    let g = waste_groups();
    assert_eq!(keep(Expander::MostPods, &[opt(0, 1, 0, 1, 1)], &g), [0]);
    assert_eq!(keep(Expander::MostPods, &[opt(0, 1, 0, 1, 1), opt(1, 1, 1, 1, 1)], &g), [1]);
    assert_eq!(keep(Expander::MostPods, &[opt(0, 1, 0, 1, 1), opt(1, 1, 1, 1, 1), opt(2, 1, 1, 1, 1)], &g), [1, 2]);
    // leastnodes_test.go TestLeastNodes: options adding 0 nodes are never kept; the fewest win.
    let counts = |ns: &[u32]| -> Vec<ScaleUpOption> { ns.iter().map(|&n| opt(0, n, 1, 1, 1)).collect() };
    assert!(keep(Expander::LeastNodes, &counts(&[]), &g).is_empty(), "no options");
    assert!(keep(Expander::LeastNodes, &counts(&[0]), &g).is_empty(), "no valid options");
    assert_eq!(keep(Expander::LeastNodes, &counts(&[2]), &g), [0]);
    assert_eq!(keep(Expander::LeastNodes, &counts(&[2, 1]), &g), [1]);
    assert_eq!(keep(Expander::LeastNodes, &counts(&[6, 2, 2]), &g), [1, 2]);
    assert_eq!(keep(Expander::LeastNodes, &counts(&[8, 8, 8]), &g), [0, 1, 2]);
    assert_eq!(keep(Expander::LeastNodes, &counts(&[23, 0, 5, 8, 5, 5, 22]), &g), [2, 4, 5]);
}

fn price_case(pref: u64, terms: &[(u64, u32, f64, f64)]) -> (Vec<f64>, Vec<usize>) {
    // price_test.go's fake pricing: pod prices p1 = 20, p2 = 10, stabilization pod 10.
    let scores: Vec<f64> = terms
        .iter()
        .map(|&(cpu, nodes, node_price, pods_price)| {
            let t = PriceTerms {
                node_cpu_milli: cpu,
                gpu: false,
                nodes,
                nodes_price: node_price * nodes as f64,
                pods_price,
                stabilization: 10.0,
            };
            price_score(&t, pref)
        })
        .collect();
    let idx: Vec<usize> = (0..scores.len()).collect();
    let picked = best(&idx, |i| scores[i]);
    (scores, picked)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

#[test]
fn price_weighs_node_price_against_pod_price_and_preferred_size() {
    // price_test.go TestPriceExpander: ng1 has 1-CPU nodes, ng2 4-CPU nodes; both help p1 + p2
    // (pod price 30) unless said.
    // 1: ng1 two nodes at 20 against ng2 one at 200, preferred 2 CPU: ng1 (2.4168 < 10.5).
    let (s, p) = price_case(2000, &[(1000, 2, 20.0, 30.0), (4000, 1, 200.0, 30.0)]);
    assert!(close(s[0], 2.4168) && close(s[1], 10.5), "{s:?}");
    assert_eq!(p, [0]);
    // 2: ng1 at 50, preferred 4 CPU: ng2's size fits the cluster (10.4508 > 5.25).
    let (s, p) = price_case(4000, &[(1000, 2, 50.0, 30.0), (4000, 1, 200.0, 30.0)]);
    assert!(close(s[0], 10.4508) && close(s[1], 5.25), "{s:?}");
    assert_eq!(p, [1]);
    // 3: 80 and 40 nodes: the unfitness is suppressed for large scale-ups, ng1 wins on price.
    let (s, p) = price_case(4000, &[(1000, 80, 20.0, 30.0), (4000, 40, 200.0, 30.0)]);
    assert!(close(s[0], 40.2564) && close(s[1], 200.25), "{s:?}");
    assert_eq!(p, [0]);
    // 4: ng2 cheaper at 100 against 200.
    let (s, p) = price_case(2000, &[(1000, 2, 200.0, 30.0), (4000, 1, 100.0, 30.0)]);
    assert!(close(s[0], 19.8177) && close(s[1], 5.5), "{s:?}");
    assert_eq!(p, [1]);
    // 5: equal node prices, ng2 runs both pods, ng1 only p1 (pod price 20).
    let (s, p) = price_case(2000, &[(1000, 2, 200.0, 20.0), (4000, 1, 200.0, 30.0)]);
    assert!(close(s[0], 26.4236) && close(s[1], 10.5), "{s:?}");
    assert_eq!(p, [1]);
}

#[test]
fn price_prefers_nodes_sized_for_the_cluster_and_sets_gpu_nodes_apart() {
    // preferred_test.go TestPreferredNode: 1, 3, 9, 27, 81, 243, 500 nodes.
    let cores: Vec<u64> = [1, 3, 9, 27, 81, 243, 500].iter().map(|&n| preferred_node_cpu_milli(n) / 1000).collect();
    assert_eq!(cores, [1, 2, 4, 8, 16, 32, 32]);
    for (n, c) in [(0, 1), (2, 1), (6, 2), (7, 4), (20, 4), (21, 8), (60, 8), (61, 16), (200, 16), (201, 32)] {
        assert_eq!(preferred_node_cpu_milli(n), c * 1000, "{n} nodes");
    }
    // TestSimpleNodeUnfitness: 1 CPU against 2 either way is 2, equal sizes 1 (one node, ratio 1).
    let unfit = |node: u64, pref: u64| {
        let t = PriceTerms {
            node_cpu_milli: node,
            gpu: false,
            nodes: 1,
            nodes_price: 1.0,
            pods_price: 1.0,
            stabilization: 0.0,
        };
        price_score(&t, pref)
    };
    assert_eq!((unfit(2000, 1000), unfit(1000, 2000), unfit(1000, 1000)), (2.0, 2.0, 1.0));
    // A GPU node's unfitness is 1000 whatever its size.
    let t =
        PriceTerms { node_cpu_milli: 2000, gpu: true, nodes: 1, nodes_price: 1.0, pods_price: 1.0, stabilization: 0.0 };
    assert_eq!(price_score(&t, 2000), 1000.0);
}

#[test]
fn tanh_is_exact_enough() {
    for x in [0.0, 1.0 / 15.0, 0.5, 1.0, 3.0, 79.0 / 15.0, 19.9] {
        assert!((tanh(x) - f64::tanh(x)).abs() < 1e-14, "{x}");
    }
    assert_eq!(tanh(0.0), 0.0);
}

fn prio_groups() -> Vec<NodeGroup> {
    // priority_test.go: t2.micro at 5, t2.large and t3.large at 10, m4.4xlarge at 50.
    vec![
        group("my-asg.t2.micro", node(1000, 1000, 0), Some(5)),
        group("my-asg.t2.large", node(2000, 8000, 0), Some(10)),
        group("my-asg.t3.large", node(2000, 8000, 0), Some(10)),
        group("my-asg.m4.4xlarge", node(16_000, 64_000, 0), Some(50)),
    ]
}

#[test]
fn priority_keeps_the_highest_and_leaves_unnamed_groups_out() {
    let g = prio_groups();
    let o: Vec<ScaleUpOption> = (0..4).map(|k| opt(k, 1, 1, 100, 100)).collect();
    let pick = |ks: &[usize]| -> Vec<usize> {
        let sub: Vec<ScaleUpOption> = ks.iter().map(|&k| o[k].clone()).collect();
        keep(Expander::Priority, &sub, &g).into_iter().map(|i| ks[i]).collect()
    };
    // ...FiltersSingleMatchingOptionOutOfOne / OutOfMany / TwoMatchingOptionsOutOfMany.
    assert_eq!(pick(&[1]), [1]);
    assert_eq!(pick(&[1, 3]), [3]);
    assert_eq!(pick(&[1, 2, 0]), [1, 2]);
    // ...HandlesConfigUpdate: only t2.large is named; t3.large and m4.4xlarge are left out.
    let mut one = g.clone();
    for (k, p) in [(0, None), (1, Some(10)), (2, None), (3, None)] {
        one[k].priority = p;
    }
    assert_eq!(filter(Expander::Priority, &[1, 2, 3], &o, &one, 1, &mut |_| 0), [1]);
    // No group named at all (or only below -1): every option is kept (upstream ignores its
    // configuration then).
    let mut none = g.clone();
    for x in &mut none {
        x.priority = None;
    }
    assert_eq!(filter(Expander::Priority, &[1, 2], &o, &none, 1, &mut |_| 0), [1, 2]);
    none[1].priority = Some(-2);
    assert_eq!(filter(Expander::Priority, &[1, 2], &o, &none, 1, &mut |_| 0), [1, 2]);
    none[2].priority = Some(-1);
    assert_eq!(filter(Expander::Priority, &[1, 2], &o, &none, 1, &mut |_| 0), [2], "-1 can be picked");
}

#[test]
fn the_chain_stops_at_one_option_and_draws_among_the_ties_left() {
    // chain_test.go TestChainStrategy_BestOption, restated with real expanders: priority keeps
    // t2.large and t3.large (10), least-waste cannot tell them apart, the random draw decides.
    let g = prio_groups();
    let o: Vec<ScaleUpOption> = (0..4).map(|k| opt(k, 1, 1, 100, 100)).collect();
    let sub = [o[0].clone(), o[1].clone(), o[2].clone()];
    let chain = Expanders::parse("priority,least-waste").unwrap();
    let mut draws = Vec::new();
    let got = expand(&sub, &g, &chain, 1, |n| {
        draws.push(n);
        n - 1
    });
    assert_eq!((got, draws), (Some(2), vec![2]), "a draw among the two left");
    // One option left after the first expander: the rest are never consulted, nothing drawn.
    let mut drawn = false;
    let got = expand(&o, &g, &chain, 1, |_| {
        drawn = true;
        0
    });
    assert_eq!((got, drawn), (Some(3), false));
    assert_eq!(expand(&[], &g, &chain, 1, |_| 0), None);
}

#[test]
fn the_chain_is_parsed_as_upstream_builds_it() {
    // expander_factory.go Factory.Build.
    assert_eq!(Expanders::parse("least-waste").unwrap().to_string(), "least-waste");
    assert_eq!(Expanders::parse("priority,least-waste").unwrap().to_string(), "priority,least-waste");
    assert!(Expanders::parse("most-pods,random").is_ok(), "random may come last");
    assert!(Expanders::parse("price,price").unwrap_err().contains("twice"));
    assert!(Expanders::parse("random,random").unwrap_err().contains("twice"), "duplicates are checked first");
    assert!(Expanders::parse("random,most-pods").unwrap_err().contains("after `random`"));
    assert!(Expanders::parse("foo").unwrap_err().contains("not an expander"));
    assert!(Expanders::parse("").unwrap_err().contains("not an expander"));
    assert!(Expanders::parse("most-pods, random").unwrap_err().contains("` random`"), "no trimming");
}
