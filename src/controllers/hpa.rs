//! The HorizontalPodAutoscaler's algorithm (Kubernetes `autoscaling/v2`, "Horizontal Pod
//! Autoscaling" and its algorithm details, cited next to each default): every sync period the
//! metric is the replicas' average utilization, the work that arrived over the period divided by
//! the serving capacity; the recommendation is `ceil(demand / (capacity × target))` (the docs'
//! `ceil(current × metric / target)`), unchanged within the tolerance, clamped to min/max;
//! scale-up takes the lowest and scale-down the highest recommendation within its stabilization
//! window; behavior policies (`Pods` or `Percent` per `periodSeconds`, `selectPolicy`
//! Max/Min/Disabled) limit each change. Object (the Ingress's requests/s) and External (the
//! queue) metrics with `Value` or `AverageValue` targets compute as upstream's replica
//! calculator does. Simplified: the metric is exact (no metrics-server lag). The controller that
//! syncs it is [`super::serving`].

use crate::engine::SimTime;
use std::collections::VecDeque;

/// A behavior policy: at most `value` pods, or `value` percent of the replicas, per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `type: Pods`.
    Pods {
        /// Pods per period.
        value: u32,
        /// `periodSeconds`.
        period: SimTime,
    },
    /// `type: Percent`.
    Percent {
        /// Percent per period.
        value: u32,
        /// `periodSeconds`.
        period: SimTime,
    },
}

/// `selectPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// The policy allowing the largest change (default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One direction of `behavior`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// `stabilizationWindowSeconds`.
    pub window: SimTime,
    /// `policies`.
    pub policies: Vec<Policy>,
    /// `selectPolicy`.
    pub select: Select,
}

impl Rules {
    /// Kubernetes' default scale-up: no stabilization; 100 % or 4 pods per 15 s, whichever is
    /// more (HPA docs, "Default Behavior").
    pub fn default_up() -> Rules {
        Rules {
            window: SimTime::ZERO,
            policies: vec![
                Policy::Percent { value: 100, period: SimTime::from_secs(15) },
                Policy::Pods { value: 4, period: SimTime::from_secs(15) },
            ],
            select: Select::Max,
        }
    }
    /// Kubernetes' default scale-down: 300 s stabilization; 100 % per 15 s (HPA docs, "Default
    /// Behavior").
    pub fn default_down() -> Rules {
        Rules {
            window: SimTime::from_secs(300),
            policies: vec![Policy::Percent { value: 100, period: SimTime::from_secs(15) }],
            select: Select::Max,
        }
    }
}

/// `spec.behavior`, defaulted field by field as the API server fills it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behavior {
    /// `behavior.scaleUp`.
    pub up: Rules,
    /// `behavior.scaleDown`.
    pub down: Rules,
}

/// A validated HPA.
#[derive(Debug, Clone, PartialEq)]
pub struct Hpa {
    /// `minReplicas`.
    pub min: u32,
    /// `maxReplicas`.
    pub max: u32,
    /// `spec.metrics`: what it scales on; the largest proposal wins.
    pub metrics: Vec<Metric>,
    /// `--horizontal-pod-autoscaler-sync-period` (15 s default).
    pub sync: SimTime,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1 default), per mille.
    pub tolerance_permille: u64,
    /// `spec.behavior`; `None` when the HPA sets none, which upstream keeps as `nil` (the API
    /// server defaults a behavior only when one is given: `pkg/apis/autoscaling/v2/defaults.go`)
    /// and normalizes by its older rules: the largest recommendation of the downscale
    /// stabilization window, and at most `max(2 × current, 4)` replicas per sync.
    pub behavior: Option<Behavior>,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (5 min default): the window of the
    /// HPAs without a behavior.
    pub downscale_stabilization: SimTime,
}

