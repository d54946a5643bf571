//! The HPA against kubernetes/kubernetes' own tests: `pkg/controller/podautoscaler/
//! horizontal_test.go` at 88cca833 and `replica_calculator_test.go` (its newest copy), restated.
//! A pod's CPU usage and request stand for its tokens/s and capacity: the controller's arithmetic
//! is the same. Upstream's tests raise the no-behavior scale-up factor from 2 to 8; these cases
//! use the production factor.

use super::*;

fn hpa(min: u32, max: u32, target_pct: u64) -> Hpa {
    Hpa {
        min,
        max,
        metrics: vec![Metric::TokensUtilization(target_pct * 10)],
        sync: SimTime::from_secs(15),
        tolerance_permille: 100,
        behavior: None,
        downscale_stabilization: SimTime::from_secs(300),
    }
}

fn with_behavior(h: Hpa, up: Rules, down: Rules) -> Hpa {
    Hpa { behavior: Some(Behavior { up, down }), ..h }
}

// Ten hours in: every age a case gives (up to 6,000 s) lies after the start.
const NOW: SimTime = SimTime(36_000_000);
fn ago(s: u64) -> SimTime {
    SimTime(NOW.0 - s * 1000)
}

/// Pods as upstream's tests list them: (usage, request) of each ready pod with a metric; the
/// requests of pods without a metric and of pending (or unready) ones.
fn pods(ready: &[(u64, u64)], missing: &[u64], unready: &[u64]) -> Observed {
    Observed {
        demand_per_s: ready.iter().map(|p| p.0).sum::<u64>() as f64,
        requests_per_s: 0.0,
        queued_tokens: 0,
        serving: ready.len() as u32,
        serving_capacity: ready.iter().map(|p| p.1).sum(),
        missing: missing.len() as u32,
        missing_capacity: missing.iter().sum(),
        unready: unready.len() as u32,
        unready_capacity: unready.iter().sum(),
    }
}

/// A state that has seen the HPA, with `recs` recommendations (age s, value).
fn history(recs: &[(u64, u32)]) -> HpaState {
    HpaState { seen: true, recs: recs.iter().map(|&(a, r)| (ago(a), r)).collect(), ..HpaState::default() }
}

/// `generateScalingRules(pods, podsPeriod, percent, percentPeriod, window)`: Max of the
/// policies given (a 0 value leaves its policy out).
fn rules(pods: u32, pods_p: u64, pct: u32, pct_p: u64, window: u64) -> Rules {
    let mut policies = Vec::new();
    if pods > 0 {
        policies.push(Policy::Pods { value: pods, period: SimTime::from_secs(pods_p) });
    }
    if pct > 0 {
        policies.push(Policy::Percent { value: pct, period: SimTime::from_secs(pct_p) });
    }
    Rules { window: SimTime::from_secs(window), policies, select: Select::Max }
}

#[test]
fn the_first_sync_records_the_current_size_so_scale_down_waits() {
    // TestScaleDownStabilizeInitialSize: 5 replicas at 28 % of a 50 % target would be 3, but the
    // initial recommendation (5, now) holds them; TestScaleDown, without it, gives 3.
    let h = hpa(2, 6, 50);
    let m = pods(&[(100, 1000), (300, 1000), (500, 1000), (250, 1000), (250, 1000)], &[], &[]);
    assert_eq!(h.sync(&mut HpaState::default(), NOW, 5, &m), (5, Why::Metric));
    assert_eq!(h.sync(&mut history(&[]), NOW, 5, &m).0, 3);
    // TestStabilizeDownscale: 3 pods at 50 % of 100 % propose 2; the recommendation of 4 a
    // minute ago holds 4 (the 10 of 10 minutes ago is out of the window).
    let h = hpa(1, 5, 100);
    let m = pods(&[(50, 100), (50, 100), (50, 100)], &[], &[]);
    assert_eq!(h.sync(&mut history(&[(600, 10), (60, 4)]), NOW, 4, &m).0, 4);
}

