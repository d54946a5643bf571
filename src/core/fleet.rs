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

/// How Webster ties are broken: Karmada's dispenser breaks an exact tie by fewer seats, then by
/// name, ascending or descending as the workload's UID says ([`Tie::of_uid`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tie {
    /// Smaller names first (an empty UID, or one of even FNV-1a hash).
    #[default]
    NameAscending,
    /// Larger names first (a UID of odd FNV-1a hash).
    NameDescending,
}

impl Tie {
    /// The tie order of a workload with `uid`: karmada-io/karmada `pkg/util/helper/binding.go`
    /// `tieBreakerByUID` at f8fdd02d hashes the UID's bytes with 32-bit FNV-1a and breaks ties by
    /// name descending when the hash is odd, ascending when it is even or the UID empty.
    pub fn of_uid(uid: &str) -> Tie {
        if uid.is_empty() {
            return Tie::NameAscending;
        }
        let mut h: u32 = 0x811c_9dc5;
        for b in uid.bytes() {
            h ^= b as u32;
            h = h.wrapping_mul(0x0100_0193);
        }
        if h & 1 == 1 {
            Tie::NameDescending
        } else {
            Tie::NameAscending
        }
    }
}

/// Divides `seats` over `weights` (member, weight) by the Webster method, starting from
/// `initial` seats (members absent there start at 0), ties broken by `tie` (karmada-io/karmada
/// `pkg/util/helper/webstermethod.go` at f8fdd02d). Members with weight 0 get no new seat
/// unless every weight is 0, when nothing is given. Returns every member of `weights` and
/// `initial`, by name. `O(seats · members)`.
pub fn webster(seats: u32, weights: &[(String, u64)], initial: &[Share], tie: Tie) -> Vec<Share> {
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
            // Priority w / (2s + 1): a beats b when wa·(2sb+1) > wb·(2sa+1); an exact tie goes to
            // fewer seats, then to the name `tie` prefers.
            let mut best = 0;
            for i in 1..parties.len() {
                let (a, b) = (&parties[i], &parties[best]);
                let lhs = a.1 as u128 * (2 * b.2 as u128 + 1);
                let rhs = b.1 as u128 * (2 * a.2 as u128 + 1);
                let wins_tie = a.2 < b.2 || (a.2 == b.2 && tie == Tie::NameDescending);
                if lhs > rhs || (lhs == rhs && wins_tie) {
                    best = i; // parties are by name: a later one has the larger name
                }
            }
            parties[best].2 += 1;
        }
    }
    parties.into_iter().map(|(member, _, replicas)| Share { member, replicas }).collect()
}

/// A `ClusterAffinity` (a policy's `clusterAffinity`, or a static weight rule's `targetCluster`)
/// as Karmada matches it against a member (`ClusterMatches` in `pkg/util/cluster.go` at
/// f8fdd02d): not excluded, its labels matching `labels`, its fields (`provider`, `region`,
/// `zone`) matching `fields`, and among `names` when that is not empty; all must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterAffinity {
    /// `clusterNames` (empty: any).
    pub names: Vec<String>,
    /// `exclude`.
    pub exclude: Vec<String>,
    /// `labelSelector`: `matchLabels` as `In` requirements and `matchExpressions`, ANDed.
    pub labels: Option<Vec<super::selector::Requirement>>,
    /// `fieldSelector.matchExpressions`, on the keys `provider`, `region`, `zone`.
    pub fields: Option<Vec<super::selector::Requirement>>,
}

impl ClusterAffinity {
    /// Whether member `name`, with its `labels` and `fields` (the cluster's spec fields keyed
    /// `provider`, `region`, `zone`; a field not set is absent), matches.
    pub fn matches(
        &self,
        name: &str,
        labels: &std::collections::BTreeMap<String, String>,
        fields: &std::collections::BTreeMap<String, String>,
    ) -> bool {
        let all = |reqs: &Option<Vec<super::selector::Requirement>>, of| {
            reqs.as_ref().is_none_or(|r| r.iter().all(|q| q.matches(of)))
        };
        !self.exclude.iter().any(|x| x == name)
            && all(&self.labels, labels)
            && all(&self.fields, fields)
            && (self.names.is_empty() || self.names.iter().any(|x| x == name))
    }
}

/// Static weights as Karmada resolves them (`getStaticWeightInfoList` in
/// `pkg/scheduler/core/division_algorithm.go` at f8fdd02d): each candidate's weight is the
/// largest of the rules that match it (`rules`: the weight and the members each names), 0 when
/// none does; when no candidate has a positive weight, every candidate weighs 1.
pub fn static_weights(candidates: &[String], rules: &[(u64, Vec<String>)]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = candidates
        .iter()
        .map(|c| (c.clone(), rules.iter().filter(|(_, names)| names.contains(c)).map(|(w, _)| *w).max().unwrap_or(0)))
        .collect();
    if out.iter().all(|(_, w)| *w == 0) {
        for (_, w) in &mut out {
            *w = 1;
        }
    }
    out
}

/// A candidate member as a cluster spread constraint sees it: its score (100 when it already
/// runs replicas: Karmada's ClusterLocality plugin) and its available replicas (what it can add
/// plus what it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Member name.
    pub member: String,
    /// Score.
    pub score: u32,
    /// Available replicas.
    pub available: u64,
}