/// One of an HPA's metrics and its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Tokens/s as a utilization of the serving replicas' capacity (a `Resource`-style
    /// `Utilization` target), per mille.
    TokensUtilization(u64),
    /// Tokens/s per replica (a `Pods` metric with an `AverageValue` target).
    TokensAverage(u64),
    /// Requests/s per replica (a `Pods` metric with an `AverageValue` target).
    RequestsAverage(u64),
    /// Tokens waiting in the service's queue, per replica: an `External` metric with an
    /// `AverageValue` target (as KEDA scales vLLM on its waiting requests).
    QueueAverage(u64),
    /// Tokens waiting in the queue in all: an `External` metric with a `Value` target
    /// (`GetExternalMetricReplicas`).
    QueueValue(u64),
    /// Requests/s on the service's Ingress: an `Object` metric with a `Value` target
    /// (`GetObjectMetricReplicas`).
    IngressValue(u64),
    /// Requests/s on the service's Ingress per replica: an `Object` metric with an
    /// `AverageValue` target (`GetObjectPerPodMetricReplicas`).
    IngressAverage(u64),
}

/// What the metrics show at a sync: the work arriving per second, and the Deployment's pods as
/// the HPA groups them (`groupPods` in `replica_calculator.go`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Observed {
    /// Tokens per second arriving (what the serving replicas' metrics sum to).
    pub demand_per_s: f64,
    /// Requests per second arriving.
    pub requests_per_s: f64,
    /// Tokens waiting in the queue at the sync.
    pub queued_tokens: u64,
    /// Serving replicas (they report a metric) and their capacity, tokens/s.
    pub serving: u32,
    /// Capacity of the serving replicas together, tokens/s (the utilization's denominator).
    pub serving_capacity: u64,
    /// Running replicas without a metric yet (loading their model) and their capacity.
    pub missing: u32,
    /// Capacity of the missing replicas together.
    pub missing_capacity: u64,
    /// Pending replicas (unscheduled, or their containers starting) and their capacity.
    pub unready: u32,
    /// Capacity of the pending replicas together.
    pub unready_capacity: u64,
}

/// The HPA's memory: past recommendations (for stabilization) and scale events (for policies),
/// as the controller keeps them per HPA.
#[derive(Debug, Clone, Default)]
pub struct HpaState {
    seen: bool,
    /// The status conditions as last reported (AbleToScale, ScalingActive, ScalingLimited).
    conditions: [Option<Condition>; 3],
    /// Conditions that changed at the last sync.
    changed: Vec<Condition>,
    recs: VecDeque<(SimTime, u32)>,
    ups: VecDeque<(SimTime, u32)>,
    downs: VecDeque<(SimTime, u32)>,
}

/// An HPA status condition, as `kubectl describe hpa` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    /// `AbleToScale`, `ScalingActive` or `ScalingLimited`.
    pub kind: &'static str,
    /// `True` or `False`.
    pub status: bool,
    /// Upstream's reason (`ScaleDownStabilized`, `TooManyReplicas`, `ScalingDisabled`, ...).
    pub reason: &'static str,
}

impl HpaState {
    /// The conditions that changed at the last sync, in `AbleToScale`, `ScalingActive`,
    /// `ScalingLimited` order.
    pub fn take_changed(&mut self) -> Vec<Condition> {
        std::mem::take(&mut self.changed)
    }

    fn set(&mut self, kind: &'static str, status: bool, reason: &'static str) {
        let i = match kind {
            "AbleToScale" => 0,
            "ScalingActive" => 1,
            _ => 2,
        };
        let c = Condition { kind, status, reason };
        if self.conditions[i] != Some(c) {
            self.conditions[i] = Some(c);
            self.changed.push(c);
        }
    }
}

/// What normalization decided: the replicas, and the reasons of the `AbleToScale` and
/// `ScalingLimited` conditions it sets.
struct Normalized {
    replicas: u32,
    able: &'static str,
    limited: bool,
    limit_reason: &'static str,
}

