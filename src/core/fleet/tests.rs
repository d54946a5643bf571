use super::*;

fn w(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(m, x)| (m.to_string(), *x)).collect()
}
fn shares(v: &[Share]) -> Vec<(&str, u32)> {
    v.iter().map(|s| (s.member.as_str(), s.replicas)).collect()
}
/// The non-zero shares (Karmada's `removeZeroReplicasCluster`).
fn placed(v: &[Share]) -> Vec<(&str, u32)> {
    v.iter().filter(|s| s.replicas > 0).map(|s| (s.member.as_str(), s.replicas)).collect()
}
fn cur(v: &[(&str, u32)]) -> Vec<Share> {
    v.iter().map(|(m, r)| Share { member: m.to_string(), replicas: *r }).collect()
}
const ASC: Tie = Tie::NameAscending;
/// The UIDs of karmada-io/karmada `pkg/util/helper/binding_test.go` (f8fdd02d, L56-57).
const EVEN_UID: &str = "4858ca61-3ff8-4095-8267-f3d059d8074c";
const ODD_UID: &str = "d43fdeeb-d750-4e2b-bee3-64eb94534f4c";

#[test]
fn available_replicas_count_free_room_and_what_the_pools_could_add() {
    use crate::core::scaleup::GroupType;
    use crate::core::GpuRequest;
    let a10 = |name: &str| NodeSpec {
        name: name.into(),
        cpu_milli: 8000,
        memory_mib: 30_000,
        gpu_count: 1,
        gpu_model: Some("A10".into()),
        ..Default::default()
    };
    let pod = PodSpec {
        name: "qwen3-8b".into(),
        cpu_milli: 2000,
        memory_mib: 8000,
        gpu: GpuRequest::Whole { count: 1 },
        ..Default::default()
    };
    let mut c = ClusterState::default();
    c.add_node(&a10("live-0")).unwrap();
    c.add_node(&a10("live-1")).unwrap();
    // Two idle A10s: 2 now. A pool with room for 3 more one-GPU nodes: 3 more.
    let pool = |room| vec![NodeGroup::new("gpu", room, None, vec![GroupType::new("a10", a10(""), 1)])];
    assert_eq!(available_replicas(&mut c, &pod, &[], 10).unwrap(), 2);
    assert_eq!(available_replicas(&mut c, &pod, &pool(3), 10).unwrap(), 5);
    // A stock-out (room 0) adds nothing; the limit caps the count.
    assert_eq!(available_replicas(&mut c, &pod, &pool(0), 10).unwrap(), 2);
    assert_eq!(available_replicas(&mut c, &pod, &pool(3), 4).unwrap(), 4);
    // Estimated on a fork: nothing stays bound.
    assert_eq!(c.totals().pods, 0);
}

#[test]
fn webster_rounds_like_sainte_lague() {
    // Weights 5:3:2, 10 seats: exactly proportional.
    assert_eq!(shares(&webster(10, &w(&[("a", 5), ("b", 3), ("c", 2)]), &[], ASC)), [("a", 5), ("b", 3), ("c", 2)]);
    // Weights 1:1, 3 seats: a, b, then the tie (1/3 each, one seat each) goes to the lower name.
    assert_eq!(shares(&webster(3, &w(&[("b", 1), ("a", 1)]), &[], ASC)), [("a", 2), ("b", 1)]);
    // 7:1, 2 seats: a (7 > 1), then a's 7/3 > b's 1: a gets both (largest remainder gives 2:0 too).
    assert_eq!(shares(&webster(2, &w(&[("a", 7), ("b", 1)]), &[], ASC)), [("a", 2), ("b", 0)]);
    // 3:1, 4 seats: a (3 > 1); a's 3/3 ties b's 1/1 and b has fewer: b; then a (1 > 1/3) and
    // a (3/5 > 1/3): a 3, b 1.
    assert_eq!(shares(&webster(4, &w(&[("a", 3), ("b", 1)]), &[], ASC)), [("a", 3), ("b", 1)]);
    // No weight at all: nothing is given.
    assert_eq!(shares(&webster(3, &w(&[("a", 0)]), &[], ASC)), [("a", 0)]);
}

