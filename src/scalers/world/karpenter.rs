//! Karpenter in the run loop: batched provisioning across weighted NodePools, the disruption
//! controller (emptiness, consolidation, expiration, within budgets) and spot interruptions.
//!
//! Provisioning (Karpenter's provisioner, simplified where said):
//! - A pod that fails scheduling opens or extends a batch; the batch closes after
//!   `batch_idle_duration` without a new pending pod, or `batch_max_duration` after it opened.
//! - The batch's pods, largest first (GPU, CPU, memory, then arrival), are packed on a fork of the
//!   cluster holding the live and in-flight nodes and the NodeClaims opened so far. A pod that
//!   fits none opens a NodeClaim in the first NodePool (weight descending, then name) that admits
//!   it (taints, labels, requirements) and has an offering not known to be out of capacity whose
//!   instance type fits the pod within the pool's remaining `limits`. As Karpenter does, the pool's
//!   remaining limits are reduced by the largest instance type the claim could become, and later
//!   pods of the batch pack onto the claim. The claim's capacity type is fixed when it opens: spot
//!   when the pool allows spot and a spot offering fits (Karpenter prefers spot), else on-demand.
//! - Each claim launches the best offering among its capacity type's offerings whose type fits
//!   all the claim's pods: on-demand the cheapest (EC2 `lowest-price`); spot by
//!   `price-capacity-optimized`, which fleetsim reads as the lowest interruption bucket (the
//!   deepest pool) first, then the lowest price. An offering with no stock fails as EC2's
//!   InsufficientInstanceCapacity does: it is skipped for `unavailable_offering_ttl` and the next
//!   offering of the same request is tried; when none is left the claim fails and a new batch
//!   opens, where the pool falls through to the next.
//!
//! Disruption (every `disruption_poll`), in Karpenter v1's order: expiration (forceful: budgets
//! and do-not-disrupt do not stop it), then emptiness, multi-node and single-node consolidation,
//! which consider only nodes untouched by pod changes for `consolidateAfter`, without a
//! `karpenter.sh/do-not-disrupt` pod, and within the pool's active budgets for the reason. A
//! consolidation deletes nodes whose pods fit on the other nodes, or replaces them with one
//! cheaper node (never spot by spot unless `spot_to_spot_consolidation`); a replacement launches
//! first and the old nodes drain once it has joined.
//!
//! Draining: the node is cordoned (it leaves the scheduler's view at once), its pods are evicted
//! (a Deployment creates replacements at once; a trace job resumes from its last checkpoint as a
//! new pending pod, and the work since that checkpoint is counted lost), and the node is
//! terminated once its pods' grace periods have run out, capped by the NodePool's
//! `terminationGracePeriod` and, for a spot interruption, by the 2-minute notice.
//! PodDisruptionBudgets: a node (or a set of nodes) is a consolidation candidate only when
//! evicting its running pods stays within every budget's allowed disruptions (healthy pods above
//! `minAvailable`, or within `maxUnavailable` of the expected ones). Expiration and interruptions
//! do not wait for them.
//! Not modelled: drift, pod priority and preemption, daemonset overhead.

use super::{Ev, PState, World};
use crate::core::provision::{Provisioner, Shapes, Usage};
use crate::core::NoRandom;
use crate::core::{ClusterState, NodeId, NodeTemplate, PodId, PodSpec, Scheduler};
use crate::engine::{Phase, RngStreams, SimTime, Stream};
use crate::market::spot::{most_specific, CapacityType, OfferingKey};
use crate::scalers::karpenter::{provisioner_pools, ranked_offerings, ConsolidationPolicy, Reason};
use crate::scalers::AutoscaleSpec;
use std::collections::BTreeMap;

/// Termination reasons of drained nodes, indexed by [`Ev::NodeGone`]'s code.
pub(super) const GONE: [&str; 4] =
    ["consolidation (Empty)", "consolidation (Underutilized)", "expired (expireAfter)", "spot interruption"];

const EMPTY: u8 = 0;
const UNDERUTILIZED: u8 = 1;
const EXPIRED: u8 = 2;
const INTERRUPTED: u8 = 3;

/// Per-node Karpenter bookkeeping.
pub(super) struct KNode {
    /// NodePool index.
    pub pool: usize,
    /// Offering index in the pool.
    pub offering: usize,
    /// Last time a pod was bound here or left.
    pub last_change: SimTime,
    /// Nodes this one replaces: drained once it joins.
    pub replaces: Vec<usize>,
    /// A replacement for this node is on its way.
    pub being_replaced: bool,
}