/// Why a sync set what it set (the controller's `rescaleReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The metric's proposal, stabilized and rate-limited.
    Metric,
    /// "Current number of replicas above Spec.MaxReplicas".
    AboveMax,
    /// "Current number of replicas below Spec.MinReplicas".
    BelowMin,
    /// The target has 0 replicas and `minReplicas` is not 0: scaling is disabled.
    Disabled,
    /// No replica reports a metric: nothing is computed (`FailedGetResourceMetric`).
    NoMetrics,
}

impl Hpa {
    /// The metric's proposal for `current` replicas, as `GetResourceReplicas` (a
    /// `targetUtilization`) or `calcPlainMetricReplicas` (a `targetAverageValue`) compute it
    /// (kubernetes/kubernetes `pkg/controller/podautoscaler/replica_calculator.go`): the ratio of
    /// the serving replicas' usage to the target; within the tolerance, no change; else
    /// `ceil(ratio × serving)`. With replicas missing a metric, or pending ones on a scale-up, the
    /// ratio is computed again with the missing ones at 0 (scale-up) or at
    /// `max(100 %, target)` of their capacity (scale-down; the target value for an average-value
    /// target) and the pending ones at 0 (scale-up only); a second ratio within the tolerance, on
    /// the other side of 1, or a count against its direction keeps `current`. `None` without any
    /// metric. Utilization is whole percent, an average value whole milli-units, as upstream's
    /// integer metrics are.
    pub fn proposal(&self, m: &Observed, current: u32) -> Option<u32> {
        // `computeReplicasForMetrics` (horizontal.go): the largest proposal of the metrics that
        // computed; nothing when none did, or when one failed and the rest would scale down.
        let proposals: Vec<Option<u32>> = self.metrics.iter().map(|&x| self.proposal_for(x, m, current)).collect();
        let best = proposals.iter().flatten().copied().max()?;
        let failed = proposals.iter().any(Option::is_none);
        (!failed || best >= current).then_some(best)
    }

