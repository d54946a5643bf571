//! Karpenter's disruption controller, every `disruption_poll`, in Karpenter v1's order:
//! NodeClaims never registered are deleted (liveness), expired nodes are drained (forceful:
//! budgets and do-not-disrupt do not stop expiration), then, when no batch is being provisioned,
//! emptiness, multi-node and single-node consolidation. Consolidation considers only nodes
//! untouched by pod changes for `consolidateAfter`, without a `karpenter.sh/do-not-disrupt` pod,
//! whose pods their PodDisruptionBudgets let go, within the pool's active budgets for the reason.
//! It deletes nodes whose pods fit on the other nodes, or replaces them with one cheaper node
//! (never spot by spot unless `spot_to_spot_consolidation`, and then, for one node, only with 15
//! cheaper instance types to choose from; a pool's `minValues` kept among the cheaper options); a
//! replacement launches first and the old nodes drain once it has joined. A pass that finds
//! nothing is not repeated until the cluster changes or a `consolidateAfter` or budget window
//! runs out.

use super::{Karpenter, Why, CONSOLIDATE, DISRUPT, REGISTRATION_TTL};

/// Cheaper instance types a spot node's single-node spot-to-spot replacement needs
/// (`MinInstanceTypesForSpotToSpotConsolidation`, kubernetes-sigs/karpenter
/// `pkg/controllers/disruption/consolidation.go` at 22664681).
const MIN_TYPES_SPOT_TO_SPOT: usize = 15;
use crate::core::provision::Shapes;
use crate::core::{NoRandom, NodeId, PodId, PodSpec, PolicyName, Scheduler, Workload};
use crate::engine::{Phase, SimTime};
use crate::k8s::nodepool::{ConsolidationPolicy, Reason};
use crate::market::spot::CapacityType;
use crate::sim::{Action, NodeKey, PodKey, SimError, View};
use std::collections::BTreeMap;

/// A consolidation decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consolidation {
    /// Delete these empty nodes.
    Empty(Vec<NodeKey>),
    /// Delete these nodes: their pods fit elsewhere.
    Delete(Vec<NodeKey>),
    /// Replace these nodes by pool `.1`'s offering `.2`.
    Replace(Vec<NodeKey>, usize, usize),
}

impl Karpenter {
    /// The loop's first steps: liveness and expiration.
    pub(super) fn poll(&mut self, view: &mut View<'_>, out: &mut Vec<Action>) -> Result<(), SimError> {
        let o = view.objects;
        let mut acted = false;
        for n in o.nodes_of(view.me) {
            let node = o.node(n);
            if node.joined().is_none() && !node.draining && view.now.0 - node.row.launched.0 > REGISTRATION_TTL.0 {
                self.f.failures += 1;
                out.push(Action::Terminate { node: n, reason: "not registered within 15m (liveness)".into() });
                acted = true;
            }
        }
        for n in o.nodes_of(view.me) {
            let node = o.node(n);
            if node.draining || node.joined().is_none() {
                continue;
            }
            if let Some(e) = self.nodepools[Self::pool_of(view, n)].expire_after {
                if view.now.0 - node.row.launched.0 >= e.0 {
                    self.drain(view, n, Why::Expired, None, out);
                    acted = true;
                }
            }
        }
        if acted {
            // The rest of the loop sees these drains applied.
            out.push(Action::Continue { token: CONSOLIDATE });
            Ok(())
        } else {
            self.poll_consolidate(view, out)
        }
    }

    /// The loop's last steps: pods left pending reopen a batch; consolidation.
    pub(super) fn poll_consolidate(&mut self, view: &mut View<'_>, out: &mut Vec<Action>) -> Result<(), SimError> {
        self.consolidate_step(view, out)?;
        out.push(Action::WakeAt { at: view.now.plus(self.cfg.poll), phase: Phase::Scaler, token: DISRUPT });
        Ok(())
    }