#[test]
fn available_replicas_divide_the_new_replicas_and_scale_down_follows_the_assignment() {
    // Seed 001: two members with empty A10 pools that can each provision 10 nodes: 4 replicas
    // split 2 and 2.
    let up = divide_by_available(4, &[], &w(&[("cluster-1", 10), ("cluster-2", 10)]), false, ASC).unwrap();
    assert_eq!(shares(&up), [("cluster-1", 2), ("cluster-2", 2)]);
    // Scaled to 2: one each.
    assert_eq!(
        shares(&divide_by_available(2, &up, &w(&[("cluster-1", 8), ("cluster-2", 8)]), false, ASC).unwrap()),
        [("cluster-1", 1), ("cluster-2", 1)]
    );
    // The stock-out variant: the second region has no stock, so no available replica: all 4 in
    // the first.
    let out = divide_by_available(4, &[], &w(&[("cluster-1", 10), ("cluster-2", 0)]), false, ASC).unwrap();
    assert_eq!(shares(&out), [("cluster-1", 4), ("cluster-2", 0)]);
    // Growing 4 -> 7 with 1 and 5 more available: only the 3 new ones are divided, by 1:5 under
    // Webster: b (5 > 1), b (5/3 > 1), then a's 1/1 ties b's 5/5 and a has fewer: a. The old
    // replicas stay.
    let cur = vec![Share { member: "a".into(), replicas: 2 }, Share { member: "b".into(), replicas: 2 }];
    assert_eq!(
        shares(&divide_by_available(7, &cur, &w(&[("a", 1), ("b", 5)]), false, ASC).unwrap()),
        [("a", 3), ("b", 4)]
    );
    // Not enough anywhere: an error, nothing half-placed.
    assert_eq!(
        divide_by_available(9, &cur, &w(&[("a", 1), ("b", 3)]), false, ASC),
        Err(DivideError::NotEnough { wanted: 5, available: 4 })
    );
}

// The cases below are karmada-io/karmada's own, at commit f8fdd02d, restated: each names its
// test file, function and entry. Members `m1`.. stand for `member1`..

