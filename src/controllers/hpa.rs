//! The HorizontalPodAutoscaler's algorithm (Kubernetes `autoscaling/v2`, "Horizontal Pod
//! Autoscaling" and its algorithm details, cited next to each default): every sync period the
//! metric is the replicas' average utilization, the work that arrived over the period divided by
//! the serving capacity; the recommendation is `ceil(demand / (capacity × target))` (the docs'
//! `ceil(current × metric / target)`), unchanged within the tolerance, clamped to min/max;
//! scale-up takes the lowest and scale-down the highest recommendation within its stabilization
//! window; behavior policies (`Pods` or `Percent` per `periodSeconds`, `selectPolicy`
//! Max/Min/Disabled) limit each change. Simplified: the metric counts only serving replicas
//! (the docs' handling of unready pods and missing metrics is reduced to this), and it is exact
//! (no metrics-server lag). The controller that syncs it is [`super::serving`].

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

/// A validated HPA.
#[derive(Debug, Clone, PartialEq)]
pub struct Hpa {
    /// `minReplicas`.
    pub min: u32,
    /// `maxReplicas`.
    pub max: u32,
    /// Target average utilization, per mille of capacity.
    pub target_permille: u64,
    /// Or a target average value, tokens per second per replica (replaces the utilization).
    pub target_value: Option<u64>,
    /// `--horizontal-pod-autoscaler-sync-period` (15 s default).
    pub sync: SimTime,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1 default), per mille.
    pub tolerance_permille: u64,
    /// `behavior.scaleUp`.
    pub up: Rules,
    /// `behavior.scaleDown`.
    pub down: Rules,
}

/// The HPA's memory: past recommendations (for stabilization) and past changes (for policies).
#[derive(Debug, Clone, Default)]
pub struct HpaState {
    recs: VecDeque<(SimTime, u32)>,
    changes: VecDeque<(SimTime, i64)>,
}

impl Hpa {
    /// The raw recommendation for `demand` tokens/s with `serving` replicas of `capacity` tokens/s
    /// each, currently `current` replicas.
    pub fn recommend(&self, demand_per_s: f64, capacity: u64, serving: u32, current: u32) -> u32 {
        let target = match self.target_value {
            Some(v) => v as f64,
            None => capacity as f64 * self.target_permille as f64 / 1000.0,
        };
        let want = if target > 0.0 { (demand_per_s / target).ceil() } else { current as f64 };
        if serving > 0 {
            let ratio = demand_per_s / (serving as f64 * target);
            if (ratio - 1.0).abs() <= self.tolerance_permille as f64 / 1000.0 {
                return current.clamp(self.min, self.max);
            }
        }
        (want.max(0.0) as u32).clamp(self.min, self.max)
    }

    /// One sync: the replicas to set now (stabilized and rate-limited), recording the decision.
    pub fn decide(&self, st: &mut HpaState, now: SimTime, rec: u32, current: u32) -> u32 {
        st.recs.push_back((now, rec));
        let keep = self.up.window.max(self.down.window);
        while st.recs.front().is_some_and(|(t, _)| now.0 - t.0 > keep.0) {
            st.recs.pop_front();
        }
        let within = |w: SimTime| st.recs.iter().filter(move |(t, _)| now.0 - t.0 <= w.0).map(|(_, r)| *r);
        let up_rec = within(self.up.window).min().unwrap_or(rec);
        let down_rec = within(self.down.window).max().unwrap_or(rec);
        let target = if up_rec > current {
            up_rec
        } else if down_rec < current {
            down_rec
        } else {
            current
        };
        let limited = if target > current {
            target.min(self.limit(st, now, current, true))
        } else if target < current {
            target.max(self.limit(st, now, current, false))
        } else {
            current
        };
        if limited != current {
            st.changes.push_back((now, limited as i64 - current as i64));
        }
        let longest = self.up.policies.iter().chain(&self.down.policies).map(period).max().unwrap_or_default();
        while st.changes.front().is_some_and(|(t, _)| now.0 - t.0 > longest.0) {
            st.changes.pop_front();
        }
        limited
    }

