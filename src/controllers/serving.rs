//! Inference services: a Deployment whose replicas serve request traffic, scaled by a
//! HorizontalPodAutoscaler ([`super::hpa`]).
//!
//! **Traffic** is binned per second: requests and their work in tokens (a request's context plus
//! generated tokens), from Azure's LLM inference trace, a CSV of rates, or a constant rate. A
//! trace shorter than the run can be repeated.
//!
//! **Serving** is a fluid model: each *serving* replica (Running, then its model loaded:
//! `model.size / model.load_bandwidth`) processes `capacity.tokens_per_s` (or its node's GPU
//! model's figure). Work beyond the capacity of a second is queued (FIFO, served later, counted
//! as late) or dropped, per `overload`. Seconds in which the work that arrived exceeds the
//! capacity count as under-provisioned.

use super::hpa::{Hpa, HpaState, Observed, Why};
use crate::core::RandomSource;
use crate::engine::{Phase, SimTime};
use crate::sim::{Action, Cause, Controller, Interests, PodKey, PodState, SimError, View};
use std::collections::BTreeMap;

/// What to do with work beyond capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overload {
    /// Queue it (FIFO) and serve it late.
    Queue,
    /// Drop it.
    Drop,
}

/// A validated service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    /// The Deployment (index into the timeline's applies is resolved at run time by name).
    pub deployment: String,
    /// Requests arriving in each second.
    pub requests: Vec<u32>,
    /// Tokens arriving in each second.
    pub tokens: Vec<u64>,
    /// Repeat the traffic to the end of the run.
    pub repeat: bool,
    /// Tokens per second one serving replica processes.
    pub tokens_per_s: u64,
    /// The same by the GPU model of the replica's node.
    pub by_gpu_model: std::collections::BTreeMap<String, u64>,
    /// Model load time after the container starts.
    pub model_load: SimTime,
    /// Overload handling.
    pub overload: Overload,
    /// The autoscaler, if any.
    pub hpa: Option<Hpa>,
    /// The HPA as changed during the run, in time order: each holds from its time on.
    pub hpa_updates: Vec<(SimTime, Hpa)>,
}

impl ServiceSpec {
    /// The HPA in force at `now`: the last update made by then, else the first one.
    pub fn hpa_at(&self, now: SimTime) -> Option<&Hpa> {
        let updated = self.hpa_updates.iter().take_while(|(at, _)| *at <= now).last();
        updated.map(|(_, h)| h).or(self.hpa.as_ref())
    }
    /// Tokens arriving in second `s` of the run.
    pub fn tokens_at(&self, s: u64) -> u64 {
        bin(&self.tokens, s, self.repeat)
    }
    /// Requests arriving in second `s` of the run.
    pub fn requests_at(&self, s: u64) -> u64 {
        bin(&self.requests, s, self.repeat)
    }
}

/// Bin `s` of per-second traffic: silence after it ends unless it repeats.
fn bin<T: Copy + Into<u64>>(v: &[T], s: u64, repeat: bool) -> u64 {
    let n = v.len() as u64;
    match n {
        0 => 0,
        _ if repeat => v[(s % n) as usize].into(),
        _ if s < n => v[s as usize].into(),
        _ => 0,
    }
}

/// A service's run-time state.
#[derive(Debug, Default)]
struct SvcState {
    serving: u32,
    /// Tokens per second of the serving replicas together.
    capacity: u64,
    backlog: u64,
    /// Seconds accounted so far (the next second to account).
    until_s: u64,
    /// Tokens arrived since the last HPA sync.
    since_sync: u64,
    /// Requests arrived since the last HPA sync.
    since_sync_requests: u64,
    /// When the arrivals counted since the last sync began (`None` until the HPA exists).
    last_sync: Option<SimTime>,
    hpa: HpaState,
    /// Its Deployment's index, once found (checked by name before each use: a Deployment may be
    /// deleted and applied again).
    deployment: Option<usize>,
    requests: u64,
    tokens: u64,
    in_time: u64,
    late: u64,
    dropped: u64,
    underprovisioned_s: u64,
    rescales: u64,
}

/// The services of a run: their serving and their HPAs.
#[derive(Debug)]
pub struct Services {
    specs: std::sync::Arc<[ServiceSpec]>,
    st: Vec<SvcState>,
    /// Serving replicas and the tokens per second each adds.
    serving: BTreeMap<PodKey, u64>,
}

/// A timer's token: an HPA sync (even) or a replica done loading its model (odd).
fn hpa_token(i: usize) -> u64 {
    2 * i as u64
}
fn serving_token(p: PodKey) -> u64 {
    2 * p as u64 + 1
}