#[test]
fn stabilization_without_a_behavior_takes_the_largest_recent_recommendation() {
    // TestNormalizeDesiredReplicas (window 5 min): "stabilize", "no stabilize", "no stabilize -
    // old recommendations", "stabilize - old recommendations"; normalize at a current of 3.
    let h = hpa(1, 100, 50);
    let norm = |recs: &[(u64, u32)], desired: u32| h.normalize(&mut history(recs), NOW, 3, desired);
    assert_eq!(norm(&[(120, 4), (60, 5)], 3), 5);
    assert_eq!(norm(&[(120, 1), (60, 2)], 3), 3);
    assert_eq!(norm(&[(600, 10), (540, 9)], 3), 3);
    assert_eq!(norm(&[(600, 10), (60, 4), (120, 5), (540, 9)], 3), 5);
    // The window's edge counts (only samples `Before(cutoff)` drop out).
    assert_eq!(norm(&[(300, 9)], 3), 6, "9 exactly 300 s old still counts, capped at max(2 x 3, 4)");
    assert_eq!(norm(&[(301, 9)], 3), 3);
}

#[test]
fn stabilization_with_a_behavior_uses_each_direction_window() {
    // TestNormalizeDesiredReplicasWithBehavior (stabilizeRecommendationWithBehaviors), each
    // (history, current, desired, up window, down window) -> result. The rate limits are out
    // of reach: each case's policies allow 1,000 %.
    let wide = |w: u64| Rules { window: SimTime::from_secs(w), ..rules(0, 0, 1000, 15, 0) };
    let case = |recs: &[(u64, u32)], cur: u32, desired: u32, up: u64, down: u64| {
        let h = with_behavior(hpa(0, 1000, 50), wide(up), wide(down));
        h.normalize(&mut history(recs), NOW, cur, desired)
    };
    assert_eq!(case(&[], 100, 5, 0, 0), 5, "empty recommendations for scaling down");
    assert_eq!(case(&[(120, 4), (60, 5)], 100, 3, 0, 180), 5, "simple scale down stabilization");
    assert_eq!(case(&[(120, 4), (60, 5)], 1, 7, 300, 0), 4, "simple scale up stabilization");
    assert_eq!(case(&[(120, 1), (60, 2)], 100, 3, 300, 0), 3, "no scale down stabilization");
    assert_eq!(case(&[(120, 4), (60, 5)], 1, 3, 0, 300), 3, "no scale up stabilization");
    assert_eq!(case(&[(600, 10), (60, 4), (120, 5), (540, 9)], 100, 3, 0, 180), 5);
    assert_eq!(case(&[(6000, 10), (60, 6), (120, 5), (180, 9)], 1, 100, 300, 0), 5);
    assert_eq!(case(&[(6000, 2), (180, 3)], 2, 1, 300, 300), 2, "do not scale up when the proposal goes down");
    assert_eq!(case(&[(6000, 2), (180, 1)], 2, 3, 300, 300), 2, "do not scale down when the proposal goes up");
    // The window's edge does not count here (`After(cutoff)`).
    assert_eq!(case(&[(180, 9)], 100, 3, 0, 180), 3);
}