#[test]
fn static_weights_take_the_largest_matching_rule_and_fall_back_to_one_each() {
    let m = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let rule = |wt: u64, names: &[&str]| (wt, m(names));
    let three = m(&["m1", "m2", "m3"]);
    let split = |n: u32, rules: &[(u64, Vec<String>)], cands: &[String], tie: Tie| {
        let v = webster(n, &static_weights(cands, rules), &[], tie);
        v.iter().filter(|s| s.replicas > 0).map(|s| (s.member.clone(), s.replicas)).collect::<Vec<_>>()
    };
    let got = |v: Vec<(String, u32)>| v.into_iter().map(|(m, r)| format!("{m}:{r}")).collect::<Vec<_>>().join(" ");
    let w321 = [rule(3, &["m1"]), rule(2, &["m2"]), rule(1, &["m3"])];
    // scheduler/core/assignment_test.go Test_assignByStaticWeightStrategy: "replica 12, weight
    // 3:2:1", "replica 12, default weight", "replica 13, weight 3:2:1", "replica 14, ...".
    assert_eq!(got(split(12, &w321, &three, ASC)), "m1:6 m2:4 m3:2");
    assert_eq!(got(split(12, &[], &three, ASC)), "m1:4 m2:4 m3:4");
    assert_eq!(got(split(13, &w321, &three, ASC)), "m1:7 m2:4 m3:2");
    assert_eq!(got(split(14, &w321, &three, ASC)), "m1:7 m2:5 m3:2");
    // "insufficient replica assignment should get 0 replica"; "selected cluster without weight
    // should be ignored"; "cluster with multiple weights" (the largest, 2, not the first).
    let two = m(&["m1", "m2"]);
    assert_eq!(got(split(0, &[rule(1, &["m1"]), rule(1, &["m2"])], &two, ASC)), "");
    assert_eq!(got(split(2, &[rule(1, &["m1"])], &two, ASC)), "m1:2");
    assert_eq!(got(split(3, &[rule(1, &["m1"]), rule(1, &["m2"]), rule(2, &["m1"])], &two, ASC)), "m1:2 m2:1");
    // generic_scheduler_test.go Test_DistributionOfReplicas: "replica 7, static weighted 2:1:1:1"
    // and its change to 8; "replica 9 ... from 9 to 8".
    let four = m(&["m1", "m2", "m3", "m4"]);
    let w2111 = [rule(2, &["m1"]), rule(1, &["m2"]), rule(1, &["m3"]), rule(1, &["m4"])];
    assert_eq!(got(split(7, &w2111, &four, ASC)), "m1:3 m2:2 m3:1 m4:1");
    assert_eq!(got(split(8, &w2111, &four, ASC)), "m1:3 m2:2 m3:2 m4:1");
    assert_eq!(got(split(9, &w2111, &four, ASC)), "m1:3 m2:2 m3:2 m4:2");
    // No candidate matches any rule: weight 1 each (division_algorithm.go L63-70), and an odd
    // UID sends the tie the other way.
    assert_eq!(got(split(5, &[rule(5, &["m4"])], &three, ASC)), "m1:2 m2:2 m3:1");
    assert_eq!(got(split(5, &[rule(5, &["m4"])], &three, Tie::of_uid(ODD_UID))), "m1:1 m2:2 m3:2");
}

#[test]
fn the_uid_hash_flips_the_name_order_of_ties() {
    // binding_test.go Test_dispenser_AllocateByWeight "brand new assign 5 replicas with odd uuid"
    // / "... even uuid": weights 1:1, 5 replicas.
    assert_eq!(Tie::of_uid(ODD_UID), Tie::NameDescending);
    assert_eq!(Tie::of_uid(EVEN_UID), Tie::NameAscending);
    assert_eq!(Tie::of_uid(""), Tie::NameAscending);
    let ab = w(&[("A", 1), ("B", 1)]);
    assert_eq!(shares(&webster(5, &ab, &[], Tie::of_uid(ODD_UID))), [("A", 2), ("B", 3)]);
    assert_eq!(shares(&webster(5, &ab, &[], Tie::of_uid(EVEN_UID))), [("A", 3), ("B", 2)]);
}