/// `spreadConstraints: [{spreadByField: cluster, maxGroups, minGroups}]` as
/// karmada-io/karmada `pkg/scheduler/core/spreadconstraint` selects at f8fdd02d
/// (`select_clusters_by_cluster.go`): the candidates by score, then available replicas
/// (descending), then name; fewer than `min_groups` is an error; the first `max_groups` are taken
/// and, when `need` (the replicas; `None`: resources ignored, as for `Duplicated`) exceeds what
/// they can run, each slot from the last back is swapped for the left-out member that can run
/// the most, more than the slot, until they hold `need`; still short, an error.
pub fn select_by_cluster_spread(
    candidates: &[Candidate],
    max_groups: u32,
    min_groups: u32,
    need: Option<u64>,
) -> Result<Vec<String>, String> {
    if (candidates.len() as u64) < min_groups as u64 {
        return Err(format!(
            "the number of feasible clusters ({}) is less than spreadConstraint.MinGroups ({min_groups})",
            candidates.len()
        ));
    }
    let mut sorted = candidates.to_vec();
    sorted.sort_by(|a, b| (b.score, b.available, &a.member).cmp(&(a.score, a.available, &b.member)));
    let n = sorted.len().min(max_groups as usize);
    let mut rest = sorted.split_off(n);
    let mut sel = sorted;
    if let Some(need) = need {
        let sum = |v: &[Candidate]| v.iter().map(|c| c.available).sum::<u64>();
        for i in (0..sel.len()).rev() {
            if sum(&sel) >= need {
                break;
            }
            let better = rest
                .iter()
                .enumerate()
                .filter(|(_, c)| c.available > sel[i].available)
                .max_by(|(ja, a), (jb, b)| a.available.cmp(&b.available).then(jb.cmp(ja)))
                .map(|(j, _)| j);
            if let Some(j) = better {
                std::mem::swap(&mut sel[i], &mut rest[j]);
            }
        }
        if sum(&sel) < need {
            return Err(format!("no enough resource when selecting {n} clusters"));
        }
    }
    Ok(sel.into_iter().map(|c| c.member).collect())
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

/// `Divided` by `dynamicWeight: AvailableReplicas`, or `Aggregated`: the new assignment of
/// `replicas` given the `current` one and what each candidate member can still run
/// (`available`, beside what it already runs; not capped at `replicas`, as Karmada's estimator
/// answer is not), as `assignByDynamicStrategy` and `dynamicDivideReplicas` decide
/// (karmada-io/karmada `pkg/scheduler/core/assignment.go`, `division_algorithm.go` at f8fdd02d):
/// - members that are no longer candidates lose their replicas, which count as new;
/// - a scale-down divides the target by the current assignment;
/// - a scale-up divides only the new replicas, by what each member can run, and adds them to
///   what it runs; when the members together can run fewer, the division fails (the caller
///   keeps the old assignment);
/// - `Aggregated` divides among the fewest members: by weight descending (ties in candidate
///   order), members already running replicas first, the shortest prefix whose weights reach
///   the replicas to place.
pub fn divide_by_available(
    replicas: u32,
    current: &[Share],
    available: &[(String, u64)],
    aggregated: bool,
    tie: Tie,
) -> Result<Vec<Share>, DivideError> {
    let kept: Vec<Share> = current.iter().filter(|s| available.iter().any(|(m, _)| m == &s.member)).cloned().collect();
    let assigned: u32 = kept.iter().map(|s| s.replicas).sum();
    let (target, weights, base) = if assigned > replicas {
        // Scale down in proportion to the current assignment.
        (replicas, kept.iter().map(|s| (s.member.clone(), s.replicas as u64)).collect::<Vec<_>>(), Vec::new())
    } else {
        (replicas - assigned, available.to_vec(), kept.clone())
    };
    let total: u64 = weights.iter().map(|(_, a)| *a).sum();
    if total < target as u64 {
        return Err(DivideError::NotEnough { wanted: target, available: total });
    }
    let weights = if aggregated { fewest(target, weights, &base) } else { weights };
    let new = webster(target, &weights, &[], tie);
    let mut out: Vec<Share> = available
        .iter()
        .map(|(m, _)| {
            let old = base.iter().find(|s| &s.member == m).map_or(0, |s| s.replicas);
            let add = new.iter().find(|s| &s.member == m).map_or(0, |s| s.replicas);
            Share { member: m.clone(), replicas: old + add }
        })
        .collect();
    out.sort();
    Ok(out)
}

/// `Aggregated`'s members: `weights` by weight descending (a stable sort: ties keep the order
/// given), those already running replicas (`base`) moved first (`resortAvailableClusters`), cut
/// to the shortest prefix whose weights reach `target`.
fn fewest(target: u32, mut weights: Vec<(String, u64)>, base: &[Share]) -> Vec<(String, u64)> {
    // Karmada's candidates come by available replicas (what a member can add plus what it runs)
    // descending, then name; the sort by weight keeps that order among equal weights.
    let runs_n = |m: &String| base.iter().find(|s| &s.member == m).map_or(0, |s| s.replicas as u64);
    weights.sort_by(|(ma, wa), (mb, wb)| {
        (std::cmp::Reverse(*wa), std::cmp::Reverse(wa + runs_n(ma)), ma).cmp(&(
            std::cmp::Reverse(*wb),
            std::cmp::Reverse(wb + runs_n(mb)),
            mb,
        ))
    });
    let runs = |m: &String| runs_n(m) > 0;
    let (mut order, rest): (Vec<_>, Vec<_>) = weights.into_iter().partition(|(m, _)| runs(m));
    order.extend(rest);
    let mut sum = 0u64;
    let mut out = Vec::new();
    for (m, w) in order {
        if sum >= target as u64 && !out.is_empty() {
            break;
        }
        sum += w;
        out.push((m, w));
    }
    out
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
mod tests;