#[test]
fn rate_limits_count_both_directions_within_the_period() {
    // TestScalingWithRules (convertDesiredReplicasWithBehaviorRate): (events up, events down as
    // (age s, replicas), rules up, rules down, min, max, current, desired) -> expected.
    let default_down = Rules::default_down();
    let case = |ups: &[(u64, u32)], downs: &[(u64, u32)], up: Rules, down: Rules, min, max, cur, desired| {
        let h = with_behavior(hpa(min, max, 50), up, down);
        let mut st = history(&[]);
        st.ups = ups.iter().map(|&(a, n)| (ago(a), n)).collect();
        st.downs = downs.iter().map(|&(a, n)| (ago(a), n)).collect();
        // No stabilization: the windows are 0 and the history empty.
        let h = Hpa {
            behavior: h.behavior.map(|b| Behavior {
                up: Rules { window: SimTime::ZERO, ..b.up },
                down: Rules { window: SimTime::ZERO, ..b.down },
            }),
            ..h
        };
        h.normalize(&mut st, NOW, cur, desired)
    };
    let d = Rules::default_up;
    assert_eq!(case(&[], &[], d(), default_down.clone(), 3, 8, 5, 7), 7, "within range");
    assert_eq!(case(&[], &[], d(), default_down.clone(), 2, 8, 3, 1), 2, "below minReplicas");
    assert_eq!(case(&[], &[], d(), default_down.clone(), 0, 10, 1, 0), 0, "minReplicas 0");
    assert_eq!(case(&[], &[], d(), default_down.clone(), 1, 10, 20, 1000), 10, "maxReplicas below the limit");
    assert_eq!(case(&[], &[], rules(0, 0, 1, 60, 0), default_down.clone(), 1, 2000, 3, 1000), 4, "ceil(3 x 1.01)");
    assert_eq!(case(&[], &[], d(), default_down.clone(), 1, 1000, 10, 50), 20, "default: max(10 + 4, 2 x 10)");
    assert_eq!(case(&[], &[], rules(100, 60, 100, 60, 0), default_down.clone(), 1, 1000, 10, 500), 110);
    assert_eq!(case(&[], &[], rules(2, 60, 100, 60, 0), default_down.clone(), 1, 1000, 10, 500), 20);
    assert_eq!(case(&[], &[], d(), rules(20, 60, 1, 60, 300), 1, 1000, 100, 2), 80, "scale down by the larger");
    assert_eq!(case(&[], &[], d(), rules(2, 60, 1, 60, 300), 1, 1000, 100, 2), 98);
    assert_eq!(case(&[], &[], d(), rules(100, 60, 0, 0, 300), 1, 1000, 10, 0), 1, "minReplicas holds");
    assert_eq!(case(&[], &[], d(), rules(0, 0, 50, 60, 300), 1, 1000, 10, 5), 5);
    // With events: up 1, 5, 9 at 100, 60, 20 s ago.
    let ups = [(100, 1), (60, 5), (20, 9)];
    assert_eq!(case(&ups, &[], rules(300, 60, 0, 0, 0), default_down.clone(), 1, 200, 100, 500), 200);
    assert_eq!(case(&ups, &[], rules(5, 120, 0, 0, 0), default_down.clone(), 1, 1000, 100, 500), 100, "no growth");
    assert_eq!(case(&ups, &[], rules(150, 120, 0, 0, 0), default_down.clone(), 1, 1000, 100, 500), 235);
    assert_eq!(case(&ups, &[], rules(0, 0, 200, 120, 0), default_down.clone(), 1, 1000, 100, 500), 255);
    // "scaleUp with percent policy and previous scale up and down events": start 6 - 4 + 2.
    assert_eq!(case(&[(60, 4)], &[(60, 2)], rules(0, 0, 300, 300, 0), default_down.clone(), 1, 1000, 6, 24), 16);
    // Scale-down with events: down 1, 5, 9 at 100, 60, 20 s ago.
    let downs = [(100, 1), (60, 5), (20, 9)];
    assert_eq!(case(&[], &downs, d(), default_down.clone(), 1, 1000, 10, 5), 5, "none within 15 s");
    assert_eq!(case(&[], &downs, d(), rules(5, 120, 0, 0, 300), 1, 1000, 100, 2), 100);
    assert_eq!(case(&[], &downs, d(), rules(130, 120, 0, 0, 300), 5, 1000, 100, 0), 5);
    assert_eq!(case(&[], &[(100, 2), (60, 4), (20, 6)], d(), rules(0, 0, 50, 120, 300), 1, 1000, 100, 0), 56);
    assert_eq!(case(&[(60, 2)], &[(60, 4)], d(), rules(0, 0, 50, 180, 300), 1, 1000, 10, 1), 6, "start 10 - 2 + 4");
    assert_eq!(case(&[], &[(100, 10), (60, 10), (20, 10)], d(), rules(0, 0, 10, 120, 300), 1, 1000, 100, 0), 100);
    // TestCalculateScaleUpLimitWithScalingRules / ...ScaleDownLimitWithBehaviors: selectPolicy Min.
    let min = |r: Rules| Rules { select: Select::Min, ..r };
    let st = history(&[]);
    assert_eq!(limit_up(1, &st, NOW, &min(rules(2, 60, 50, 60, 0))), 2);
    assert_eq!(limit_down(5, &st, NOW, &min(rules(2, 60, 50, 60, 0))), 3);
    // TestStoreScaleEvents: an event exactly one period old no longer counts.
    let ev = |v: &[(u64, u32)]| v.iter().map(|&(a, n)| (ago(a), n)).collect::<VecDeque<_>>();
    let p60 = SimTime::from_secs(60);
    assert_eq!(changed(&ev(&[(58, 7)]), NOW, p60), 7);
    assert_eq!(changed(&ev(&[(61, 7)]), NOW, p60), 0);
    assert_eq!(changed(&ev(&[(60, 7)]), NOW, p60), 0);
    assert_eq!(changed(&ev(&[(29, 8), (59, 6), (61, 7), (61, 9)]), NOW, p60), 14);
}

