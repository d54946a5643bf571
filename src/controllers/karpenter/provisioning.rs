//! Karpenter's provisioner, simplified where said:
//! - A pod that fails scheduling opens or extends a batch; the batch closes after
//!   `batch_idle_duration` without a new pending pod, or `batch_max_duration` after it opened.
//! - The batch's pods (every pod that failed scheduling and still waits) are packed by
//!   [`crate::core::provision::Provisioner::pack`] on a fork holding the live nodes and those on
//!   their way: a pod that fits none opens a NodeClaim in the first NodePool (weight descending,
//!   then name descending) that admits it and has an offering not known to be out of capacity within the
//!   pool's remaining `limits`; spot when the pool allows spot and a spot offering fits.
//! - Each claim launches the best offering of its capacity type ([`super::ranked_offerings`])
//!   whose type fits all the claim's pods. An offering the cloud has no capacity for fails as
//!   EC2's InsufficientInstanceCapacity does: it is skipped for `unavailable_offering_ttl` and
//!   the next offering tried; when none is left the claim fails and a new batch opens, where the
//!   pool falls through to the next.

use super::{Karpenter, PROVISION};
use crate::core::provision::{Claim, Shapes, Usage};
use crate::core::{PodId, PodSpec};
use crate::market::cloud::Ask;
use crate::market::spot::CapacityType;
use crate::sim::{Action, PodKey, SimError, View};
use std::collections::BTreeMap;

/// One provisioning pass's decision, as `fleetsim plan` reports it.
#[derive(Debug, Clone, Default)]
pub struct Provisioning {
    /// The claims (pool, capacity type, pods), each with the offering it launched (`None`: no
    /// offering held its pods together, or every one was out of capacity).
    pub claims: Vec<(Claim, Option<usize>)>,
    /// Pods no pool admits.
    pub incompatible: Vec<PodKey>,
    /// Pods every admitting pool's limits keep out.
    pub blocked: Vec<PodKey>,
}

impl Karpenter {
    /// The batch's timer: it closes now, or later if pods kept coming.
    pub(super) fn provision_event(&mut self, view: &mut View<'_>, out: &mut Vec<Action>) -> Result<(), SimError> {
        self.provision_queued = false;
        let Some(start) = self.batch_open else { return Ok(()) };
        let close = self.batch_last.plus(self.cfg.batch_idle).min(start.plus(self.cfg.batch_max));
        if view.now < close {
            self.provision_queued = true;
            out.push(Action::WakeAt { at: close, phase: crate::engine::Phase::Scaler, token: PROVISION });
            return Ok(());
        }
        self.batch_open = None;
        let p = self.provision(view, out)?;
        if p.claims.iter().any(|(_, o)| o.is_none()) {
            self.trigger(view.now, out);
        }
        Ok(())
    }

    /// One provisioning pass over the pods that failed scheduling: the claims and the launches
    /// (in `out`, with the capacity errors and the reports of incompatible pods).
    pub fn provision(&mut self, view: &mut View<'_>, out: &mut Vec<Action>) -> Result<Provisioning, SimError> {
        let o = view.objects;
        let pending: Vec<PodKey> = o.unschedulable().collect();
        if pending.is_empty() {
            return Ok(Provisioning::default());
        }
        let mut shapes = Shapes::default();
        let mut usage: Vec<Usage> = (0..self.nodepools.len()).map(|k| self.usage(view, k)).collect();
        let now = view.now;
        let packing = {
            let batch: Vec<(PodId, &PodSpec)> = pending.iter().map(|&p| (p as PodId, &o.pod(p).spec)).collect();
            let me = &*self;
            let available = |k: usize, off: usize| !me.blocked(now, k, off);
            view.cluster.what_if(|c| -> Result<_, SimError> {
                o.add_upcoming(c)?;
                Ok(me.prov.pack(c, &mut shapes, &batch, &mut usage, available)?)
            })?
        };
        let mut decision = Provisioning {
            incompatible: packing.incompatible.iter().map(|&p| p as PodKey).collect(),
            blocked: packing.blocked.iter().map(|&p| p as PodKey).collect(),
            claims: Vec::new(),
        };
        for &p in &decision.incompatible {
            if !self.reported.insert(p) {
                continue;
            }
            let spec = &o.pod(p).spec;
            let why = self.prov.why_incompatible(spec);
            out.push(Action::PodReason { pod: p, reason: why.clone() });
            out.push(Action::event(
                "FailedProvisioning",
                format!("pod/{}", spec.name),
                format!("incompatible with every NodePool: {why}"),
            ));
        }
        let mut ranked: BTreeMap<(usize, CapacityType), Vec<usize>> = BTreeMap::new();
        for cl in packing.claims {
            let cap = CapacityType::of_spot(cl.spot);
            let pods: Vec<PodKey> = cl.pods.iter().map(|&p| p as PodKey).collect();
            let order = match ranked.get(&(cl.pool, cap)) {
                Some(r) => r.clone(),
                None => {
                    let r = self.ranked(view, cl.pool, cap);
                    ranked.insert((cl.pool, cap), r.clone());
                    r
                }
            };
            let mut launched = None;
            let mut skip: Vec<usize> = Vec::new();
            loop {
                // The best offering left that fits the claim; one out of capacity is skipped
                // for the TTL and the next one tried, as EC2 Fleet does within one request.
                let me = &*self;
                let pick = me.first_fit(view, cl.pool, &order, &mut shapes, &pods, |off| {
                    !skip.contains(&off) && !me.blocked(now, cl.pool, off)
                })?;
                let Some(off) = pick else { break };
                let np = &self.nodepools[cl.pool];
                let offering = &np.offerings[off];
                let (it, zone) = (np.types[offering.ty].name.clone(), offering.zone.clone());
                let ask = Ask { group: &np.name, instance_type: &it, zone: &zone, capacity: cap };
                if !view.cloud.available(ask) {
                    self.ice.insert((it.clone(), zone.clone(), cap), now.plus(self.cfg.unavailable_ttl));
                    self.f.failures += 1;
                    out.push(Action::event(
                        "InsufficientCapacityError",
                        format!("nodepool/{}", np.name),
                        format!("InsufficientInstanceCapacity: {it} {} in {zone}", cap.as_str()),
                    ));
                    skip.push(off);
                    continue;
                }
                let names: Vec<String> = pods.iter().map(|&p| o.pod(p).spec.name.clone()).collect();
                out.extend(self.launch(view, cl.pool, off, &names, Vec::new()).expect("available"));
                launched = Some(off);
                break;
            }
            decision.claims.push((cl, launched));
        }
        Ok(decision)
    }
}