    fn consolidate_step(&mut self, view: &mut View<'_>, out: &mut Vec<Action>) -> Result<(), SimError> {
        // Pods still pending with no batch open (a pool at its limit, capacity errors, nodes gone).
        if self.batch_open.is_none() && view.objects.unschedulable().next().is_some() {
            self.trigger(view.now, out);
        }
        if self.batch_open.is_some() {
            return Ok(()); // Karpenter does not consolidate while it provisions
        }
        let generation = view.objects.generation();
        if let Some((g, recheck)) = self.seen {
            if g == generation && view.now < recheck {
                return Ok(());
            }
        }
        match self.decide_consolidation(view)? {
            None => self.seen = Some((generation, self.recheck_time(view))),
            Some(c) => self.act(view, c, out),
        }
        Ok(())
    }

    /// Nodes pool `k`'s budgets let be disrupted now for `reason`.
    pub fn allowed(&self, view: &View<'_>, k: usize, reason: Reason) -> u32 {
        let np = &self.nodepools[k];
        let o = view.objects;
        let mine: Vec<NodeKey> = o
            .nodes_of(view.me)
            .filter(|&n| o.node(n).owner == crate::sim::Owner::Controller { index: view.me, group: k })
            .collect();
        let total = mine.len() as u32;
        let disrupting = mine.iter().filter(|&&n| o.node(n).draining).count() as u32;
        let mut allowed = u32::MAX;
        for (b, budget) in np.budgets.iter().enumerate() {
            if !budget.reasons.is_empty() && !budget.reasons.contains(&reason) {
                continue;
            }
            if budget.schedule.is_some() {
                let w = self.windows.get(k).and_then(|w| w.get(b)).map(Vec::as_slice).unwrap_or(&[]);
                let i = w.partition_point(|&(from, _)| from <= view.now);
                if i == 0 || w[i - 1].1 <= view.now {
                    continue; // not in a window: the budget is inactive
                }
            }
            allowed = allowed.min(budget.allowed(total));
        }
        allowed.saturating_sub(disrupting)
    }

    /// When a consolidation pass that found nothing could find something without any change:
    /// a node's consolidateAfter running out or a budget window opening or closing.
    fn recheck_time(&self, view: &View<'_>) -> SimTime {
        let mut t = SimTime(u64::MAX);
        let o = view.objects;
        for n in o.nodes_of(view.me) {
            let node = o.node(n);
            if node.draining {
                continue;
            }
            if let Some(ca) = self.nodepools[Self::pool_of(view, n)].consolidate_after {
                let at = node.last_change.plus(ca);
                if at > view.now {
                    t = t.min(at);
                }
            }
        }
        for w in self.windows.iter().flatten().flatten() {
            for edge in [w.0, w.1] {
                if edge > view.now {
                    t = t.min(edge);
                }
            }
        }
        t
    }

    /// Whether node `n` may be consolidated now, budgets aside: joined, not draining or being
    /// replaced, untouched for its pool's `consolidateAfter` (not `Never`), not annotated
    /// do-not-disrupt itself and without a do-not-disrupt pod, its pods let go by their budgets (`pdb`:
    /// [`crate::sim::Objects::pdb_allowed`]).
    pub fn candidate(&self, view: &View<'_>, n: NodeKey, pdb: &[u32]) -> bool {
        let node = view.objects.node(n);
        let Some(ca) = self.nodepools[Self::pool_of(view, n)].consolidate_after else { return false };
        view.now.0.saturating_sub(node.last_change.0) >= ca.0 && self.disruptable(view, n, pdb)
    }

    /// Whether a graceful disruption (consolidation, drift) may take node `n`, budgets aside:
    /// joined, not draining or being replaced, not annotated do-not-disrupt itself and without a
    /// do-not-disrupt pod, its pods let go by their budgets.
    pub fn disruptable(&self, view: &View<'_>, n: NodeKey, pdb: &[u32]) -> bool {
        let o = view.objects;
        let node = o.node(n);
        node.live()
            && !node.draining
            && node.joined().is_some()
            && !node.do_not_disrupt
            && !self.claims.get(&n).is_some_and(|c| c.being_replaced)
            && !node.pods.iter().any(|&p| o.pod(p).do_not_disrupt)
            && o.pdbs_permit(&[n], pdb)
    }