#[test]
fn replicas_outside_the_range_or_at_zero_skip_the_metric() {
    let none = Observed::default();
    // TestZeroReplicas: 0 replicas with minReplicas 3: scaling disabled.
    assert_eq!(hpa(3, 5, 90).sync(&mut HpaState::default(), NOW, 0, &none), (0, Why::Disabled));
    // TestTooFewReplicas, TestTooManyReplicas: to the bound, no metric needed.
    assert_eq!(hpa(3, 5, 90).sync(&mut HpaState::default(), NOW, 2, &none), (3, Why::BelowMin));
    assert_eq!(hpa(3, 5, 90).sync(&mut HpaState::default(), NOW, 10, &none), (5, Why::AboveMax));
    // TestEmptyMetrics: no metric at all: nothing changes.
    assert_eq!(hpa(2, 6, 50).sync(&mut HpaState::default(), NOW, 4, &none), (4, Why::NoMetrics));
    // TestMinReplicas: 3 % of 90 % proposes 1, held at 2; TestMinReplicasDesiredZero and
    // TestZeroMinReplicasDesiredZero: 0 usage proposes 0.
    let low = pods(&[(10, 900), (95, 1000), (10, 1100)], &[], &[]);
    assert_eq!(hpa(2, 5, 90).sync(&mut history(&[]), NOW, 3, &low).0, 2);
    let zero = pods(&[(0, 900), (0, 1000), (0, 1100)], &[], &[]);
    assert_eq!(hpa(2, 5, 90).sync(&mut history(&[]), NOW, 3, &zero).0, 2);
    assert_eq!(hpa(0, 5, 90).sync(&mut history(&[]), NOW, 3, &zero).0, 0);
    // TestMaxReplicas: 616 % of 90 % proposes 21, held at 5.
    let hot = pods(&[(8000, 900), (9500, 1000), (1000, 1100)], &[], &[]);
    assert_eq!(hpa(2, 5, 90).sync(&mut history(&[]), NOW, 3, &hot).0, 5);
    // TestConvertDesiredReplicasWithRules, production factor: 3 -> 1000 goes to max(2 x 3, 4).
    assert_eq!(hpa(1, 2000, 50).normalize(&mut history(&[]), NOW, 3, 1000), 6);
    // TestUpscaleCap: a 700 % policy caps 3 -> 60 at 24; TestUpscaleCapGreaterThanMaxReplicas.
    let m = pods(&[(100, 100), (200, 100), (300, 100)], &[], &[]);
    let cap = |max| with_behavior(hpa(1, max, 10), rules(0, 0, 700, 60, 0), Rules::default_down());
    assert_eq!(cap(100).sync(&mut HpaState::default(), NOW, 3, &m).0, 24);
    assert_eq!(cap(20).sync(&mut HpaState::default(), NOW, 3, &m).0, 20);
}