    /// One metric's proposal (see [`Hpa::proposal`]).
    pub fn proposal_for(&self, metric: Metric, m: &Observed, current: u32) -> Option<u32> {
        let tol = self.tolerance_permille as f64 / 1000.0;
        // Object and External metrics (kubernetes/kubernetes
        // `pkg/controller/podautoscaler/replica_calculator.go` at 00067268): one value for the
        // whole target, read in milli-units as upstream's metrics clients return it. They need
        // no pod metric: they scale a service none of whose replicas serves yet.
        let milli = |x: f64| (x * 1000.0).floor();
        // (per pod?, the usage, the target) of an Object or External metric; or the Pods and
        // Resource metrics' (utilization target per mille, or the average-value target; the
        // serving replicas' usage: tokens/s for a utilization, milli-units for an average).
        let (object, pods) = match metric {
            Metric::QueueAverage(t) => (Some((true, m.queued_tokens as f64 * 1000.0, t)), None),
            Metric::QueueValue(t) => (Some((false, m.queued_tokens as f64 * 1000.0, t)), None),
            Metric::IngressAverage(t) => (Some((true, milli(m.requests_per_s), t)), None),
            Metric::IngressValue(t) => (Some((false, milli(m.requests_per_s), t)), None),
            Metric::TokensUtilization(p) => (None, Some((Some(p), 0, m.demand_per_s))),
            Metric::TokensAverage(v) => (None, Some((None, v, milli(m.demand_per_s)))),
            Metric::RequestsAverage(v) => (None, Some((None, v, milli(m.requests_per_s)))),
        };
        if let Some((per_pod, usage, target)) = object {
            let target = target as f64 * 1000.0;
            if per_pod {
                // `GetObjectPerPodMetricReplicas` / `GetExternalPerPodMetricReplicas`: the total
                // over the target per pod; within the tolerance of `current` pods, no change.
                let ratio = usage / (target * current as f64);
                if current > 0 && (1.0 - ratio).abs() <= tol {
                    return Some(current);
                }
                return Some((usage / target).ceil() as u32);
            }
            // `getUsageRatioReplicaCount`: the total over the target, times the ready pods (a
            // replica loading its model is not Ready, nor is a pending one); within the tolerance,
            // no change; from 0 replicas, `ceil(ratio)`. Upstream fails the metric when the
            // selector finds no pod.
            let ratio = usage / target;
            if current == 0 {
                return Some(ratio.ceil() as u32);
            }
            if m.serving + m.missing + m.unready == 0 {
                return None;
            }
            if (1.0 - ratio).abs() <= tol {
                return Some(current);
            }
            return Some((ratio * m.serving as f64).ceil() as u32);
        }
        let (utilization, average, usage) = pods?;
        if m.serving == 0 || m.serving_capacity == 0 {
            return None;
        }
        let within = |r: f64| (1.0 - r).abs() <= tol;
        // (usage total, its denominator, entries) -> ratio
        let ratio = |usage: f64, requests: u64, n: u32| match utilization {
            Some(permille) => (usage * 100.0 / requests as f64).floor() / (permille as f64 / 10.0),
            None => (usage as u64 / n as u64) as f64 / (average as f64 * 1000.0),
        };
        let r = ratio(usage, m.serving_capacity, m.serving);
        let up_with_unready = m.unready > 0 && r > 1.0;
        if !up_with_unready && m.missing == 0 {
            if within(r) {
                return Some(current);
            }
            return Some((r * m.serving as f64).ceil() as u32);
        }
        let (mut usage2, mut requests2, mut n2) = (usage, m.serving_capacity, m.serving);
        if m.missing > 0 && r != 1.0 {
            if r < 1.0 {
                usage2 += match utilization {
                    Some(permille) => m.missing_capacity as f64 * (permille as f64 / 10.0).max(100.0) / 100.0,
                    None => (average * 1000) as f64 * m.missing as f64,
                };
            }
            requests2 += m.missing_capacity;
            n2 += m.missing;
        }
        if up_with_unready {
            requests2 += m.unready_capacity;
            n2 += m.unready;
        }
        let r2 = ratio(usage2, requests2.max(1), n2);
        if within(r2) || (r < 1.0 && r2 > 1.0) || (r > 1.0 && r2 < 1.0) {
            return Some(current);
        }
        let proposed = (r2 * n2 as f64).ceil() as u32;
        if (r2 < 1.0 && proposed > current) || (r2 > 1.0 && proposed < current) {
            return Some(current);
        }
        Some(proposed)
    }

    /// One sync of the controller (`reconcileAutoscaler` in kubernetes/kubernetes
    /// `pkg/controller/podautoscaler/horizontal.go`): `current` is the target's
    /// `spec.replicas`, `m` what the metrics show. The first sync records `current` as a
    /// recommendation (`recordInitialRecommendation`), so a scale-down waits out the window even
    /// for a service that starts above its demand. Outside `minReplicas..=maxReplicas` the count
    /// goes to the bound, with no stabilization; at 0 replicas with `minReplicas > 0` scaling is
    /// disabled. Otherwise the proposal is stabilized and rate-limited by `behavior`, or by the
    /// older rules without one. Returns the replicas to set and why.
    pub fn sync(&self, st: &mut HpaState, now: SimTime, current: u32, m: &Observed) -> (u32, Why) {
        if !st.seen {
            st.seen = true;
            st.recs.push_back((now, current));
        }
        // The conditions `reconcileAutoscaler` sets on each path.
        let (desired, why) = if current == 0 && self.min != 0 {
            st.set("ScalingActive", false, "ScalingDisabled");
            (current, Why::Disabled)
        } else if current > self.max {
            (self.max, Why::AboveMax)
        } else if current < self.min {
            (self.min, Why::BelowMin)
        } else {
            match self.proposal(m, current) {
                None => {
                    // The first metric that failed names the reason, as
                    // `computeReplicasForMetrics` keeps the first invalid metric's condition.
                    let first = self.metrics.iter().find(|&&x| self.proposal_for(x, m, current).is_none());
                    let failed = match first {
                        Some(Metric::TokensUtilization(_)) => "FailedGetResourceMetric",
                        Some(Metric::QueueAverage(_) | Metric::QueueValue(_)) => "FailedGetExternalMetric",
                        Some(Metric::IngressAverage(_) | Metric::IngressValue(_)) => "FailedGetObjectMetric",
                        _ => "FailedGetPodsMetric",
                    };
                    st.set("ScalingActive", false, failed);
                    (current, Why::NoMetrics)
                }
                Some(p) => {
                    st.set("ScalingActive", true, "ValidMetricFound");
                    let n = self.normalized(st, now, current, p);
                    st.set("AbleToScale", true, n.able);
                    st.set("ScalingLimited", n.limited, n.limit_reason);
                    (n.replicas, Why::Metric)
                }
            }
        };
        if desired != current {
            st.set("AbleToScale", true, "SucceededRescale");
        }
        if desired != current && self.behavior.is_some() {
            let events = if desired > current { &mut st.ups } else { &mut st.downs };
            events.push_back((now, desired.abs_diff(current)));
        }
        self.prune(st, now);
        (desired, why)
    }

