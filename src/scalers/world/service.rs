//! Inference services in the run loop: per-second fluid serving of the traffic by the replicas
//! that serve, and the HPA's sync (see [`crate::scalers::service`]).

use super::{Ev, PState, World};
use crate::engine::{Phase, SimTime};
use crate::scalers::service::{HpaState, Overload};

/// A service's figures at the end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceStats {
    /// The Deployment's name.
    pub name: String,
    /// Requests that arrived.
    pub requests: u64,
    /// Tokens that arrived.
    pub tokens: u64,
    /// Tokens served in the second they arrived.
    pub tokens_in_time: u64,
    /// Tokens served later, from the queue.
    pub tokens_late: u64,
    /// Tokens dropped (`overload: drop`).
    pub tokens_dropped: u64,
    /// Tokens still queued at the end.
    pub tokens_queued_end: u64,
    /// Seconds in which the work that arrived exceeded the serving capacity.
    pub underprovisioned_s: u64,
    /// HPA changes of the replica count.
    pub rescales: u64,
}

/// A service's run-time state.
#[derive(Debug, Default)]
pub(super) struct SvcState {
    serving: u32,
    /// Tokens per second of the serving replicas together.
    capacity: u64,
    backlog: u64,
    /// Seconds accounted so far (the next second to account).
    until_s: u64,
    /// Tokens arrived since the last HPA sync.
    since_sync: u64,
    hpa: HpaState,
    stats: ServiceStats,
}

impl World<'_> {
    /// The service Deployment `d` belongs to.
    pub(super) fn svc_of_deployment(&self, d: usize) -> Option<usize> {
        let name = &self.deployments[d].spec.name;
        self.spec.services.iter().position(|s| &s.deployment == name)
    }

    pub(super) fn svc_start(&mut self, end: SimTime) -> Result<(), String> {
        for (i, s) in self.spec.services.iter().enumerate() {
            self.svc[i].stats.name = s.deployment.clone();
            if let Some(h) = &s.hpa {
                if h.sync <= end {
                    self.push(h.sync, Phase::Scaler, Ev::Hpa(i))?;
                }
            }
        }
        Ok(())
    }

    /// Serves every whole second before `now` at the current capacity.
    fn svc_account(&mut self, i: usize, now: SimTime) {
        let spec = &self.spec.services[i];
        let st = &mut self.svc[i];
        let to = now.0 / 1000;
        let cap = st.capacity;
        while st.until_s < to {
            let s = st.until_s;
            let d = spec.tokens_at(s);
            st.stats.requests += spec.requests_at(s);
            st.stats.tokens += d;
            st.since_sync += d;
            let mut avail = cap;
            let late = st.backlog.min(avail);
            st.backlog -= late;
            avail -= late;
            st.stats.tokens_late += late;
            let now_served = d.min(avail);
            st.stats.tokens_in_time += now_served;
            let rest = d - now_served;
            match spec.overload {
                Overload::Queue => st.backlog += rest,
                Overload::Drop => st.stats.tokens_dropped += rest,
            }
            if d > cap {
                st.stats.underprovisioned_s += 1;
            }
            st.until_s += 1;
        }
    }

    /// A replica finished loading its model.
    pub(super) fn svc_serving(&mut self, p: usize) {
        let Some(i) = self.pods[p].service else { return };
        if self.pods[p].state != PState::Running || self.pods[p].serving {
            return;
        }
        self.svc_account(i, self.now);
        self.pods[p].serving = true;
        let c = self.replica_capacity(p);
        self.pods[p].capacity = c;
        self.svc[i].serving += 1;
        self.svc[i].capacity += c;
    }

    /// Tokens per second replica `p` serves: its node's GPU model's figure, or the default.
    fn replica_capacity(&self, p: usize) -> u64 {
        let spec = &self.spec.services[self.pods[p].service.expect("a service pod")];
        let model = self.recs[p]
            .node
            .and_then(|id| self.cluster.node(id))
            .and_then(|n| self.cluster.template(n.template).gpu_model.clone());
        model.and_then(|m| spec.by_gpu_model.get(&m).copied()).unwrap_or(spec.tokens_per_s)
    }

    /// A replica stops serving (deleted, evicted or gone).
    pub(super) fn svc_stop(&mut self, p: usize) {
        if !self.pods[p].serving {
            return;
        }
        let i = self.pods[p].service.expect("a serving pod belongs to a service");
        self.svc_account(i, self.now);
        self.pods[p].serving = false;
        self.svc[i].serving -= 1;
        // The node may already be gone from the scheduler's view (a drain): use what was added.
        let c = self.pods[p].capacity;
        self.svc[i].capacity -= c;
    }

    /// One HPA sync of service `i`.
    pub(super) fn svc_hpa(&mut self, i: usize) -> Result<(), String> {
        let Some(h) = self.spec.services[i].hpa.clone() else { return Ok(()) };
        self.svc_account(i, self.now);
        let Some(d) = self.deployment(&self.spec.services[i].deployment) else { return Ok(()) };
        let current = self.live_pods(d).len() as u32;
        let demand = self.svc[i].since_sync as f64 / (h.sync.0 as f64 / 1000.0);
        self.svc[i].since_sync = 0;
        // Per-replica capacity: the serving replicas' average, or the default before any serves.
        let st = &self.svc[i];
        let per = if st.serving > 0 { st.capacity / st.serving as u64 } else { self.spec.services[i].tokens_per_s };
        let rec = h.recommend(demand, per, st.serving, current);
        let want = h.decide(&mut self.svc[i].hpa, self.now, rec, current);
        if want != current {
            self.svc[i].stats.rescales += 1;
            let name = self.spec.services[i].deployment.clone();
            let reason = if want > current { "above" } else { "below" };
            self.event(
                "SuccessfulRescale",
                format!("horizontalpodautoscaler/{name}"),
                format!("New size: {want}; reason: tokens/s utilization {reason} target ({demand:.0} tok/s)"),
            );
            self.scale_deployment(d, want)?;
        }
        Ok(())
    }

    /// Accounts the last seconds and returns each service's figures.
    pub(super) fn svc_finish(&mut self, end: SimTime) -> Vec<ServiceStats> {
        for i in 0..self.svc.len() {
            self.svc_account(i, end);
            self.svc[i].stats.tokens_queued_end = self.svc[i].backlog;
        }
        self.svc.iter().map(|s| s.stats.clone()).collect()
    }
}