impl Services {
    /// The model of `specs`, in scenario order.
    pub fn new(specs: impl Into<std::sync::Arc<[ServiceSpec]>>) -> Services {
        let specs = specs.into();
        let st = specs
            .iter()
            .map(|s| SvcState { last_sync: s.hpa.as_ref().map(|_| SimTime::ZERO), ..SvcState::default() })
            .collect();
        Services { specs, st, serving: BTreeMap::new() }
    }

    /// The service pod `p` serves (by its Deployment's name).
    fn service_of(&self, view: &View<'_>, p: PodKey) -> Option<usize> {
        let d = view.objects.pod(p).deployment?;
        let name = &view.objects.deployment(d).spec.name;
        self.specs.iter().position(|s| &s.deployment == name)
    }

    /// Serves every whole second before `now` at the current capacity.
    fn account(&mut self, i: usize, now: SimTime) {
        let spec = &self.specs[i];
        let st = &mut self.st[i];
        let to = now.0 / 1000;
        let cap = st.capacity;
        while st.until_s < to {
            let s = st.until_s;
            let d = spec.tokens_at(s);
            st.requests += spec.requests_at(s);
            st.since_sync_requests += spec.requests_at(s);
            st.tokens += d;
            st.since_sync += d;
            let mut avail = cap;
            let late = st.backlog.min(avail);
            st.backlog -= late;
            avail -= late;
            st.late += late;
            let now_served = d.min(avail);
            st.in_time += now_served;
            let rest = d - now_served;
            match spec.overload {
                Overload::Queue => st.backlog += rest,
                Overload::Drop => st.dropped += rest,
            }
            if d > cap {
                st.underprovisioned_s += 1;
            }
            st.until_s += 1;
        }
    }

    /// A replica finished loading its model.
    fn now_serving(&mut self, view: &View<'_>, p: PodKey) {
        let Some(i) = self.service_of(view, p) else { return };
        if view.objects.pod(p).state != PodState::Running || self.serving.contains_key(&p) {
            return;
        }
        self.account(i, view.now);
        // Tokens per second it serves: its node's GPU model's figure, or the default.
        let spec = &self.specs[i];
        let model = view.objects.pod(p).node.and_then(|n| view.objects.node(n).spec.gpu_model.clone());
        let c = model.and_then(|m| spec.by_gpu_model.get(&m).copied()).unwrap_or(spec.tokens_per_s);
        self.serving.insert(p, c);
        self.st[i].serving += 1;
        self.st[i].capacity += c;
    }

    /// A replica stops serving (deleted, evicted or gone).
    fn stopped(&mut self, view: &View<'_>, p: PodKey) {
        let Some(c) = self.serving.remove(&p) else { return };
        let i = self.service_of(view, p).expect("a serving pod belongs to a service");
        self.account(i, view.now);
        self.st[i].serving -= 1;
        self.st[i].capacity -= c;
    }

    /// One HPA sync of service `i`.
    fn sync(&mut self, view: &View<'_>, i: usize, out: &mut Vec<Action>) {
        let specs = self.specs.clone();
        // The controller reads the HPA's spec at each sync, so an update holds from the next.
        let Some(h) = specs[i].hpa_at(view.now) else { return };
        self.account(i, view.now);
        if self.st[i].last_sync.is_none() {
            // An HPA an update creates reads the last period's metrics at once: the arrivals of
            // the seconds before it (traffic is known per second).
            let to = view.now.0 / 1000;
            let from = to.saturating_sub(h.sync.0 / 1000);
            let st = &mut self.st[i];
            st.since_sync = (from..to).map(|s| specs[i].tokens_at(s)).sum();
            st.since_sync_requests = (from..to).map(|s| specs[i].requests_at(s)).sum();
            st.last_sync = Some(SimTime(from * 1000));
        }
        let o = view.objects;
        let name = &specs[i].deployment;
        let cached = self.st[i].deployment.filter(|&d| !o.deployment(d).deleted && &o.deployment(d).spec.name == name);
        let d = cached.or_else(|| o.deployment_named(name));
        self.st[i].deployment = d;
        if let Some(d) = d {
            self.rescale(view, i, h, d, out);
        }
        let next = view.now.plus(h.sync);
        out.push(Action::WakeAt { at: next, phase: Phase::Scaler, token: hpa_token(i) });
    }