    /// `normalizeDesiredReplicas` (no behavior) or `normalizeDesiredReplicasWithBehaviors`:
    /// the replicas to set.
    #[cfg(test)]
    fn normalize(&self, st: &mut HpaState, now: SimTime, current: u32, proposal: u32) -> u32 {
        self.normalized(st, now, current, proposal).replicas
    }

    /// [`Hpa::normalize`] with the reasons of the conditions it sets.
    fn normalized(&self, st: &mut HpaState, now: SimTime, current: u32, proposal: u32) -> Normalized {
        let Some(b) = &self.behavior else {
            // `stabilizeRecommendation`: the largest recommendation not older than the window (a
            // sample exactly one window old still counts: only those `Before(cutoff)` drop out).
            let cutoff = now.0.saturating_sub(self.downscale_stabilization.0);
            let stabilized = st.recs.iter().filter(|(t, _)| t.0 >= cutoff).map(|(_, r)| *r).fold(proposal, u32::max);
            st.recs.push_back((now, proposal));
            // `convertDesiredReplicasWithRules`: at most max(2 × current, 4) (`scaleUpLimitFactor`,
            // `scaleUpLimitMinimum`), within min..=max.
            let up_limit = (2 * current).max(4);
            let most = self.max.min(up_limit);
            let over = if self.max > up_limit { "ScaleUpLimit" } else { "TooManyReplicas" };
            let (replicas, limit_reason) = if stabilized < self.min {
                (self.min, "TooFewReplicas")
            } else if stabilized > most {
                (most, over)
            } else {
                (stabilized, "DesiredWithinRange")
            };
            let able = if stabilized != proposal { "ScaleDownStabilized" } else { "ReadyForNewScale" };
            return Normalized { replicas, able, limited: replicas != stabilized, limit_reason };
        };
        // `stabilizeRecommendationWithBehaviors`: samples strictly newer than each window's cutoff.
        let newer = |w: SimTime| {
            let cutoff = now.0 as i128 - w.0 as i128;
            st.recs.iter().filter(move |(t, _)| t.0 as i128 > cutoff).map(|(_, r)| *r)
        };
        let up_rec = newer(b.up.window).fold(proposal, u32::min);
        let down_rec = newer(b.down.window).fold(proposal, u32::max);
        let stabilized = current.max(up_rec).min(down_rec);
        st.recs.push_back((now, proposal));
        let able = match stabilized != proposal {
            false => "ReadyForNewScale",
            true if proposal >= current => "ScaleUpStabilized",
            true => "ScaleDownStabilized",
        };
        // `convertDesiredReplicasWithBehaviorRate`.
        let (replicas, limit_reason) = if stabilized > current {
            let limit = limit_up(current, st, now, &b.up).max(current);
            let reason = if self.max > limit { "ScaleUpLimit" } else { "TooManyReplicas" };
            let most = self.max.min(limit);
            if stabilized > most {
                (most, reason)
            } else {
                (stabilized, "DesiredWithinRange")
            }
        } else if stabilized < current {
            let limit = limit_down(current, st, now, &b.down).min(current);
            let reason = if self.min < limit { "ScaleDownLimit" } else { "TooFewReplicas" };
            let least = self.min.max(limit);
            if stabilized < least {
                (least, reason)
            } else {
                (stabilized, "DesiredWithinRange")
            }
        } else {
            (current, "DesiredWithinRange")
        };
        Normalized { replicas, able, limited: replicas != stabilized, limit_reason }
    }