    /// The requirement of its NodePool that node `n`'s labels no longer meet, written as the
    /// manifest writes it (Karpenter's requirements drift; see
    /// [`crate::k8s::nodepool::NodePool::drifted_requirement`]).
    pub fn drifted(&self, view: &View<'_>, n: NodeKey) -> Option<String> {
        let np = &self.nodepools[Self::pool_of(view, n)];
        let node = view.objects.node(n);
        // A Karpenter node carries its instance type's well-known labels; a dump that leaves
        // some out gets them from the catalog, so drift judges the NodePool, not the dump.
        let mut labels = node.spec.labels.clone();
        let label = |k: &str, or: &str| labels.get(k).cloned().unwrap_or_else(|| or.to_string());
        let (ty, zone) = (
            label("node.kubernetes.io/instance-type", &node.row.instance_type),
            label("topology.kubernetes.io/zone", &node.row.zone),
        );
        if let Ok(t) = np.types.binary_search_by(|t| t.name.as_str().cmp(&ty)) {
            for (k, v) in crate::k8s::nodepool::offering_labels(&np.types[t], &zone, node.capacity) {
                labels.entry(k).or_insert(v);
            }
        }
        np.drifted_requirement(&labels).map(|q| {
            let values = if q.values.is_empty() { String::new() } else { format!(" [{}]", q.values.join(", ")) };
            format!("{} {:?}{values}", q.key, q.operator)
        })
    }

    /// Whether some NodePool could launch a node for `pod` (limits and stock aside).
    pub fn could_launch_for(&self, pod: &PodSpec) -> bool {
        self.prov.compatible(pod)
    }

    /// The policy of node `n`'s pool.
    pub fn policy_of(&self, view: &View<'_>, n: NodeKey) -> ConsolidationPolicy {
        self.nodepools[Self::pool_of(view, n)].policy
    }

