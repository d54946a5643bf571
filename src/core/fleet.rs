//! How a multi-cluster fleet scheduler (Karmada, and ACK One fleets built on it) splits a
//! workload's replicas over member clusters: pure functions of the replica count, the current
//! assignment and what each member can run.
//!
//! - `Duplicated`: every member runs all replicas.
//! - `Divided` with static weights: replicas in proportion to the weights.
//! - `Divided` with `dynamicWeight: AvailableReplicas`: on a scale-up only the *new* replicas are
//!   divided, in proportion to the replicas each member can still run (replicas already placed
//!   stay where they are); if the members together cannot run them the scheduling fails and the
//!   binding keeps its old assignment. On a scale-down the target is divided in proportion to the
//!   current assignment. (Karmada `pkg/scheduler/core`, `divideReplicasByResource`.)
//!
//! Proportional division rounds by the Webster (Sainte-Laguë) method, as Karmada's current
//! scheduler does (`pkg/util/helper/webstermethod.go`): each replica in turn goes to the member
//! with the highest `weight / (2 · assigned + 1)`; ties go to the member with fewer replicas,
//! then to the lower name. Exact comparisons (cross-multiplied integers), no floating point.

use super::cluster::{ClusterState, StateError};
use super::model::{NodeSpec, PodId, PodSpec};
use super::policy::{NoRandom, PolicyName};
use super::scaleup::NodeGroup;
use super::schedule::Scheduler;
use super::Workload;

/// One member's share.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Share {
    /// Member cluster name.
    pub member: String,
    /// Replicas.
    pub replicas: u32,
}

/// Divides `seats` over `weights` (member, weight) by the Webster method, starting from
/// `initial` seats (members absent there start at 0). Members with weight 0 get no new seat
/// unless every weight is 0, when nothing is given. Returns every member of `weights` and
/// `initial`, by name. `O(seats · members)`.
pub fn webster(seats: u32, weights: &[(String, u64)], initial: &[Share]) -> Vec<Share> {
    let mut parties: Vec<(String, u64, u32)> = Vec::new();
    for (m, w) in weights {
        let start = initial.iter().find(|s| &s.member == m).map_or(0, |s| s.replicas);
        parties.push((m.clone(), *w, start));
    }
    for s in initial {
        if !parties.iter().any(|p| p.0 == s.member) {
            parties.push((s.member.clone(), 0, s.replicas));
        }
    }
    parties.sort();
    if parties.iter().any(|p| p.1 > 0) {
        for _ in 0..seats {
            // Priority w / (2s + 1): a beats b when wa·(2sb+1) > wb·(2sa+1).
            let mut best = 0;
            for i in 1..parties.len() {
                let (a, b) = (&parties[i], &parties[best]);
                let lhs = a.1 as u128 * (2 * b.2 as u128 + 1);
                let rhs = b.1 as u128 * (2 * a.2 as u128 + 1);
                if lhs > rhs || (lhs == rhs && a.2 < b.2) {
                    best = i; // equal priority and seats: the earlier (lower) name stays
                }
            }
            parties[best].2 += 1;
        }
    }
    parties.into_iter().map(|(member, _, replicas)| Share { member, replicas }).collect()
}

/// Why a division failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DivideError {
    /// The members can run fewer new replicas than asked (Karmada: "clusters resources are not
    /// enough to schedule").
    NotEnough {
        /// New replicas asked for.
        wanted: u32,
        /// What the members can run.
        available: u64,
    },
}

impl std::fmt::Display for DivideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DivideError::NotEnough { wanted, available } => write!(
                f,
                "clusters resources are not enough to schedule: {wanted} new replicas, the members can run {available}"
            ),
        }
    }
}

/// `Divided` by `dynamicWeight: AvailableReplicas`: the new assignment of `replicas` given the
/// `current` one and what each candidate member can still run (`available`, beside what it
/// already runs). Members out of `available` (not candidates any more) keep nothing on a
/// scale-up; a scale-down reduces every current member in proportion.
pub fn divide_by_available(
    replicas: u32,
    current: &[Share],
    available: &[(String, u64)],
) -> Result<Vec<Share>, DivideError> {
    let kept: Vec<Share> = current.iter().filter(|s| available.iter().any(|(m, _)| m == &s.member)).cloned().collect();
    let assigned: u32 = kept.iter().map(|s| s.replicas).sum();
    if assigned > replicas {
        // Scale down in proportion to the current assignment.
        let weights: Vec<(String, u64)> = kept.iter().map(|s| (s.member.clone(), s.replicas as u64)).collect();
        return Ok(webster(replicas, &weights, &[]));
    }
    let wanted = replicas - assigned;
    let total: u64 = available.iter().map(|(_, a)| *a).sum();
    if total < wanted as u64 {
        return Err(DivideError::NotEnough { wanted, available: total });
    }
    let new = webster(wanted, available, &[]);
    let mut out: Vec<Share> = available
        .iter()
        .map(|(m, _)| {
            let old = kept.iter().find(|s| &s.member == m).map_or(0, |s| s.replicas);
            let add = new.iter().find(|s| &s.member == m).map_or(0, |s| s.replicas);
            Share { member: m.clone(), replicas: old + add }
        })
        .collect();
    out.sort();
    Ok(out)
}