/// Karpenter's controller state.
pub(super) struct KState {
    /// Counter of cluster changes (binds, departures, nodes joining or leaving).
    pub changes: u64,
    stock: BTreeMap<OfferingKey, u32>,
    ice: BTreeMap<(String, String, CapacityType), SimTime>,
    batch_open: Option<SimTime>,
    batch_last: SimTime,
    provision_queued: bool,
    rng: Stream,
    /// Active windows of each pool's scheduled budgets.
    windows: Vec<Vec<Vec<(SimTime, SimTime)>>>,
    /// (changes, recheck time) after a consolidation pass found nothing to do.
    seen: Option<(u64, SimTime)>,
    /// The pools as the core's provisioner sees them (same indices as the spec's).
    prov: Provisioner,
    /// Spot prices replayed from the price history, by (type, zone): they replace the offerings'.
    spot_price: BTreeMap<(String, String), u64>,
}

impl KState {
    pub(super) fn new(spec: &AutoscaleSpec, streams: &RngStreams) -> KState {
        KState {
            changes: 0,
            stock: spec.market.stock.clone(),
            ice: BTreeMap::new(),
            batch_open: None,
            batch_last: SimTime::ZERO,
            provision_queued: false,
            rng: streams.stream("spot/interruptions"),
            windows: Vec::new(),
            seen: None,
            prov: Provisioner::new(provisioner_pools(&spec.nodepools)),
            spot_price: BTreeMap::new(),
        }
    }
}

/// A consolidation decision.
enum Action {
    Delete(Vec<usize>),
    Replace(Vec<usize>, usize, usize),
}