#[test]
fn the_replica_calculator_on_tolerance_unready_and_missing_pods() {
    let calc = |target: u64, cur: u32, m: &Observed| hpa(0, 1000, target).proposal(m, cur).unwrap();
    let k = |v: &[u64]| v.iter().map(|&u| (u, 1000)).collect::<Vec<_>>();
    // TestTolerance: 102 % of 100 % is within 0.1.
    assert_eq!(calc(100, 3, &pods(&[(1010, 900), (1030, 1000), (1020, 1100)], &[], &[])), 3);
    // TestScaleUpUnreadyLessScale: an unready pod counts 0 on a scale-up: 4, not 6.
    assert_eq!(calc(30, 3, &pods(&k(&[500, 700]), &[], &[1000])), 4);
    // TestScaleUpUnreadyNoScale: with it at 0 the ratio falls below 1: no change.
    assert_eq!(calc(30, 3, &pods(&k(&[400]), &[], &[1000, 1000])), 3);
    // TestScaleDownIncludeUnreadyPods: a scale-down counts only the ready ones: ceil(0.6 x 3).
    assert_eq!(calc(50, 5, &pods(&k(&[100, 300, 500]), &[], &[1000, 1000])), 2);
    // "scale down: exclude unscheduled pods": 10 % on one pod, four pending: 1.
    assert_eq!(calc(50, 5, &pods(&k(&[100]), &[], &[1000; 4])), 1);
    // TestMissingMetrics: two pods without a metric count as 100 % on a scale-down: 3.
    assert_eq!(calc(100, 4, &pods(&[(400, 1000), (95, 1000)], &[1000, 1000], &[])), 3);
    // The "no change" family: equal (left out), above (missing at 0, within tolerance), below.
    assert_eq!(calc(100, 2, &pods(&k(&[1000]), &[1000], &[])), 2);
    assert_eq!(calc(100, 2, &pods(&k(&[1900]), &[1000], &[])), 2);
    assert_eq!(calc(100, 2, &pods(&k(&[600]), &[1000], &[])), 2);
    // ...UnreadyChange: 90 % of 50 % with a missing pod at 100 % flips the direction: 3.
    assert_eq!(calc(50, 3, &pods(&k(&[450]), &[1000], &[1000])), 3);
    // ...UnreadyScaleUp: 200 % of 50 % with the unready and missing pods at 0: 4.
    assert_eq!(calc(50, 3, &pods(&k(&[2000]), &[1000], &[1000])), 4);
    // ...UnreadyScaleDown: 10 % of 50 % with the missing pod at 100 %: 3.
    assert_eq!(calc(50, 4, &pods(&k(&[100, 100]), &[1000], &[1000])), 3);
    // ...ScaleDownTargetOver100: the missing pod counts at the 300 % target: 2.
    assert_eq!(calc(300, 4, &pods(&[(100, 1000), (100, 2000)], &[2000], &[1000])), 2);
    // TestReplicaCalcDuringRollingUpdateWithMaxSurge: 3 pods for a spec of 2; a scale-down count
    // above the spec keeps it.
    assert_eq!(calc(50, 2, &pods(&k(&[100, 100]), &[1000], &[])), 2);
    // TestMissingReports: spec 4, one pod at 100 % of 50 %: ceil(2 x 1).
    assert_eq!(calc(50, 4, &pods(&[(200, 200)], &[], &[])), 2);
    // An average-value target (calcPlainMetricReplicas): the pods' mean against it; a missing
    // pod counts at the target on a scale-down (TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM:
    // 10, 10 and one missing against 17 keeps 2).
    let v = Hpa { metrics: vec![Metric::TokensAverage(17)], ..hpa(0, 1000, 50) };
    let m = Observed {
        demand_per_s: 20.0,
        serving: 2,
        serving_capacity: 2000,
        missing: 1,
        missing_capacity: 1000,
        ..Observed::default()
    };
    assert_eq!(v.proposal(&m, 2), Some(2));
}

#[test]
fn several_metrics_take_the_largest_proposal() {
    // TestNoBackoffUpscaleCMNoBackoffCpu: a utilization metric proposing 600 and a per-replica
    // metric proposing 4: the larger wins, held at max 5. Here tokens at 10 % of capacity and
    // requests against 15 a replica.
    let h = Hpa { metrics: vec![Metric::TokensUtilization(100), Metric::RequestsAverage(15)], ..hpa(1, 5, 10) };
    let m = Observed { requests_per_s: 60.0, ..pods(&[(20_000, 1000), (10_000, 1000), (30_000, 1000)], &[], &[]) };
    assert_eq!(h.proposal(&m, 3), Some(600));
    assert_eq!(h.sync(&mut history(&[]), NOW, 3, &m).0, 5);
    // The requests metric alone: 20 a replica against 15: ceil(1.333 x 3) = 4.
    let r = Hpa { metrics: vec![Metric::RequestsAverage(15)], ..hpa(1, 5, 10) };
    assert_eq!(r.proposal(&m, 3), Some(4));
}