    /// One consolidation decision, if any: every empty candidate the budgets allow; else the
    /// longest prefix of the underutilized candidates (fewest pods, then the most expensive
    /// node, then key) that can go or be replaced by one node; else the first single node.
    pub fn decide_consolidation(&self, view: &mut View<'_>) -> Result<Option<Consolidation>, SimError> {
        let o = view.objects;
        let pdb = o.pdb_allowed();
        // A node with pods is no candidate in a WhenEmpty pool (both passes below skip it): left
        // out before the candidate check walks its pods.
        let cands: Vec<NodeKey> = o
            .nodes_of(view.me)
            .filter(|&n| {
                let under =
                    self.nodepools[Self::pool_of(view, n)].policy == ConsolidationPolicy::WhenEmptyOrUnderutilized;
                (under || o.node(n).pods.is_empty()) && self.candidate(view, n, &pdb)
            })
            .collect();
        if cands.is_empty() {
            return Ok(None);
        }
        let mut allowed: BTreeMap<usize, u32> = BTreeMap::new();
        let mut empties = Vec::new();
        for &n in &cands {
            if o.node(n).pods.is_empty() {
                let k = Self::pool_of(view, n);
                let a = *allowed.entry(k).or_insert_with(|| self.allowed(view, k, Reason::Empty));
                if a > 0 {
                    allowed.insert(k, a - 1);
                    empties.push(n);
                }
            }
        }
        if !empties.is_empty() {
            return Ok(Some(Consolidation::Empty(empties)));
        }
        let mut allowed_under: BTreeMap<usize, u32> = BTreeMap::new();
        let mut under = Vec::new();
        for n in cands {
            let k = Self::pool_of(view, n);
            if self.nodepools[k].policy != ConsolidationPolicy::WhenEmptyOrUnderutilized || o.node(n).pods.is_empty() {
                continue;
            }
            let a = *allowed_under.entry(k).or_insert_with(|| self.allowed(view, k, Reason::Underutilized));
            if a > 0 {
                under.push(n);
            }
        }
        under.sort_by_key(|&n| (o.node(n).pods.len(), std::cmp::Reverse(o.node(n).row.price_micro_h), n));
        under.truncate(100);
        let me = view.me;
        let within_budget = |set: &[NodeKey]| {
            if !o.pdbs_permit(set, &pdb) {
                return false;
            }
            let mut per: BTreeMap<usize, u32> = BTreeMap::new();
            for &n in set {
                *per.entry(pool_in(o, me, n)).or_default() += 1;
            }
            per.iter().all(|(k, &c)| c <= allowed_under[k])
        };
        // Multi-node: the longest prefix (within budgets) that can go or be replaced by one node.
        let (mut lo, mut hi) = (2usize, under.len());
        let mut best = None;
        while lo <= hi {
            let mid = (lo + hi) / 2;
            let set = &under[..mid];
            let a = if within_budget(set) { self.try_set(view, set)? } else { None };
            if a.is_some() {
                best = a;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if best.is_none() {
            for &n in &under {
                if let Some(a) = self.try_set(view, &[n])? {
                    best = Some(a);
                    break;
                }
            }
        }
        Ok(best)
    }

    fn act(&mut self, view: &mut View<'_>, c: Consolidation, out: &mut Vec<Action>) {
        match c {
            Consolidation::Empty(ns) | Consolidation::Delete(ns) if ns.is_empty() => {}
            Consolidation::Empty(ns) => self.delete(view, ns, Why::Empty, "Empty", out),
            Consolidation::Delete(ns) => self.delete(view, ns, Why::Underutilized, "Underutilized/Delete", out),
            Consolidation::Replace(ns, k, o) => {
                for &n in &ns {
                    self.claims.entry(n).or_default().being_replaced = true;
                    let name = &view.objects.node(n).row.name;
                    out.push(Action::event(
                        "DisruptionLaunching",
                        format!("node/{name}"),
                        "Disrupting node: Underutilized/Replace",
                    ));
                }
                // The decision checked that the cloud has this capacity.
                out.extend(self.launch(view, k, o, &[], ns).unwrap_or_default());
            }
        }
    }

    fn delete(&mut self, view: &View<'_>, ns: Vec<NodeKey>, why: Why, label: &str, out: &mut Vec<Action>) {
        for n in ns {
            let name = &view.objects.node(n).row.name;
            out.push(Action::event("DisruptionLaunching", format!("node/{name}"), format!("Disrupting node: {label}")));
            self.drain(view, n, why, None, out);
        }
    }

    /// Whether the nodes `set` can be deleted (their pods fit on the other nodes) or replaced by
    /// one cheaper node.
    fn try_set(&self, view: &mut View<'_>, set: &[NodeKey]) -> Result<Option<Consolidation>, SimError> {
        let o = view.objects;
        let mut pods: Vec<PodKey> = set.iter().flat_map(|&n| o.node(n).pods.iter().copied()).collect();
        pods.sort_by_key(|&p| {
            let s = &o.pod(p).spec;
            (std::cmp::Reverse((s.gpu.total_milli(), s.cpu_milli, s.memory_mib)), p)
        });
        let ids: Vec<NodeId> = set.iter().filter_map(|&n| o.node(n).joined()).collect();
        let left = simulate_removal(view, &pods, &ids)?;
        let view = &*view;
        if left.is_empty() {
            return Ok(Some(Consolidation::Delete(set.to_vec())));
        }
        // Replacement: one node, cheaper than the set, for the pods that did not fit (Karpenter
        // simulates all of them on the rest plus one new node; this checks the leftovers alone).
        let price: u64 = set.iter().map(|&n| o.node(n).row.price_micro_h).sum();
        let all_spot = set.iter().all(|&n| o.node(n).capacity == CapacityType::Spot);
        let mut best: Option<(u64, usize, usize)> = None;
        let mut shapes = Shapes::default();
        for &k in self.prov.order() {
            let usage = self.usage(view, k);
            for cap in [CapacityType::Spot, CapacityType::OnDemand] {
                if cap == CapacityType::Spot && all_spot && !self.cfg.spot_to_spot {
                    continue;
                }
                let mut order = self.ranked(view, k, cap);
                order.sort_by_key(|&off| self.price(view, k, off)); // stable: rank breaks ties
                let np = &self.nodepools[k];
                let accept = |off: usize| {
                    let usage_with = usage.plus(self.prov.pools[k].offerings[off].capacity);
                    let it = &np.types[np.offerings[off].ty];
                    let ask = crate::market::cloud::Ask {
                        group: &np.name,
                        instance_type: &it.name,
                        zone: &np.offerings[off].zone,
                        capacity: np.offerings[off].capacity,
                    };
                    self.price(view, k, off) < price
                        && !self.blocked(view.now, k, off)
                        && np.limits.admit(usage_with)
                        && view.cloud.available(ask)
                };
                let mut pick = self.first_fit(view, k, &order, &mut shapes, &left, &accept)?;
                // The cheaper options must keep the pool's minValues, under either
                // `--min-values-policy` (`RemoveInstanceTypeOptionsByPriceAndMinValues` checks
                // them unconditionally), and a spot node is replaced by
                // spot only when 15 cheaper instance types would do
                // (`MinInstanceTypesForSpotToSpotConsolidation`, single-node consolidation):
                // kubernetes-sigs/karpenter `pkg/controllers/disruption/consolidation.go` and
                // `provisioning/scheduling/nodeclaim.go` at 22664681.
                let min_values = !np.min_values.is_empty();
                let spot_to_spot = cap == CapacityType::Spot && all_spot && set.len() == 1;
                if pick.is_some() && (min_values || spot_to_spot) {
                    let mut options = Vec::new();
                    for &off in &order {
                        if self.first_fit(view, k, &[off], &mut shapes, &left, &accept)?.is_some() {
                            options.push(off);
                        }
                    }
                    let types: std::collections::BTreeSet<usize> =
                        options.iter().map(|&o| np.offerings[o].ty).collect();
                    if (min_values && self.prov.min_values_unmet(k, &options).is_some())
                        || (spot_to_spot && types.len() < MIN_TYPES_SPOT_TO_SPOT)
                    {
                        pick = None;
                    }
                }
                if let Some(off) = pick {
                    let p = self.price(view, k, off);
                    if best.is_none_or(|(b, _, _)| p < b) {
                        best = Some((p, k, off));
                    }
                }
            }
        }
        Ok(best.map(|(_, k, off)| Consolidation::Replace(set.to_vec(), k, off)))
    }
}

/// The pods (bound to the nodes `ids`) that would not fit elsewhere if the nodes were gone, placed
/// first-fit in the order given, on a fork of the live state (reverted).
pub(super) fn simulate_removal(view: &mut View<'_>, pods: &[PodKey], ids: &[NodeId]) -> Result<Vec<PodKey>, SimError> {
    let o = view.objects;
    let mut sched = Scheduler::new(PolicyName::FirstFit.build(&Workload::default()));
    view.cluster.what_if(|c| -> Result<Vec<PodKey>, SimError> {
        for &p in pods {
            c.unbind(p as PodId)?;
        }
        for &id in ids {
            c.remove_node(id)?;
        }
        let mut left = Vec::new();
        for &p in pods {
            let spec: &PodSpec = &o.pod(p).spec;
            match sched.place(c, spec, &mut NoRandom) {
                Ok(pl) => c.bind(p as PodId, spec, &pl)?,
                Err(_) => left.push(p),
            }
        }
        Ok(left)
    })
}

/// The group of controller `me`'s node `n`.
fn pool_in(o: &crate::sim::Objects, me: usize, n: NodeKey) -> usize {
    match o.node(n).owner {
        crate::sim::Owner::Controller { index, group } if index == me => group,
        _ => unreachable!("one of this controller's nodes"),
    }
}