    fn rescale(&mut self, view: &View<'_>, i: usize, h: &Hpa, d: usize, out: &mut Vec<Action>) {
        let o = view.objects;
        // The HPA reads the target's `spec.replicas` (the scale subresource), and groups its pods.
        let current = o.deployment(d).spec.replicas;
        // The arrivals since the last sync over the time they took (the sync period, unless an
        // update changed it or the Deployment was missing at a sync).
        let since = self.st[i].last_sync.unwrap_or(SimTime::ZERO);
        let secs = (view.now.0.saturating_sub(since.0)).max(1) as f64 / 1000.0;
        let demand = self.st[i].since_sync as f64 / secs;
        let requests = self.st[i].since_sync_requests as f64 / secs;
        (self.st[i].since_sync, self.st[i].since_sync_requests) = (0, 0);
        self.st[i].last_sync = Some(view.now);
        let spec = &self.specs[i];
        let queued_tokens = self.st[i].backlog;
        let mut m = Observed { demand_per_s: demand, requests_per_s: requests, queued_tokens, ..Observed::default() };
        for p in o.live_pods(d) {
            let pod = o.pod(p);
            let cap = || {
                let model = pod.node.and_then(|n| o.node(n).spec.gpu_model.clone());
                model.and_then(|g| spec.by_gpu_model.get(&g).copied()).unwrap_or(spec.tokens_per_s)
            };
            if let Some(&c) = self.serving.get(&p) {
                (m.serving, m.serving_capacity) = (m.serving + 1, m.serving_capacity + c);
            } else if pod.state == PodState::Running {
                (m.missing, m.missing_capacity) = (m.missing + 1, m.missing_capacity + cap());
            } else {
                (m.unready, m.unready_capacity) = (m.unready + 1, m.unready_capacity + cap());
            }
        }
        let (want, why) = h.sync(&mut self.st[i].hpa, view.now, current, &m);
        // The status conditions that changed, as `kubectl describe hpa` would show them.
        for c in self.st[i].hpa.take_changed() {
            out.push(Action::event(
                c.kind,
                format!("horizontalpodautoscaler/{}", self.specs[i].deployment),
                format!("{} {}", if c.status { "True" } else { "False" }, c.reason),
            ));
        }
        if want != current {
            self.st[i].rescales += 1;
            let name = &self.specs[i].deployment;
            let reason = match why {
                Why::AboveMax => "Current number of replicas above Spec.MaxReplicas".to_string(),
                Why::BelowMin => "Current number of replicas below Spec.MinReplicas".to_string(),
                _ if want > current => format!("tokens/s utilization above target ({demand:.0} tok/s)"),
                _ => format!("All metrics below target ({demand:.0} tok/s)"),
            };
            out.push(Action::event(
                "SuccessfulRescale",
                format!("horizontalpodautoscaler/{name}"),
                format!("New size: {want}; reason: {reason}"),
            ));
            out.push(Action::SetReplicas { deployment: d, replicas: want });
        }
    }
}

impl Controller for Services {
    fn name(&self) -> &'static str {
        "hpa"
    }

    fn interests(&self) -> Interests {
        Interests { pods: true, ..Interests::default() }
    }

    fn start(&mut self, view: &mut View<'_>) -> Result<Vec<Action>, SimError> {
        let mut out = Vec::new();
        for (i, s) in self.specs.iter().enumerate() {
            // The first sync one period in; an HPA created by an update syncs when it is created.
            let first = match (&s.hpa, s.hpa_updates.first()) {
                (Some(h), _) => Some(h.sync),
                (None, Some((at, _))) => Some(*at),
                (None, None) => None,
            };
            if let Some(at) = first {
                out.push(Action::WakeAt { at, phase: Phase::Scaler, token: hpa_token(i) });
            }
        }
        let _ = view;
        Ok(out)
    }

    fn react(
        &mut self,
        cause: Cause,
        view: &mut View<'_>,
        _rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, SimError> {
        let mut out = Vec::new();
        match cause {
            Cause::PodStarted(p) => {
                if let Some(i) = self.service_of(view, p) {
                    let at = view.now.plus(self.specs[i].model_load);
                    out.push(Action::WakeAt { at, phase: Phase::Lifecycle, token: serving_token(p) });
                }
            }
            Cause::PodStopped(p) => self.stopped(view, p),
            Cause::Wake(t) if t % 2 == 1 => self.now_serving(view, (t / 2) as PodKey),
            Cause::Wake(t) => self.sync(view, (t / 2) as usize, &mut out),
            _ => {}
        }
        Ok(out)
    }

    /// Accounts the last seconds.
    fn finish(&mut self, view: &View<'_>) {
        for i in 0..self.st.len() {
            self.account(i, view.now);
        }
    }

    fn figures(&self) -> Vec<(&'static str, u64)> {
        let sum = |f: fn(&SvcState) -> u64| self.st.iter().map(f).sum::<u64>();
        vec![
            ("svc_requests", sum(|s| s.requests)),
            ("svc_tokens", sum(|s| s.tokens)),
            ("svc_tokens_in_time", sum(|s| s.in_time)),
            ("svc_tokens_late", sum(|s| s.late)),
            ("svc_tokens_dropped", sum(|s| s.dropped)),
            ("svc_tokens_queued_end", sum(|s| s.backlog)),
            ("svc_underprovisioned_s", sum(|s| s.underprovisioned_s)),
            ("svc_rescales", sum(|s| s.rescales)),
        ]
    }
}