#[test]
fn the_status_conditions_as_upstream_sets_them() {
    let reasons = |st: &mut HpaState| {
        st.take_changed().iter().map(|c| format!("{} {} {}", c.kind, c.status, c.reason)).collect::<Vec<_>>()
    };
    // TestZeroReplicas: ScalingActive False ScalingDisabled.
    let mut st = HpaState::default();
    hpa(3, 5, 90).sync(&mut st, NOW, 0, &Observed::default());
    assert_eq!(reasons(&mut st), ["ScalingActive false ScalingDisabled"]);
    // TestTooManyReplicas: only AbleToScale True SucceededRescale.
    let mut st = HpaState::default();
    hpa(3, 5, 90).sync(&mut st, NOW, 10, &Observed::default());
    assert_eq!(reasons(&mut st), ["AbleToScale true SucceededRescale"]);
    // TestEmptyMetrics: ScalingActive False FailedGetResourceMetric.
    let mut st = HpaState::default();
    hpa(2, 6, 50).sync(&mut st, NOW, 4, &Observed::default());
    assert_eq!(reasons(&mut st), ["ScalingActive false FailedGetResourceMetric"]);
    // TestScaleDownStabilizeInitialSize: AbleToScale ScaleDownStabilized, not limited.
    let mut st = HpaState::default();
    let m = pods(&[(100, 1000), (300, 1000), (500, 1000), (250, 1000), (250, 1000)], &[], &[]);
    hpa(2, 6, 50).sync(&mut st, NOW, 5, &m);
    assert_eq!(
        reasons(&mut st),
        [
            "ScalingActive true ValidMetricFound",
            "AbleToScale true ScaleDownStabilized",
            "ScalingLimited false DesiredWithinRange"
        ]
    );
    // TestMinReplicas: limited, TooFewReplicas; TestTolerance: ReadyForNewScale.
    let mut st = history(&[]);
    hpa(2, 5, 90).sync(&mut st, NOW, 3, &pods(&[(10, 900), (95, 1000), (10, 1100)], &[], &[]));
    assert!(reasons(&mut st).contains(&"ScalingLimited true TooFewReplicas".to_string()));
    let mut st = history(&[]);
    hpa(1, 5, 100).sync(&mut st, NOW, 3, &pods(&[(1010, 900), (1030, 1000), (1020, 1100)], &[], &[]));
    assert!(reasons(&mut st).contains(&"AbleToScale true ReadyForNewScale".to_string()));
    // TestUpscaleCap: ScaleUpLimit; TestUpscaleCapGreaterThanMaxReplicas: TooManyReplicas.
    let m = pods(&[(100, 100), (200, 100), (300, 100)], &[], &[]);
    for (max, want) in [(100, "ScalingLimited true ScaleUpLimit"), (20, "ScalingLimited true TooManyReplicas")] {
        let h = with_behavior(hpa(1, max, 10), rules(0, 0, 700, 60, 0), Rules::default_down());
        let mut st = HpaState::default();
        h.sync(&mut st, NOW, 3, &m);
        assert!(reasons(&mut st).contains(&want.to_string()), "max {max}");
    }
    // A condition already reported is not reported again.
    let mut st = HpaState::default();
    hpa(3, 5, 90).sync(&mut st, NOW, 0, &Observed::default());
    st.take_changed();
    hpa(3, 5, 90).sync(&mut st, SimTime(NOW.0 + 15_000), 0, &Observed::default());
    assert!(st.take_changed().is_empty());
}

#[test]
fn an_external_queue_metric_divides_the_total_by_the_target_per_pod() {
    // GetExternalPerPodMetricReplicas (TestReplicaCalcExternalPerPodMetricReplicas-style):
    // 100 queued against 20 a pod on 3 pods: ratio 1.67, ceil(100 / 20) = 5; 63 on 3 at 20 is
    // within the tolerance: 3. It needs no pod metric: it scales a service none of whose
    // replicas serves yet.
    let h = Hpa { metrics: vec![Metric::QueueAverage(20)], ..hpa(1, 10, 50) };
    let q = |n: u64| Observed { queued_tokens: n, ..Observed::default() };
    assert_eq!(h.proposal(&q(100), 3), Some(5));
    assert_eq!(h.proposal(&q(63), 3), Some(3));
    assert_eq!(h.proposal(&q(0), 3), Some(0));
}

