//! The scheduling cycle: the pending queue in kube-scheduler's order (priority, then arrival),
//! gangs placed all together or not at all, binding, the image pull and the container start.

use super::controller::{Cause, PodKey};
use super::objects::{Owner, PodState};
use super::record::{EventRow, Outcome};
use super::spec::Unschedulable;
use super::world::{Ev, State};
use super::SimError;
use crate::core::{NodeId, PodId};
use crate::engine::{Phase, SimTime};
use std::collections::VecDeque;

impl State<'_> {
    pub(crate) fn schedule(&mut self) -> Result<(), SimError> {
        // kube-scheduler's active queue: higher priority first, then arrival (a stable sort).
        if self.obj.pending.iter().any(|&p| self.obj.pods[p].priority != 0) {
            let pods = &self.obj.pods;
            self.obj.pending.make_contiguous().sort_by_key(|&p| std::cmp::Reverse(pods[p].priority));
        }
        let mut still = VecDeque::with_capacity(self.obj.pending.len());
        let mut gangs_tried: Vec<u64> = Vec::new();
        while let Some(p) = self.obj.pending.pop_front() {
            if let Some((g, _)) = self.obj.pods[p].gang {
                if !gangs_tried.contains(&g) {
                    gangs_tried.push(g);
                    if self.schedule_gang(p, g)? {
                        continue;
                    }
                }
                if self.obj.pods[p].state == PodState::Pending {
                    still.push_back(p);
                }
                continue;
            }
            // Between two increases of free capacity a pod that fit nowhere still fits nowhere.
            let epoch = self.cluster.capacity_epoch();
            if self.obj.pods[p].failed_epoch == Some(epoch) {
                still.push_back(p);
                continue;
            }
            let first_try = !std::mem::replace(&mut self.obj.pods[p].tried, true);
            let placed = self.scheduler.place(&self.cluster, &self.obj.pods[p].spec, &mut self.rng_place);
            match placed {
                Ok(pl) => {
                    self.cluster.bind(p as PodId, &self.obj.pods[p].spec, &pl).map_err(|e| {
                        SimError::Input(format!(
                            "policy {} chose a node that does not fit `{}`: {e}",
                            self.scheduler.policy_name(),
                            self.obj.pods[p].spec.name
                        ))
                    })?;
                    self.bound(p, pl.node)?;
                }
                Err(why) => match self.spec.unschedulable {
                    Unschedulable::Drop => {
                        let rec = &mut self.obj.recs[p];
                        rec.reason = why.to_string();
                        rec.outcome = Outcome::Dropped;
                        self.obj.pods[p].state = PodState::Gone;
                    }
                    Unschedulable::Wait => {
                        self.obj.pods[p].failed_epoch = Some(epoch);
                        self.failed(p, &why.to_string());
                        still.push_back(p);
                    }
                },
            }
            if first_try {
                let g = self.obj.recs[p].gpu_milli;
                self.curve_arrived(g);
            }
        }
        self.obj.pending = still;
        Ok(())
    }

    /// Gang scheduling: the pending workers of gang `g` (`p` and those still in the queue) are
    /// placed together on a fork of the state, kept only if every one found a node. Returns
    /// whether they were placed.
    fn schedule_gang(&mut self, p: PodKey, g: u64) -> Result<bool, SimError> {
        let mut members = vec![p];
        members.extend(self.obj.pending.iter().copied().filter(|&q| self.obj.pods[q].gang.is_some_and(|x| x.0 == g)));
        let cp = self.cluster.fork();
        let mut placed = Vec::new();
        let mut why = None;
        for &q in &members {
            match self.scheduler.place(&self.cluster, &self.obj.pods[q].spec, &mut self.rng_place) {
                Ok(pl) => {
                    self.cluster.bind(q as PodId, &self.obj.pods[q].spec, &pl)?;
                    placed.push((q, pl.node));
                }
                Err(w) => {
                    why = Some(w.to_string());
                    break;
                }
            }
        }
        if let Some(why) = why {
            self.cluster.revert(cp)?;
            let msg = format!("gang of {} workers: {why}", members.len());
            for &q in &members {
                self.failed(q, &msg);
            }
            return Ok(false);
        }
        self.cluster.commit(cp);
        self.obj.pending.retain(|q| !members.contains(q));
        for (q, node) in placed {
            self.bound(q, node)?;
        }
        Ok(true)
    }

    /// A pod found no node: the first time, a FailedScheduling event, and the controllers that
    /// watch unschedulable pods are told.
    fn failed(&mut self, p: PodKey, why: &str) {
        if std::mem::replace(&mut self.obj.pods[p].unschedulable, true) {
            return;
        }
        self.raise(Cause::Unschedulable(p));
        self.obj.recs[p].reason = why.to_string();
        if self.opts.events {
            let tot = self.cluster.totals().nodes;
            let name = self.obj.pods[p].spec.name.clone();
            let msg = if tot == 0 {
                "0/0 nodes are available".to_string()
            } else {
                format!("0/{tot} nodes are available: {why}")
            };
            self.event("FailedScheduling", format!("pod/{name}"), msg);
        }
    }

    /// Pod `p` was bound to scheduler node `core`: the node's bookkeeping, the image pull (once
    /// per node and image; pods of one image wait for the same pull; nodes present from the
    /// start hold every image) and the container start.
    fn bound(&mut self, p: PodKey, core: NodeId) -> Result<(), SimError> {
        let n = self.obj.node_of(core).ok_or_else(|| SimError::Input(format!("no node with scheduler id {core}")))?;
        let t = self.now;
        self.obj.pods[p].state = PodState::Bound;
        self.obj.pods[p].node = Some(n);
        let rec = &mut self.obj.recs[p];
        rec.scheduled = Some(t);
        rec.node = Some(core);
        rec.reason.clear();
        if self.opts.events {
            let node_name = self.obj.nodes[n].row.name.clone();
            let name = self.obj.pods[p].spec.name.clone();
            self.event("Scheduled", format!("pod/{name}"), format!("Successfully assigned {name} to {node_name}"));
        }
        let node = &mut self.obj.nodes[n];
        node.pods.insert(p);
        node.empty_since = None;
        node.binds += 1;
        node.last_change = t;
        self.obj.generation += 1;
        let Some(lc) = &self.spec.lifecycle else { return self.pod_started(p) };
        let mut ready = t;
        let pod = &self.obj.pods[p];
        if node.owner != Owner::Static && !pod.image.is_empty() {
            let bw = lc.pull_bytes_per_s.max(1);
            let bytes = pod.image_bytes;
            let pulled = *node
                .images
                .entry(pod.image.clone())
                .or_insert_with(|| t.plus(SimTime((bytes as u128 * 1000 / bw as u128) as u64)));
            ready = pulled.max(t);
            if self.opts.events {
                let took = ready.0 - t.0;
                self.events.push(EventRow {
                    t: ready,
                    kind: "Pulled",
                    object: format!("pod/{}", pod.spec.name),
                    message: format!("Successfully pulled image \"{}\" in {:.3}s", pod.image, took as f64 / 1000.0),
                });
            }
        }
        let start = ready.plus(lc.container_start.draw(&mut self.rng_life));
        self.push(start, Phase::Lifecycle, Ev::PodStarted(p))
    }

    /// A bound pod's container starts (on a cluster without start-up latencies: when bound).
    pub(crate) fn pod_started(&mut self, p: PodKey) -> Result<(), SimError> {
        if self.obj.pods[p].state != PodState::Bound {
            return Ok(());
        }
        let t = self.now;
        self.obj.pods[p].state = PodState::Running;
        self.running += 1;
        let rec = &mut self.obj.recs[p];
        rec.running = Some(t);
        rec.outcome = Outcome::Running;
        if self.spec.lifecycle.is_some() && self.opts.events {
            let name = self.obj.pods[p].spec.name.clone();
            self.event("Started", format!("pod/{name}"), "Started container".into());
        }
        if let Some(d) = self.obj.pods[p].duration {
            self.push(t.plus(d), Phase::Departure, Ev::PodGone(p, Outcome::Completed))?;
        }
        self.raise(Cause::PodStarted(p));
        Ok(())
    }
}