#[test]
fn webster_with_initial_seats_as_the_dispenser() {
    // binding_test.go Test_dispenser_AllocateByWeight: "Scale up 6 / 3 / 2 replicas" from A1 B2
    // C3 by 1:2:3; "HA scenario with weight 2:1"; "brand new assign 5 / 6 replicas" 170:110:60.
    let init = cur(&[("A", 1), ("B", 2), ("C", 3)]);
    let w123 = w(&[("A", 1), ("B", 2), ("C", 3)]);
    assert_eq!(shares(&webster(6, &w123, &init, ASC)), [("A", 2), ("B", 4), ("C", 6)]);
    assert_eq!(shares(&webster(3, &w123, &init, ASC)), [("A", 2), ("B", 3), ("C", 4)]);
    assert_eq!(shares(&webster(2, &w123, &init, ASC)), [("A", 1), ("B", 3), ("C", 4)]);
    let ha = w(&[("A", 2), ("B", 1)]);
    assert_eq!(shares(&webster(1, &ha, &[], ASC)), [("A", 1), ("B", 0)]);
    assert_eq!(shares(&webster(2, &ha, &[], ASC)), [("A", 1), ("B", 1)]);
    assert_eq!(shares(&webster(3, &ha, &[], ASC)), [("A", 2), ("B", 1)]);
    let big = w(&[("A", 170), ("B", 110), ("C", 60)]);
    assert_eq!(shares(&webster(5, &big, &[], ASC)), [("A", 2), ("B", 2), ("C", 1)]);
    assert_eq!(shares(&webster(6, &big, &[], ASC)), [("A", 3), ("B", 2), ("C", 1)]);
    // webstermethod_test.go TestAllocateWebsterSeats, the classic case, 1..=8 seats.
    let parties = w(&[("A", 100_000), ("B", 80_000), ("C", 30_000), ("D", 20_000)]);
    let want = [
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [2, 1, 0, 0],
        [2, 1, 1, 0],
        [2, 2, 1, 0],
        [2, 2, 1, 1],
        [3, 2, 1, 1],
        [3, 3, 1, 1],
    ];
    for (n, row) in want.iter().enumerate() {
        let got: Vec<u32> = webster(n as u32 + 1, &parties, &[], ASC).iter().map(|s| s.replicas).collect();
        assert_eq!(got, row, "{} seats", n + 1);
    }
    // "tie-breaker is nil, expect break tie by seats": A3 (1 seat) ties B1 (0 seats): B.
    assert_eq!(shares(&webster(1, &w(&[("A", 3), ("B", 1)]), &cur(&[("A", 1)]), ASC)), [("A", 1), ("B", 1)]);
    // "... initialAssignments party not in partyVotes": PartyB keeps its 3, gets none.
    assert_eq!(
        shares(&webster(2, &w(&[("PartyA", 100)]), &cur(&[("PartyB", 3)]), ASC)),
        [("PartyA", 2), ("PartyB", 3)]
    );
}

#[test]
fn dynamic_weight_divides_by_uncapped_availability() {
    let dw = |n: u32, c: &[(&str, u32)], a: &[(&str, u64)]| divide_by_available(n, &cur(c), &w(a), false, ASC);
    // division_algorithm_test.go Test_dynamicDivideReplicas: "replica 12, dynamic weight
    // 18:12:6", "... 20:12:6" (not capped at 12: capping would give 5:5:2), "... 6:12:6".
    assert_eq!(placed(&dw(12, &[], &[("m1", 18), ("m2", 12), ("m3", 6)]).unwrap()), [("m1", 6), ("m2", 4), ("m3", 2)]);
    assert_eq!(placed(&dw(12, &[], &[("m1", 20), ("m2", 12), ("m3", 6)]).unwrap()), [("m1", 6), ("m2", 4), ("m3", 2)]);
    assert_eq!(placed(&dw(12, &[], &[("m1", 6), ("m2", 12), ("m3", 6)]).unwrap()), [("m1", 3), ("m2", 6), ("m3", 3)]);
    // assignment_test.go Test_dynamicScale: "replica 12 -> 6, dynamic weighted 1:1:1" (by the
    // assignment 2:4:6), "12 -> 24, 10:10:10" (the 12 new ones 4:4:4 on top), "12 -> 24, 1:1:1"
    // (not enough).
    let prev = [("m1", 2), ("m2", 4), ("m3", 6)];
    assert_eq!(placed(&dw(6, &prev, &[("m1", 1), ("m2", 1), ("m3", 1)]).unwrap()), [("m1", 1), ("m2", 2), ("m3", 3)]);
    assert_eq!(
        placed(&dw(24, &prev, &[("m1", 10), ("m2", 10), ("m3", 10)]).unwrap()),
        [("m1", 6), ("m2", 8), ("m3", 10)]
    );
    assert!(dw(24, &prev, &[("m1", 1), ("m2", 1), ("m3", 1)]).is_err());
    // Test_dynamicScaleUp: "replica 12, dynamic weight 6:8:10", "8:8:10", "3:3:3" (not enough),
    // "3:3, with cluster3 disappeared and cluster2 appeared" (m3's 6 counted as new).
    assert_eq!(placed(&dw(12, &[], &[("m1", 6), ("m2", 8), ("m3", 10)]).unwrap()), [("m1", 3), ("m2", 4), ("m3", 5)]);
    assert_eq!(placed(&dw(12, &[], &[("m1", 8), ("m2", 8), ("m3", 10)]).unwrap()), [("m1", 4), ("m2", 4), ("m3", 4)]);
    assert!(dw(12, &[], &[("m1", 3), ("m2", 3), ("m3", 3)]).is_err());
    assert_eq!(placed(&dw(12, &[("m1", 6), ("m3", 6)], &[("m1", 3), ("m2", 3)]).unwrap()), [("m1", 9), ("m2", 3)]);
}