#[test]
fn object_and_external_value_targets_grow_the_ready_replicas_by_the_ratio() {
    // replica_calculator_test.go at 00067268, the Object and External cases ("qps" in
    // milli-units there, whole requests/s or tokens here).
    let one = |metric: Metric| Hpa { metrics: vec![metric], ..hpa(0, 1000, 50) };
    let ready = |n: u32| Observed { serving: n, serving_capacity: 1000 * n as u64, ..Observed::default() };
    let rps = |r: f64, m: Observed| Observed { requests_per_s: r, ..m };
    let queue = |q: u64, m: Observed| Observed { queued_tokens: q, ..m };
    // TestReplicaCalcScaleUpCMObject: 20 against 15 on 3 ready: ceil(1.33 x 3) = 4.
    assert_eq!(one(Metric::IngressValue(15)).proposal(&rps(20.0, ready(3)), 3), Some(4));
    // ...ObjectIgnoresUnreadyPods: 50 against 10, 1 of 3 ready: 5, not 15.
    let one_ready = Observed { unready: 2, unready_capacity: 2000, ..ready(1) };
    assert_eq!(one(Metric::IngressValue(10)).proposal(&rps(50.0, one_ready), 3), Some(5));
    // TestReplicaCalcScaleDownCMObject: 12 against 20 on 5: 3.
    assert_eq!(one(Metric::IngressValue(20)).proposal(&rps(12.0, ready(5)), 5), Some(3));
    // TestReplicaCalcToleranceCMObject: 20.666 against 20 is within 0.1: 3.
    assert_eq!(one(Metric::IngressValue(20)).proposal(&rps(20.666, ready(3)), 3), Some(3));
    // The per-pod Object cases divide by the Deployment's replicas, ready or not:
    // TestReplicaCalcScaleUpCMPerPodObject 20 / 5 = 4 on 3; ...ScaleDownPerPodCMObject 6 / 2 = 3
    // on 5; TestReplicaCalcTolerancePerPodCMObject 20.166 against 5 on 4 stays 4.
    assert_eq!(one(Metric::IngressAverage(5)).proposal(&rps(20.0, ready(3)), 3), Some(4));
    assert_eq!(one(Metric::IngressAverage(2)).proposal(&rps(6.0, ready(5)), 5), Some(3));
    assert_eq!(one(Metric::IngressAverage(5)).proposal(&rps(20.166, one_ready), 4), Some(4));
    // TestReplicaCalcScaleDownCMExternal: 8600 against 14334 on 5: ceil(0.59997 x 5) = 3.
    assert_eq!(one(Metric::QueueValue(14_334)).proposal(&queue(8600, ready(5)), 5), Some(3));
    // TestReplicaCalcToleranceCMExternal: 8600 against 8888 on 3: within, 3.
    assert_eq!(one(Metric::QueueValue(8888)).proposal(&queue(8600, ready(3)), 3), Some(3));
    // TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods: 8600 against 4400, 1 of 3 ready: 2.
    assert_eq!(one(Metric::QueueValue(4400)).proposal(&queue(8600, one_ready), 3), Some(2));
    // A replica loading its model is not Ready: 8600 against 4400, one serving, one loading.
    let loading = Observed { missing: 1, missing_capacity: 1000, ..ready(1) };
    assert_eq!(one(Metric::QueueValue(4400)).proposal(&queue(8600, loading), 2), Some(2));
    // From 0 replicas, `ceil(ratio)`, ready pods or not (scale from zero).
    assert_eq!(one(Metric::QueueValue(4400)).proposal(&queue(8600, Observed::default()), 0), Some(2));
    // With replicas wanted but no pod at all, upstream's selector finds none: no proposal.
    assert_eq!(one(Metric::QueueValue(4400)).proposal(&queue(8600, Observed::default()), 3), None);
    // The per-pod External tolerance case: TestReplicaCalcTolerancePerPodCMExternal, 8600
    // against 2900 on 3 (ratio 0.989): 3; TestReplicaCalcScaleUpPerPodCMExternal 8600 against
    // 2150: 4.
    assert_eq!(one(Metric::QueueAverage(2900)).proposal(&queue(8600, ready(3)), 3), Some(3));
    assert_eq!(one(Metric::QueueAverage(2150)).proposal(&queue(8600, ready(3)), 3), Some(4));
}