/// How many replicas of `pod` a member can still run, up to `limit`: those that fit on its nodes
/// now (placed first-fit one after another on a fork of `c`, reverted: Karmada's general
/// estimator, from node resources), plus, when the fleet counts inventory (ACK One
/// `autoScaling.ecsProvision: true`), what each node group could add: its `room` (the caller
/// caps it by the region's stock of the type) times the replicas one empty node of its first type
/// that admits the pod holds. `O(limit · placement)`.
pub fn available_replicas(
    c: &mut ClusterState,
    pod: &PodSpec,
    groups: &[NodeGroup],
    limit: u32,
) -> Result<u32, StateError> {
    let mut sched = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
    let mut zero = NoRandom;
    let base: PodId = PodId::MAX - limit as PodId;
    let mut count = 0u32;
    c.what_if(|c| -> Result<(), StateError> {
        while count < limit {
            match sched.place(c, pod, &mut zero) {
                Ok(pl) => c.bind(base + count as PodId, pod, &pl)?,
                Err(_) => break,
            }
            count += 1;
        }
        Ok(())
    })?;
    for g in groups {
        if count >= limit || g.room == 0 {
            continue;
        }
        let Some(t) = g.types.iter().find(|t| t.admits(pod).is_ok()) else { continue };
        // Replicas one empty node holds, on a state of that node alone.
        let mut one = ClusterState::new(c.options());
        let node = NodeSpec { name: "estimate".into(), ..t.node.clone() };
        one.add_node(&node)?;
        let mut per_node = 0u32;
        while per_node < limit {
            match sched.place(&one, pod, &mut zero) {
                Ok(pl) => one.bind(per_node as PodId, pod, &pl)?,
                Err(_) => break,
            }
            per_node += 1;
        }
        let add = (per_node as u64 * g.room as u64).min((limit - count) as u64) as u32;
        count += add;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: &[(&str, u64)]) -> Vec<(String, u64)> {
        v.iter().map(|(m, x)| (m.to_string(), *x)).collect()
    }
    fn shares(v: &[Share]) -> Vec<(&str, u32)> {
        v.iter().map(|s| (s.member.as_str(), s.replicas)).collect()
    }

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
        assert_eq!(shares(&webster(10, &w(&[("a", 5), ("b", 3), ("c", 2)]), &[])), [("a", 5), ("b", 3), ("c", 2)]);
        // Weights 1:1, 3 seats: a, b, then the tie (1/3 each, one seat each) goes to the lower name.
        assert_eq!(shares(&webster(3, &w(&[("b", 1), ("a", 1)]), &[])), [("a", 2), ("b", 1)]);
        // 7:1, 2 seats: a (7 > 1), then a's 7/3 > b's 1: a gets both (largest remainder gives 2:0 too).
        assert_eq!(shares(&webster(2, &w(&[("a", 7), ("b", 1)]), &[])), [("a", 2), ("b", 0)]);
        // 3:1, 4 seats: a (3 > 1); a's 3/3 ties b's 1/1 and b has fewer: b; then a (1 > 1/3) and
        // a (3/5 > 1/3): a 3, b 1.
        assert_eq!(shares(&webster(4, &w(&[("a", 3), ("b", 1)]), &[])), [("a", 3), ("b", 1)]);
        // No weight at all: nothing is given.
        assert_eq!(shares(&webster(3, &w(&[("a", 0)]), &[])), [("a", 0)]);
    }

    #[test]
    fn available_replicas_divide_the_new_replicas_and_scale_down_follows_the_assignment() {
        // Seed 001: two members with empty A10 pools that can each provision 10 nodes: 4 replicas
        // split 2 and 2.
        let up = divide_by_available(4, &[], &w(&[("cluster-1", 10), ("cluster-2", 10)])).unwrap();
        assert_eq!(shares(&up), [("cluster-1", 2), ("cluster-2", 2)]);
        // Scaled to 2: one each.
        assert_eq!(
            shares(&divide_by_available(2, &up, &w(&[("cluster-1", 8), ("cluster-2", 8)])).unwrap()),
            [("cluster-1", 1), ("cluster-2", 1)]
        );
        // The stock-out variant: the second region has no stock, so no available replica: all 4 in
        // the first.
        let out = divide_by_available(4, &[], &w(&[("cluster-1", 10), ("cluster-2", 0)])).unwrap();
        assert_eq!(shares(&out), [("cluster-1", 4), ("cluster-2", 0)]);
        // Growing 4 -> 7 with 1 and 5 more available: only the 3 new ones are divided, by 1:5 under
        // Webster: b (5 > 1), b (5/3 > 1), then a's 1/1 ties b's 5/5 and a has fewer: a. The old
        // replicas stay.
        let cur = vec![Share { member: "a".into(), replicas: 2 }, Share { member: "b".into(), replicas: 2 }];
        assert_eq!(shares(&divide_by_available(7, &cur, &w(&[("a", 1), ("b", 5)])).unwrap()), [("a", 3), ("b", 4)]);
        // Not enough anywhere: an error, nothing half-placed.
        assert_eq!(
            divide_by_available(9, &cur, &w(&[("a", 1), ("b", 3)])),
            Err(DivideError::NotEnough { wanted: 5, available: 4 })
        );
    }
}