    /// The most (up) or fewest (down) replicas the policies allow now.
    fn limit(&self, st: &HpaState, now: SimTime, current: u32, up: bool) -> u32 {
        let rules = if up { &self.up } else { &self.down };
        if rules.select == Select::Disabled {
            return current;
        }
        let mut best: Option<u32> = None;
        for p in &rules.policies {
            let per = period(p);
            // Replicas at the start of the period: undo the changes in this direction within it.
            let moved: i64 =
                st.changes.iter().filter(|(t, d)| now.0 - t.0 < per.0 && (*d > 0) == up).map(|(_, d)| *d).sum();
            let start = (current as i64 - moved).max(0) as u64;
            let bound = match (p, up) {
                (Policy::Pods { value, .. }, true) => start + *value as u64,
                (Policy::Pods { value, .. }, false) => start.saturating_sub(*value as u64),
                (Policy::Percent { value, .. }, true) => (start * (100 + *value as u64)).div_ceil(100),
                (Policy::Percent { value, .. }, false) => start * (100 - (*value as u64).min(100)) / 100,
            } as u32;
            best = Some(match (best, rules.select == Select::Max, up) {
                (None, _, _) => bound,
                (Some(b), true, true) | (Some(b), false, false) => b.max(bound),
                (Some(b), _, _) => b.min(bound),
            });
        }
        best.unwrap_or(current)
    }
}

fn period(p: &Policy) -> SimTime {
    match p {
        Policy::Pods { period, .. } | Policy::Percent { period, .. } => *period,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hpa() -> Hpa {
        Hpa {
            min: 1,
            max: 20,
            target_permille: 700,
            target_value: None,
            sync: SimTime::from_secs(15),
            tolerance_permille: 100,
            up: Rules::default_up(),
            down: Rules::default_down(),
        }
    }

    #[test]
    fn recommendation_follows_the_docs_formula_with_tolerance() {
        let h = hpa();
        // 1000 tok/s per replica at 70 %: 7000 tok/s need 10 replicas.
        assert_eq!(h.recommend(7000.0, 1000, 5, 5), 10);
        // Within 10 % of the target: no change.
        // 2520 tok/s on 4 replicas is 90 % of the 70 % target: within the tolerance, no change.
        assert_eq!(h.recommend(2520.0, 1000, 4, 4), 4);
        assert_eq!(h.recommend(1e9, 1000, 5, 5), 20, "clamped to max");
        assert_eq!(h.recommend(0.0, 1000, 5, 5), 1, "clamped to min");
        // An AverageValue target of 1,400 tok/s per replica: 7,000 tok/s need 5.
        let v = Hpa { target_value: Some(1400), ..hpa() };
        assert_eq!(v.recommend(7000.0, 1000, 2, 2), 5);
    }

    #[test]
    fn scale_down_waits_for_the_stabilization_window_and_scale_up_is_rate_limited() {
        let h = hpa();
        let mut st = HpaState::default();
        let t = |s: u64| SimTime::from_secs(s);
        // Up from 1 to 20 at once: 100 % or 4 pods per 15 s, the larger: 1 -> 5.
        assert_eq!(h.decide(&mut st, t(0), 20, 1), 5);
        // 15 s later the period has rolled: 5 -> 10 (100 %).
        assert_eq!(h.decide(&mut st, t(15), 20, 5), 10);
        assert_eq!(h.decide(&mut st, t(30), 20, 10), 20);
        // Demand falls to 2: the window still holds the 20s until 300 s after the last one.
        assert_eq!(h.decide(&mut st, t(45), 2, 20), 20);
        assert_eq!(h.decide(&mut st, t(330), 2, 20), 20, "the recommendation of t=30 is 300 s old");
        assert_eq!(h.decide(&mut st, t(345), 2, 20), 2, "all recommendations in the window are 2");
    }
}