#[test]
fn aggregated_uses_the_fewest_members() {
    let agg = |n: u32, c: &[(&str, u32)], a: &[(&str, u64)]| divide_by_available(n, &cur(c), &w(a), true, ASC);
    // Test_dynamicDivideReplicas "replica 12, aggregated 12:6:6" and "... 6:6:6" (the first two).
    assert_eq!(placed(&agg(12, &[], &[("m1", 6), ("m2", 12), ("m3", 6)]).unwrap()), [("m2", 12)]);
    assert_eq!(placed(&agg(12, &[], &[("m1", 6), ("m2", 6), ("m3", 6)]).unwrap()), [("m1", 6), ("m2", 6)]);
    // Test_dynamicScale: "12 -> 6, aggregated 1:1:1" (scale-down by 8:4: m2 alone holds 6),
    // "12 -> 8, aggregated 100:100", "12 -> 24, aggregated 4:6:8", "... 6:6:20", "... 1:1:1"
    // (not enough), "... 4:8:12, with cluster2 disappeared and cluster4 appeared".
    let prev = [("m1", 4), ("m2", 8)];
    assert_eq!(placed(&agg(6, &prev, &[("m1", 1), ("m2", 1), ("m3", 1)]).unwrap()), [("m2", 6)]);
    assert_eq!(placed(&agg(8, &prev, &[("m1", 100), ("m2", 100)]).unwrap()), [("m2", 8)]);
    assert_eq!(
        placed(&agg(24, &prev, &[("m1", 4), ("m2", 6), ("m3", 8)]).unwrap()),
        [("m1", 7), ("m2", 12), ("m3", 5)]
    );
    assert_eq!(placed(&agg(24, &prev, &[("m1", 6), ("m2", 6), ("m3", 20)]).unwrap()), [("m1", 10), ("m2", 14)]);
    assert!(agg(24, &prev, &[("m1", 1), ("m2", 1), ("m3", 1)]).is_err());
    assert_eq!(
        placed(&agg(24, &prev, &[("m1", 4), ("m3", 8), ("m4", 12)]).unwrap()),
        [("m1", 7), ("m3", 7), ("m4", 10)]
    );
    // Test_dynamicScaleUp "replica 12, aggregated 6:8:10" (m3 and m2, 7:5) and "12:8:10".
    assert_eq!(placed(&agg(12, &[], &[("m1", 6), ("m2", 8), ("m3", 10)]).unwrap()), [("m2", 5), ("m3", 7)]);
    assert_eq!(placed(&agg(12, &[], &[("m1", 12), ("m2", 8), ("m3", 10)]).unwrap()), [("m1", 12)]);
}