    /// Forgets what no window or policy period can reach any more.
    fn prune(&self, st: &mut HpaState, now: SimTime) {
        let keep = match &self.behavior {
            None => self.downscale_stabilization,
            Some(b) => b.up.window.max(b.down.window),
        };
        while st.recs.front().is_some_and(|(t, _)| t.0 + keep.0 < now.0) {
            st.recs.pop_front();
        }
        let longest = self
            .behavior
            .iter()
            .flat_map(|b| b.up.policies.iter().chain(&b.down.policies))
            .map(period)
            .max()
            .unwrap_or_default();
        for events in [&mut st.ups, &mut st.downs] {
            while events.front().is_some_and(|(t, _)| t.0 + longest.0 <= now.0) {
                events.pop_front();
            }
        }
    }
}

/// Replicas changed in the `period` before `now` (`getReplicasChangePerPeriod`: events strictly
/// newer than the cutoff).
fn changed(events: &VecDeque<(SimTime, u32)>, now: SimTime, period: SimTime) -> i64 {
    events.iter().filter(|(t, _)| t.0 + period.0 > now.0).map(|(_, n)| *n as i64).sum()
}

/// The replicas at the start of each policy's period: `current - added + removed` within it.
fn period_start(current: u32, st: &HpaState, now: SimTime, p: &Policy) -> i64 {
    current as i64 - changed(&st.ups, now, period(p)) + changed(&st.downs, now, period(p))
}

/// `calculateScaleUpLimitWithScalingRules`: each policy's bound from its period's start, the
/// largest (`Max`) or smallest (`Min`); `Disabled` keeps `current`.
fn limit_up(current: u32, st: &HpaState, now: SimTime, rules: &Rules) -> u32 {
    if rules.select == Select::Disabled {
        return current;
    }
    let bounds = rules.policies.iter().map(|p| {
        let start = period_start(current, st, now, p);
        match p {
            Policy::Pods { value, .. } => start + *value as i64,
            Policy::Percent { value, .. } => (start as f64 * (1.0 + *value as f64 / 100.0)).ceil() as i64,
        }
    });
    let b = if rules.select == Select::Max { bounds.max() } else { bounds.min() };
    b.unwrap_or(current as i64).clamp(0, u32::MAX as i64) as u32
}

/// `calculateScaleDownLimitWithBehaviors`: each policy's bound from its period's start, the
/// smallest (`Max`: the largest change) or largest (`Min`); `Disabled` keeps `current`.
fn limit_down(current: u32, st: &HpaState, now: SimTime, rules: &Rules) -> u32 {
    if rules.select == Select::Disabled {
        return current;
    }
    let bounds = rules.policies.iter().map(|p| {
        let start = period_start(current, st, now, p);
        match p {
            Policy::Pods { value, .. } => start - *value as i64,
            Policy::Percent { value, .. } => (start as f64 * (1.0 - *value as f64 / 100.0)) as i64,
        }
    });
    let b = if rules.select == Select::Max { bounds.min() } else { bounds.max() };
    b.unwrap_or(current as i64).clamp(0, u32::MAX as i64) as u32
}

fn period(p: &Policy) -> SimTime {
    match p {
        Policy::Pods { period, .. } | Policy::Percent { period, .. } => *period,
    }
}

#[cfg(test)]
mod tests;