impl World<'_> {
    /// Schedules the disruption loop and replayed interruptions; computes budget windows.
    pub(super) fn kp_start(&mut self, end: SimTime) -> Result<(), String> {
        if self.spec.nodepools.is_empty() {
            return Ok(());
        }
        let start = self.spec.start_unix_minute;
        self.kp.windows = self
            .spec
            .nodepools
            .iter()
            .map(|np| {
                np.budgets
                    .iter()
                    .map(|b| b.schedule.as_ref().map(|(c, d)| c.windows(*d, start, end)).unwrap_or_default())
                    .collect()
            })
            .collect();
        self.push(self.spec.karpenter.poll, Phase::Scaler, Ev::Disrupt)?;
        for (i, h) in self.spec.market.history.iter().enumerate() {
            if h.at <= end {
                self.push(h.at, Phase::Lifecycle, Ev::History(i))?;
            }
        }
        for (i, h) in self.spec.market.price_history.iter().enumerate() {
            if h.at <= end {
                self.push(h.at, Phase::Lifecycle, Ev::SpotPrice(i))?;
            }
        }
        Ok(())
    }

    /// The price of pool `k`'s offering `o` now, micro-USD per hour.
    fn kp_price(&self, k: usize, o: usize) -> u64 {
        let off = &self.spec.nodepools[k].offerings[o];
        if off.capacity == CapacityType::Spot && !self.kp.spot_price.is_empty() {
            let name = &self.spec.nodepools[k].types[off.ty].name;
            if let Some(&p) = self.kp.spot_price.get(&(name.clone(), off.zone.clone())) {
                return p;
            }
        }
        off.price
    }

    /// A spot price change: later launches and decisions use it, and running spot nodes of the
    /// offering are billed at it from now on (EC2 bills spot at the price of each period).
    pub(super) fn kp_spot_price(&mut self, i: usize) {
        let h = &self.spec.market.price_history[i];
        self.kp.spot_price.insert((h.instance_type.clone(), h.zone.clone()), h.price);
        let now = self.now;
        for n in &mut self.nodes {
            let r = &mut n.row;
            if r.terminated.is_none()
                && r.capacity_type == "spot"
                && r.instance_type == h.instance_type
                && r.zone == h.zone
            {
                r.billed_micro += crate::market::cost_micro(r.price_micro_h, now.0 - r.billed_from.0);
                r.billed_from = now;
                r.price_micro_h = h.price;
            }
        }
    }

    /// A pod became unschedulable: open or extend the batch.
    pub(super) fn kp_trigger(&mut self) -> Result<(), String> {
        if self.spec.nodepools.is_empty() {
            return Ok(());
        }
        let cfg = &self.spec.karpenter;
        let start = *self.kp.batch_open.get_or_insert(self.now);
        self.kp.batch_last = self.now;
        if !self.kp.provision_queued {
            self.kp.provision_queued = true;
            let at = self.now.plus(cfg.batch_idle).min(start.plus(cfg.batch_max));
            self.push(at, Phase::Scaler, Ev::Provision)?;
        }
        Ok(())
    }

    pub(super) fn kp_provision_event(&mut self) -> Result<(), String> {
        self.kp.provision_queued = false;
        let Some(start) = self.kp.batch_open else { return Ok(()) };
        let cfg = &self.spec.karpenter;
        let close = self.kp.batch_last.plus(cfg.batch_idle).min(start.plus(cfg.batch_max));
        if self.now < close {
            self.kp.provision_queued = true;
            return self.push(close, Phase::Scaler, Ev::Provision);
        }
        self.kp.batch_open = None;
        self.plan_on_fork(Self::kp_provision_on)
    }

    /// Whether pool `k`'s offering `o` is skipped after an insufficient-capacity error.
    fn kp_offering_blocked(&self, k: usize, o: usize) -> bool {
        if self.kp.ice.is_empty() {
            return false; // the common case, without building a key
        }
        let np = &self.spec.nodepools[k];
        let off = &np.offerings[o];
        let key = (np.types[off.ty].name.clone(), off.zone.clone(), off.capacity);
        self.kp.ice.get(&key).is_some_and(|&until| self.now < until)
    }

    /// Resources of pool `k`'s nodes not yet terminated.
    fn kp_usage(&self, k: usize) -> Usage {
        self.nodes.iter().filter(|n| n.row.terminated.is_none() && n.kp.as_ref().is_some_and(|x| x.pool == k)).fold(
            Usage::default(),
            |u, n| {
                let x = n.kp.as_ref().expect("filtered");
                u.plus(self.kp_offering_usage(k, x.offering))
            },
        )
    }

    /// Pool `k`'s offerings of capacity type `cap`, best first: on-demand by price, spot by
    /// interruption bucket then price (price-capacity-optimized), ties by type name and zone.
    fn kp_ranked(&self, k: usize, cap: CapacityType) -> Vec<usize> {
        ranked_offerings(&self.spec.nodepools[k], &self.spec.market, cap, |o| self.kp_price(k, o))
    }

    /// The first offering of `ranked` (pool `k`) that admits and fits all `pods` together and
    /// passes `accept` (the core's [`Provisioner::first_fit`]).
    fn kp_first_fit(
        &self,
        k: usize,
        ranked: &[usize],
        shapes: &mut Shapes,
        pods: &[usize],
        accept: impl FnMut(usize) -> bool,
    ) -> Result<Option<usize>, String> {
        let pods: Vec<(PodId, &PodSpec)> = pods.iter().map(|&p| (p as PodId, &self.pods[p].spec)).collect();
        self.kp.prov.first_fit(self.cluster.options(), shapes, k, ranked, &pods, accept).map_err(|e| e.to_string())
    }

    /// The capacity pool `k`'s offering `o` adds to the pool's usage.
    fn kp_offering_usage(&self, k: usize, o: usize) -> Usage {
        Usage::of_node(&self.kp.prov.pools[k].offerings[o].node)
    }

    fn kp_provision_on(&mut self, c: &mut ClusterState, pending: Vec<usize>) -> Result<(), String> {
        self.add_upcoming(c)?;
        let mut shapes = Shapes::default();
        let mut usage: Vec<Usage> = (0..self.spec.nodepools.len()).map(|k| self.kp_usage(k)).collect();
        let packing = {
            let batch: Vec<(PodId, &PodSpec)> = pending.iter().map(|&p| (p as PodId, &self.pods[p].spec)).collect();
            let available = |k: usize, o: usize| !self.kp_offering_blocked(k, o);
            self.kp.prov.pack(c, &mut shapes, &batch, &mut usage, available).map_err(|e| e.to_string())?
        };
        for &p in &packing.incompatible {
            let p = p as usize;
            if self.pods[p].reported_no_pool {
                continue;
            }
            self.pods[p].reported_no_pool = true;
            let why = self.kp.prov.why_incompatible(&self.pods[p].spec);
            self.recs[p].reason = why.clone();
            let name = self.pods[p].spec.name.clone();
            self.event("FailedProvisioning", format!("pod/{name}"), format!("incompatible with every NodePool: {why}"));
        }
        let mut ranked: BTreeMap<(usize, CapacityType), Vec<usize>> = BTreeMap::new();
        let mut retry = false;
        for cl in packing.claims {
            let cap = CapacityType::of_spot(cl.spot);
            let pods: Vec<usize> = cl.pods.iter().map(|&p| p as usize).collect();
            let order = ranked.entry((cl.pool, cap)).or_insert_with(|| self.kp_ranked(cl.pool, cap)).clone();
            let mut launched = false;
            let mut skip: Vec<usize> = Vec::new();
            loop {
                // The best offering left that fits the claim; one out of capacity is skipped
                // for the TTL and the next one tried, as EC2 Fleet does within one request.
                let pick = self.kp_first_fit(cl.pool, &order, &mut shapes, &pods, |o| {
                    !skip.contains(&o) && !self.kp_offering_blocked(cl.pool, o)
                })?;
                let Some(o) = pick else { break };
                let np = &self.spec.nodepools[cl.pool];
                let off = &np.offerings[o];
                let it_name = np.types[off.ty].name.clone();
                let zone = off.zone.clone();
                let cap = off.capacity;
                let key = most_specific(&self.kp.stock, &it_name, &zone, cap).map(|(k, _)| k.clone());
                if let Some(k) = &key {
                    if self.kp.stock[k] == 0 {
                        let until = self.now.plus(self.spec.karpenter.unavailable_ttl);
                        self.kp.ice.insert((it_name.clone(), zone.clone(), cap), until);
                        self.counters.provisioning_failures += 1;
                        let pool = np.name.clone();
                        self.event(
                            "InsufficientCapacityError",
                            format!("nodepool/{pool}"),
                            format!("InsufficientInstanceCapacity: {it_name} {} in {zone}", cap.as_str()),
                        );
                        skip.push(o);
                        continue;
                    }
                    *self.kp.stock.get_mut(k).expect("present") -= 1;
                }
                let names: Vec<String> = pods.iter().map(|&p| self.pods[p].spec.name.clone()).collect();
                self.kp_launch(cl.pool, o, &names, Vec::new())?;
                launched = true;
                break;
            }
            retry |= !launched;
        }
        if retry {
            self.kp_trigger()?;
        }
        Ok(())
    }

    /// Launches pool `k`'s offering `o` for `pods` (names, for the event).
    fn kp_launch(&mut self, k: usize, o: usize, pods: &[String], replaces: Vec<usize>) -> Result<usize, String> {
        let np = &self.spec.nodepools[k];
        let off = &np.offerings[o];
        let it = &np.types[off.ty];
        let idx = self.nodes.len();
        let name = format!("{}-{}", np.name, idx);
        let spec = it.node_spec(name.clone(), off.labels.clone(), np.taints.clone());
        let od = it.on_demand[off.zone.as_str()];
        self.nodes.push(super::Node {
            row: super::NodeRow {
                id: None,
                name: name.clone(),
                pool: np.name.clone(),
                instance_type: it.name.clone(),
                capacity_type: off.capacity.as_str().into(),
                zone: off.zone.clone(),
                gpus: it.gpus,
                launched: self.now,
                ready: None,
                terminated: None,
                reason: String::new(),
                price_micro_h: self.kp_price(k, o),
                on_demand_micro_h: od,
                billed_micro: 0,
                billed_from: self.now,
            },
            pool: usize::MAX,
            itype: off.ty,
            template: NodeTemplate::of(&spec),
            images: BTreeMap::new(),
            idle_since: None,
            unneeded_since: None,
            pods: Default::default(),
            kp: Some(KNode { pool: k, offering: o, last_change: self.now, replaces, being_replaced: false }),
            draining: false,
        });
        self.counters.nodes_launched += 1;
        self.counters.scale_ups += 1;
        let why = if pods.is_empty() { "replacement".to_string() } else { format!("for {}", pods.join(", ")) };
        let (ty, zone, cap) = (it.name.clone(), off.zone.clone(), off.capacity);
        self.event(
            "Launched",
            format!("nodeclaim/{name}"),
            format!("launched nodeclaim {name}: {ty} {} in {zone} ({why})", cap.as_str()),
        );
        let d = self.spec.lifecycle.instance_running.draw(&mut self.rng_life);
        self.push(self.now.plus(d), Phase::Lifecycle, Ev::NodeStep(idx, 1))?;
        if cap == CapacityType::Spot {
            if let Some(t) = self.spec.market.bucket(&ty, &zone).draw(&mut self.kp.rng) {
                self.push(self.now.plus(t), Phase::Lifecycle, Ev::SpotNotice(idx))?;
            }
        }
        Ok(idx)
    }

    /// A Karpenter node joined: drain what it replaces.
    pub(super) fn kp_joined(&mut self, n: usize) -> Result<(), String> {
        let Some(k) = self.nodes[n].kp.as_mut() else { return Ok(()) };
        k.last_change = self.now;
        for old in std::mem::take(&mut k.replaces) {
            if self.nodes[old].row.terminated.is_none() && !self.nodes[old].draining {
                self.kp_drain(old, UNDERUTILIZED, None)?;
            }
        }
        Ok(())
    }

    /// A Karpenter node terminated: its stock returns; nodes it was replacing stay.
    pub(super) fn kp_released(&mut self, n: usize) {
        let Some(k) = self.nodes[n].kp.as_mut() else { return };
        for old in std::mem::take(&mut k.replaces) {
            if let Some(x) = self.nodes[old].kp.as_mut() {
                x.being_replaced = false;
            }
        }
        let row = &self.nodes[n].row;
        let cap = if row.capacity_type == "spot" { CapacityType::Spot } else { CapacityType::OnDemand };
        if let Some((key, _)) = most_specific(&self.kp.stock, &row.instance_type, &row.zone, cap) {
            let key = key.clone();
            *self.kp.stock.get_mut(&key).expect("present") += 1;
        }
    }

    /// Cordons and drains node `n` (see the module docs); `why` indexes [`GONE`].
    fn kp_drain(&mut self, n: usize, why: u8, cap: Option<SimTime>) -> Result<(), String> {
        let Some(id) = self.nodes[n].row.id else {
            return self.terminate(n, GONE[why as usize]);
        };
        self.nodes[n].draining = true;
        let node_name = self.nodes[n].row.name.clone();
        let (evicted, grace) = self.evict_pods(n, GONE[why as usize])?;
        if why == INTERRUPTED {
            self.counters.interrupted_pods += evicted;
        } else {
            self.counters.disrupted_pods += evicted;
        }
        self.cluster.remove_node(id).map_err(|e| e.to_string())?;
        self.by_core.remove(&id);
        self.kp.changes += 1;
        match why {
            EMPTY => self.counters.disruptions_empty += 1,
            UNDERUTILIZED => self.counters.disruptions_underutilized += 1,
            EXPIRED => self.counters.disruptions_expired += 1,
            _ => {}
        }
        let k = self.nodes[n].kp.as_ref().map(|x| x.pool).expect("a Karpenter node");
        let mut drain = grace;
        if let Some(g) = self.spec.nodepools[k].termination_grace {
            drain = drain.min(g);
        }
        if let Some(c) = cap {
            drain = drain.min(c);
        }
        self.event(
            "DisruptionTerminating",
            format!("node/{node_name}"),
            format!("Disrupting node: {}; draining for {}s", GONE[why as usize], drain.0 / 1000),
        );
        self.push(self.now.plus(drain), Phase::Lifecycle, Ev::NodeGone(n, why))?;
        if !self.pending.is_empty() {
            self.want_schedule()?;
        }
        Ok(())
    }

    /// An evicted trace job comes back as a new pending pod that resumes from its last
    /// checkpoint; the work since then is lost.
    pub(super) fn requeue_job(&mut self, p: usize) -> Result<(), String> {
        let worked = self.recs[p].running.map_or(0, |r| self.now.0.saturating_sub(r.0));
        let saved = self.pods[p].checkpoint.map_or(0, |c| worked / c.0 * c.0);
        let lost = worked - saved;
        self.counters.lost_gpu_ms += (lost as u128 * self.pods[p].spec.gpu.total_milli() as u128 / 1000) as u64;
        let origin = self.pods[p].origin;
        self.pods[origin].retries += 1;
        let k = self.pods[origin].retries;
        let mut spec = self.pods[origin].spec.clone();
        spec.name = format!("{}-retry{k}", spec.name);
        let (image, bytes, grace) = (self.pods[p].image.clone(), self.pods[p].image_bytes, self.pods[p].grace);
        let remaining = self.pods[p].duration.map(|d| SimTime(d.0.saturating_sub(saved)));
        let (checkpoint, dnd) = (self.pods[p].checkpoint, self.pods[p].do_not_disrupt);
        let (gang, priority) = (self.pods[p].gang, self.pods[p].priority);
        let q = self.new_pod(spec, None, image, bytes, grace, self.now);
        let pod = &mut self.pods[q];
        pod.duration = remaining;
        pod.checkpoint = checkpoint;
        pod.do_not_disrupt = dnd;
        pod.gang = gang;
        pod.priority = priority;
        pod.origin = origin;
        self.pending.push_back(q);
        self.want_schedule()
    }

    pub(super) fn kp_spot_notice(&mut self, n: usize) -> Result<(), String> {
        if self.nodes[n].row.terminated.is_some() || self.nodes[n].draining {
            return Ok(());
        }
        self.counters.interruptions += 1;
        let name = self.nodes[n].row.name.clone();
        let notice = self.spec.market.notice;
        self.event(
            "SpotInterrupted",
            format!("node/{name}"),
            format!("Spot interruption notice: the instance is reclaimed in {}s", notice.0 / 1000),
        );
        self.kp_drain(n, INTERRUPTED, Some(notice))
    }

    pub(super) fn kp_history(&mut self, i: usize) -> Result<(), String> {
        let h = &self.spec.market.history[i];
        let hit: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| {
                let r = &self.nodes[n].row;
                r.capacity_type == "spot"
                    && r.terminated.is_none()
                    && !self.nodes[n].draining
                    && r.instance_type == h.instance_type
                    && r.zone == h.zone
            })
            .take(h.count as usize)
            .collect();
        for n in hit {
            self.kp_spot_notice(n)?;
        }
        Ok(())
    }

    /// Nodes pool `k`'s budgets let be disrupted now for `reason`.
    fn kp_allowed(&self, k: usize, reason: Reason) -> u32 {
        let np = &self.spec.nodepools[k];
        let mine = |n: &&super::Node| n.row.terminated.is_none() && n.kp.as_ref().is_some_and(|x| x.pool == k);
        let total = self.nodes.iter().filter(mine).count() as u32;
        let disrupting = self.nodes.iter().filter(mine).filter(|n| n.draining).count() as u32;
        let mut allowed = u32::MAX;
        for (b, budget) in np.budgets.iter().enumerate() {
            if !budget.reasons.is_empty() && !budget.reasons.contains(&reason) {
                continue;
            }
            if budget.schedule.is_some() {
                let w = &self.kp.windows[k][b];
                let i = w.partition_point(|&(from, _)| from <= self.now);
                if i == 0 || w[i - 1].1 <= self.now {
                    continue; // not in a window: the budget is inactive
                }
            }
            allowed = allowed.min(budget.allowed(total));
        }
        allowed.saturating_sub(disrupting)
    }

    /// The disruption controller's loop.
    pub(super) fn kp_poll(&mut self) -> Result<(), String> {
        // Expiration: forceful.
        for n in 0..self.nodes.len() {
            let node = &self.nodes[n];
            let Some(k) = node.kp.as_ref() else { continue };
            if node.row.terminated.is_some() || node.draining || node.row.id.is_none() {
                continue;
            }
            if let Some(e) = self.spec.nodepools[k.pool].expire_after {
                if self.now.0 - node.row.launched.0 >= e.0 {
                    self.kp_drain(n, EXPIRED, None)?;
                }
            }
        }
        // Pods still pending with no batch open (a pool at its limit, capacity errors, nodes gone).
        let stuck = self.pending.iter().any(|&p| self.pods[p].failed_once);
        if stuck && self.kp.batch_open.is_none() {
            self.kp_trigger()?;
        }
        if self.kp.batch_open.is_some() {
            return Ok(()); // Karpenter does not consolidate while it provisions
        }
        if let Some((changes, recheck)) = self.kp.seen {
            if changes == self.kp.changes && self.now < recheck {
                return Ok(());
            }
        }
        if !self.kp_consolidate()? {
            self.kp.seen = Some((self.kp.changes, self.kp_recheck_time()));
        }
        Ok(())
    }

    /// When a consolidation pass that found nothing could find something without any change:
    /// a node's consolidateAfter running out or a budget window opening or closing.
    fn kp_recheck_time(&self) -> SimTime {
        let mut t = SimTime(u64::MAX);
        for node in &self.nodes {
            let Some(k) = node.kp.as_ref() else { continue };
            if node.row.terminated.is_some() || node.draining {
                continue;
            }
            if let Some(ca) = self.spec.nodepools[k.pool].consolidate_after {
                let at = k.last_change.plus(ca);
                if at > self.now {
                    t = t.min(at);
                }
            }
        }
        for w in self.kp.windows.iter().flatten().flatten() {
            for edge in [w.0, w.1] {
                if edge > self.now {
                    t = t.min(edge);
                }
            }
        }
        t
    }

    /// Evictions each PodDisruptionBudget allows now.
    fn kp_pdb_allowed(&self) -> Vec<u32> {
        let mut expected = vec![0u32; self.spec.pdbs.len()];
        let mut healthy = vec![0u32; self.spec.pdbs.len()];
        for p in &self.pods {
            for &b in &p.pdbs {
                match p.state {
                    PState::Running => {
                        expected[b] += 1;
                        healthy[b] += 1;
                    }
                    PState::Pending | PState::Bound => expected[b] += 1,
                    _ => {}
                }
            }
        }
        (0..self.spec.pdbs.len()).map(|b| self.spec.pdbs[b].allowed(expected[b], healthy[b])).collect()
    }

    /// Whether evicting the running pods of `nodes` stays within the PDBs' `allowed`.
    fn kp_pdbs_permit(&self, nodes: &[usize], allowed: &[u32]) -> bool {
        if allowed.is_empty() {
            return true;
        }
        let mut take = vec![0u32; allowed.len()];
        for &n in nodes {
            for &p in &self.nodes[n].pods {
                if self.pods[p].state == PState::Running {
                    for &b in &self.pods[p].pdbs {
                        take[b] += 1;
                    }
                }
            }
        }
        take.iter().zip(allowed).all(|(t, a)| t <= a)
    }

    /// Consolidation candidates: joined nodes, idle of pod changes for consolidateAfter, without a
    /// do-not-disrupt pod, whose pods the PodDisruptionBudgets let go, not already being replaced.
    fn kp_candidates(&self, pdb: &[u32]) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| {
                let node = &self.nodes[n];
                let Some(k) = node.kp.as_ref() else { return false };
                if node.row.terminated.is_some() || node.draining || node.row.id.is_none() || k.being_replaced {
                    return false;
                }
                let Some(ca) = self.spec.nodepools[k.pool].consolidate_after else { return false };
                self.now.0 - k.last_change.0 >= ca.0
                    && !node.pods.iter().any(|&p| self.pods[p].do_not_disrupt)
                    && self.kp_pdbs_permit(&[n], pdb)
            })
            .collect()
    }

    /// One consolidation action, if any; whether one was taken.
    fn kp_consolidate(&mut self) -> Result<bool, String> {
        let pdb = self.kp_pdb_allowed();
        let cands = self.kp_candidates(&pdb);
        if cands.is_empty() {
            return Ok(false);
        }
        let pool_of = |w: &World<'_>, n: usize| w.nodes[n].kp.as_ref().map(|k| k.pool).expect("candidate");
        // Emptiness: every empty candidate the budgets allow, in one command.
        let mut allowed: BTreeMap<usize, u32> = BTreeMap::new();
        let mut empties = Vec::new();
        for &n in &cands {
            if self.nodes[n].pods.is_empty() {
                let k = pool_of(self, n);
                let a = *allowed.entry(k).or_insert_with(|| self.kp_allowed(k, Reason::Empty));
                if a > 0 {
                    allowed.insert(k, a - 1);
                    empties.push(n);
                }
            }
        }
        if !empties.is_empty() {
            for n in empties {
                let name = self.nodes[n].row.name.clone();
                self.event("DisruptionLaunching", format!("node/{name}"), "Disrupting node: Empty".into());
                self.kp_drain(n, EMPTY, None)?;
            }
            return Ok(true);
        }
        // Underutilized: non-empty candidates of WhenEmptyOrUnderutilized pools, cheapest to
        // disrupt first (fewest pods, then the most expensive node, then id).
        let mut allowed_under: BTreeMap<usize, u32> = BTreeMap::new();
        let mut under = Vec::new();
        for n in cands {
            let k = pool_of(self, n);
            if self.spec.nodepools[k].policy != ConsolidationPolicy::WhenEmptyOrUnderutilized
                || self.nodes[n].pods.is_empty()
            {
                continue;
            }
            let a = *allowed_under.entry(k).or_insert_with(|| self.kp_allowed(k, Reason::Underutilized));
            if a > 0 {
                under.push(n);
            }
        }
        under.sort_by_key(|&n| (self.nodes[n].pods.len(), std::cmp::Reverse(self.nodes[n].row.price_micro_h), n));
        under.truncate(100);
        // Multi-node: the longest prefix (within budgets) that can go or be replaced by one node.
        let within_budget = |w: &World<'_>, set: &[usize]| {
            if !w.kp_pdbs_permit(set, &pdb) {
                return false;
            }
            let mut per: BTreeMap<usize, u32> = BTreeMap::new();
            for &n in set {
                *per.entry(pool_of(w, n)).or_default() += 1;
            }
            per.iter().all(|(k, &c)| c <= allowed_under[k])
        };
        let (mut lo, mut hi) = (2usize, under.len());
        let mut best: Option<Action> = None;
        while lo <= hi {
            let mid = (lo + hi) / 2;
            let set = &under[..mid];
            let a = if within_budget(self, set) { self.kp_try(set)? } else { None };
            if a.is_some() {
                best = a;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if best.is_none() {
            for &n in &under {
                if let Some(a) = self.kp_try(&[n])? {
                    best = Some(a);
                    break;
                }
            }
        }
        match best {
            None => Ok(false),
            Some(Action::Delete(ns)) => {
                for n in ns {
                    let name = self.nodes[n].row.name.clone();
                    self.event(
                        "DisruptionLaunching",
                        format!("node/{name}"),
                        "Disrupting node: Underutilized/Delete".into(),
                    );
                    self.kp_drain(n, UNDERUTILIZED, None)?;
                }
                Ok(true)
            }
            Some(Action::Replace(ns, k, o)) => {
                for &n in &ns {
                    self.nodes[n].kp.as_mut().expect("candidate").being_replaced = true;
                    let name = self.nodes[n].row.name.clone();
                    self.event(
                        "DisruptionLaunching",
                        format!("node/{name}"),
                        "Disrupting node: Underutilized/Replace".into(),
                    );
                }
                self.kp_launch(k, o, &[], ns)?;
                Ok(true)
            }
        }
    }

    /// Whether the nodes `set` can be deleted (their pods fit on the other nodes) or replaced by
    /// one cheaper node.
    fn kp_try(&mut self, set: &[usize]) -> Result<Option<Action>, String> {
        let mut pods: Vec<usize> = set.iter().flat_map(|&n| self.nodes[n].pods.iter().copied()).collect();
        pods.sort_by_key(|&p| {
            let s = &self.pods[p].spec;
            (std::cmp::Reverse((s.gpu.total_milli(), s.cpu_milli, s.memory_mib)), p)
        });
        let ids: Vec<NodeId> = set.iter().filter_map(|&n| self.nodes[n].row.id).collect();
        let specs: Vec<PodSpec> = pods.iter().map(|&p| self.pods[p].spec.clone()).collect();
        let mut sched = Scheduler::new(crate::core::PolicyName::FirstFit.build(&crate::core::Workload::default()));
        let left: Vec<usize> = self.cluster.what_if(|c| -> Result<Vec<usize>, String> {
            for &p in &pods {
                c.unbind(p as PodId).map_err(|e| e.to_string())?;
            }
            for &id in &ids {
                c.remove_node(id).map_err(|e| e.to_string())?;
            }
            let mut left = Vec::new();
            for (&p, spec) in pods.iter().zip(&specs) {
                match sched.place(c, spec, &mut NoRandom) {
                    Ok(pl) => c.bind(p as PodId, spec, &pl).map_err(|e| e.to_string())?,
                    Err(_) => left.push(p),
                }
            }
            Ok(left)
        })?;
        if left.is_empty() {
            return Ok(Some(Action::Delete(set.to_vec())));
        }
        // Replacement: one node, cheaper than the set, for the pods that did not fit (Karpenter
        // simulates all of them on the rest plus one new node; this checks the leftovers alone).
        let price: u64 = set.iter().map(|&n| self.nodes[n].row.price_micro_h).sum();
        let all_spot = set.iter().all(|&n| self.nodes[n].row.capacity_type == "spot");
        let mut best: Option<(u64, usize, usize)> = None;
        let mut shapes = Shapes::default();
        for &k in self.kp.prov.order() {
            let usage = self.kp_usage(k);
            for cap in [CapacityType::Spot, CapacityType::OnDemand] {
                if cap == CapacityType::Spot && all_spot && !self.spec.karpenter.spot_to_spot {
                    continue;
                }
                let mut order = self.kp_ranked(k, cap);
                order.sort_by_key(|&o| self.kp_price(k, o)); // stable: rank breaks ties
                let pick = self.kp_first_fit(k, &order, &mut shapes, &left, |o| {
                    self.kp_price(k, o) < price
                        && !self.kp_offering_blocked(k, o)
                        && self.spec.nodepools[k].limits.admit(usage.plus(self.kp_offering_usage(k, o)))
                })?;
                if let Some(o) = pick {
                    let p = self.kp_price(k, o);
                    if best.is_none_or(|(b, _, _)| p < b) {
                        best = Some((p, k, o));
                    }
                }
            }
        }
        Ok(best.map(|(_, k, o)| Action::Replace(set.to_vec(), k, o)))
    }
}