#[test]
fn cluster_spread_constraints_select_by_score_then_resources() {
    // spreadconstraint/select_clusters_test.go TestSelectBestClusters: candidates (score,
    // available) m4 (60, 50), m2 (40, 60), m3 (30, 80), m1 (20, 40).
    let c = |m: &str, score, available| Candidate { member: m.into(), score, available };
    let cands = [c("m1", 20, 40), c("m2", 40, 60), c("m3", 30, 80), c("m4", 60, 50)];
    let sel = |max, min, need| select_by_cluster_spread(&cands, max, min, need);
    // "select clusters by cluster score" / "... duplicated": resources ignored.
    assert_eq!(sel(2, 1, None).unwrap(), ["m4", "m2"]);
    // "... and satisfy available resources": m4 + m2 hold 110 < 120: m2's slot goes to m3.
    assert_eq!(sel(2, 1, Some(120)).unwrap(), ["m4", "m3"]);
    // "... and insufficient resources"; "... exceeded the number of available clusters".
    assert_eq!(sel(2, 1, Some(200)).unwrap_err(), "no enough resource when selecting 2 clusters");
    assert!(sel(7, 7, Some(30)).unwrap_err().contains("less than spreadConstraint.MinGroups"));
}

#[test]
fn cluster_affinity_matches_as_karmada_cluster_matches() {
    // TestClusterMatches (karmada-io/karmada `pkg/util/cluster_test.go` at f8fdd02d): cluster1,
    // labelled foo=bar, in zone1, with no provider.
    use crate::core::selector::{Requirement, SelectorOperator};
    use std::collections::BTreeMap;
    let map = |v: &[(&str, &str)]| v.iter().map(|(k, x)| (k.to_string(), x.to_string())).collect::<BTreeMap<_, _>>();
    let (labels, fields) = (map(&[("foo", "bar")]), map(&[("zone", "zone1")]));
    let foo =
        |v: &str| Some(vec![Requirement { key: "foo".into(), operator: SelectorOperator::In, values: vec![v.into()] }]);
    let exists =
        |k: &str| Some(vec![Requirement { key: k.into(), operator: SelectorOperator::Exists, values: vec![] }]);
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let m = |a: ClusterAffinity| a.matches("cluster1", &labels, &fields);
    let a = |n: &[&str], l, f| ClusterAffinity { names: names(n), exclude: vec![], labels: l, fields: f };
    assert!(!m(ClusterAffinity { exclude: names(&["cluster1"]), ..ClusterAffinity::default() }), "cluster excluded");
    // Case 1: labels, names and fields together.
    assert!(!m(a(&[], foo("unmatched"), exists("zone"))), "[case 1] labels not matched");
    assert!(!m(a(&["unmatched"], foo("bar"), exists("zone"))), "[case 1] clusterNames not matched");
    assert!(!m(a(&["cluster1"], foo("bar"), exists("provider"))), "[case 1] fields not matched");
    assert!(m(a(&["cluster1"], foo("bar"), exists("zone"))), "[case 1] matched");
    // Case 2: labels alone; case 3: labels and names; case 4: labels and fields.
    assert!(!m(a(&[], foo("unmatched"), None)));
    assert!(m(a(&[], foo("bar"), None)));
    assert!(!m(a(&["cluster1"], foo("unmatched"), None)));
    assert!(!m(a(&["unmatched"], foo("bar"), None)));
    assert!(m(a(&["cluster1"], foo("bar"), None)));
    assert!(!m(a(&[], foo("unmatched"), exists("zone"))));
    assert!(!m(a(&[], foo("bar"), exists("provider"))));
    assert!(m(a(&[], foo("bar"), exists("zone"))));
    // Case 5: names and fields; case 6: names alone; case 7: fields alone; case 8: nothing.
    assert!(!m(a(&["unmatched"], None, exists("zone"))));
    assert!(!m(a(&["cluster1"], None, exists("provider"))));
    assert!(m(a(&["cluster1"], None, exists("zone"))));
    assert!(!m(a(&["unmatched"], None, None)));
    assert!(m(a(&["cluster1"], None, None)));
    assert!(!m(a(&[], None, exists("provider"))));
    assert!(m(a(&[], None, exists("zone"))));
    assert!(m(ClusterAffinity::default()), "[case 8] an empty affinity matches");
}
