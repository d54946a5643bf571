//! Nodes' lives: launch, the start-up steps to joining the scheduler's view, drain and
//! termination (evicting and requeueing their pods), billing changes, spot interruptions.

use super::controller::{Cause, Launch, NodeKey, PodKey};
use super::objects::{Node, Owner, PodState};
use super::record::{NodeRow, Outcome};
use super::world::{Ev, State, Step};
use super::SimError;
use crate::engine::{Phase, SimTime};
use crate::market::spot::CapacityType;
use std::collections::{BTreeMap, BTreeSet};

impl State<'_> {
    /// Launches `l` for controller `c`.
    pub(crate) fn launch(&mut self, c: usize, l: Launch) -> Result<(), SimError> {
        let key = self.obj.nodes.len();
        if l.node.key != key {
            return Err(SimError::Input(format!(
                "launched node #{} out of order (the next node is #{key}): launch every named node, in the order named",
                l.node.key
            )));
        }
        let name = l.node.name;
        let mut spec = l.spec;
        spec.name = name.clone();
        let now = self.now;
        self.obj.nodes.push(Node {
            row: NodeRow {
                id: None,
                name: name.clone(),
                pool: l.group_name,
                instance_type: l.instance_type.clone(),
                capacity_type: l.capacity.as_str().into(),
                zone: l.zone.clone(),
                gpus: spec.gpu_count,
                launched: now,
                ready: None,
                terminated: None,
                reason: String::new(),
                price_micro_h: l.price_micro_h,
                on_demand_micro_h: l.on_demand_micro_h,
                billed_micro: 0,
                billed_from: now,
            },
            owner: Owner::Controller { index: c, group: l.group },
            spec,
            capacity: l.capacity,
            pods: BTreeSet::new(),
            empty_since: None,
            last_change: now,
            binds: 0,
            draining: false,
            scale_down_disabled: false,
            do_not_disrupt: false,
            images: BTreeMap::new(),
            grant: l.grant,
            drain_reason: String::new(),
        });
        self.obj.own(Owner::Controller { index: c, group: l.group }, key);
        self.obj.upcoming.insert(key);
        self.counters.nodes_launched += 1;
        let Some(lc) = &self.spec.lifecycle else { return self.node_step(key, Step::Join) };
        let d = lc.instance_running.draw(&mut self.rng_life);
        self.push(now.plus(d), Phase::Lifecycle, Ev::NodeStep(key, Step::Running))?;
        if l.capacity == CapacityType::Spot {
            if let Some(t) = self.cloud.draw_interruption(&l.instance_type, &l.zone) {
                self.push(now.plus(t), Phase::Lifecycle, Ev::SpotNotice(key))?;
            }
        }
        Ok(())
    }

    pub(crate) fn node_step(&mut self, n: NodeKey, step: Step) -> Result<(), SimError> {
        if self.obj.nodes[n].row.terminated.is_some() {
            return Ok(());
        }
        match step {
            Step::Running => {
                let lc = self.spec.lifecycle.as_ref().expect("a node steps only with a lifecycle");
                let d = lc.node_ready.draw(&mut self.rng_life);
                self.push(self.now.plus(d), Phase::Lifecycle, Ev::NodeStep(n, Step::Ready))
            }
            Step::Ready => {
                self.obj.nodes[n].row.ready = Some(self.now);
                let name = self.obj.nodes[n].row.name.clone();
                self.event("NodeReady", format!("node/{name}"), "Node status is now: NodeReady".into());
                if self.obj.nodes[n].row.gpus > 0 {
                    let lc = self.spec.lifecycle.as_ref().expect("a node steps only with a lifecycle");
                    let d = lc.gpu_advertised.draw(&mut self.rng_life);
                    self.push(self.now.plus(d), Phase::Lifecycle, Ev::NodeStep(n, Step::Join))
                } else {
                    self.node_step(n, Step::Join)
                }
            }
            Step::Join => {
                let now = self.now;
                let id = self.cluster.add_node(&self.obj.nodes[n].spec)?;
                self.obj.generation += 1;
                self.obj.upcoming.remove(&n);
                self.obj.by_core.insert(id, n);
                let node = &mut self.obj.nodes[n];
                node.row.id = Some(id);
                if node.row.ready.is_none() {
                    node.row.ready = Some(now); // joined without start-up latencies
                }
                node.empty_since = Some(now);
                node.last_change = now;
                if node.row.gpus > 0 {
                    let (name, g) = (node.row.name.clone(), node.row.gpus);
                    let what = match node.spec.gpu_share {
                        // The share device plugin advertises memory units and the GPU count.
                        Some(sh) => format!("aliyun.com/gpu-mem: {} allocatable ({g} GPUs)", sh.units_per_gpu * g),
                        None => format!("nvidia.com/gpu: {g} allocatable"),
                    };
                    self.event("GPUAdvertised", format!("node/{name}"), what);
                }
                if !self.obj.pending.is_empty() {
                    self.want_schedule()?;
                }
                self.raise(Cause::NodeJoined(n));
                Ok(())
            }
        }
    }

    /// Terminates node `n` (evicting its pods unless a drain already did): its stock returns to
    /// the cloud, its bill stops.
    pub(crate) fn terminate(&mut self, n: NodeKey, reason: &str) -> Result<(), SimError> {
        if self.obj.nodes[n].row.terminated.is_some() {
            return Ok(());
        }
        // A drained node already left the scheduler's view with its pods.
        if let Some(id) = self.obj.nodes[n].row.id.filter(|_| !self.obj.nodes[n].draining) {
            self.evict_pods(n, reason)?;
            self.cluster.remove_node(id)?;
            self.obj.by_core.remove(&id);
        }
        self.obj.generation += 1;
        self.obj.upcoming.remove(&n);
        let grant = std::mem::take(&mut self.obj.nodes[n].grant);
        self.cloud.release(&grant);
        self.obj.disown(self.obj.nodes[n].owner, n);
        let row = &mut self.obj.nodes[n].row;
        row.terminated = Some(self.now);
        row.reason = reason.to_string();
        self.counters.nodes_terminated += 1;
        let name = row.name.clone();
        self.event("NodeTerminated", format!("node/{name}"), format!("node {name} terminated: {reason}"));
        self.raise(Cause::NodeLeft(n));
        Ok(())
    }

    /// Cordons and drains node `n`: out of the scheduler's view, its pods evicted now, terminated
    /// after `drain_for`. A node that never joined terminates at once.
    pub(crate) fn drain(&mut self, n: NodeKey, reason: &str, drain_for: SimTime) -> Result<(), SimError> {
        if self.obj.nodes[n].row.terminated.is_some() || self.obj.nodes[n].draining {
            return Ok(());
        }
        let Some(id) = self.obj.nodes[n].row.id else { return self.terminate(n, reason) };
        self.obj.nodes[n].draining = true;
        self.evict_pods(n, reason)?;
        self.cluster.remove_node(id)?;
        self.obj.by_core.remove(&id);
        self.obj.generation += 1;
        self.obj.nodes[n].drain_reason = reason.to_string();
        self.push(self.now.plus(drain_for), Phase::Lifecycle, Ev::NodeGone(n))?;
        if !self.obj.pending.is_empty() {
            self.want_schedule()?;
        }
        Ok(())
    }

    /// Evicts every pod on node `n` (taking them out of the scheduler's state): a Deployment
    /// creates a replacement at once; a trace job comes back as a pending pod that resumes from
    /// its last checkpoint. Pods already terminating just go.
    fn evict_pods(&mut self, n: NodeKey, reason: &str) -> Result<(), SimError> {
        let on: Vec<PodKey> = std::mem::take(&mut self.obj.nodes[n].pods).into_iter().collect();
        for p in on {
            self.cluster.unbind(p as crate::core::PodId)?;
            let was = self.obj.pods[p].state;
            if was.alive_on_node() {
                self.raise(Cause::PodStopped(p));
            }
            if was == PodState::Running {
                self.running -= 1;
            }
            self.obj.pods[p].state = PodState::Gone;
            let rec = &mut self.obj.recs[p];
            rec.outcome = Outcome::Deleted;
            rec.finished = Some(self.now);
            if was == PodState::Terminating {
                continue;
            }
            self.counters.evictions += 1;
            rec.reason = format!("evicted: node {} {reason}", self.obj.nodes[n].row.name);
            match self.obj.pods[p].deployment {
                Some(d) => self.create_replica(d)?,
                None => self.requeue_job(p)?,
            }
        }
        Ok(())
    }

    /// An evicted trace job comes back as a new pending pod that resumes from its last
    /// checkpoint; the work since then is lost.
    fn requeue_job(&mut self, p: PodKey) -> Result<(), SimError> {
        let worked = self.obj.recs[p].running.map_or(0, |r| self.now.0.saturating_sub(r.0));
        let pod = &self.obj.pods[p];
        let saved = pod.checkpoint.map_or(0, |c| worked / c.0 * c.0);
        let lost = worked - saved;
        self.counters.lost_gpu_ms += (lost as u128 * pod.spec.gpu.total_milli() as u128 / 1000) as u64;
        let origin = pod.origin;
        self.obj.pods[origin].retries += 1;
        let k = self.obj.pods[origin].retries;
        let mut spec = self.obj.pods[origin].spec.clone();
        spec.name = format!("{}-retry{k}", spec.name);
        let pod = &self.obj.pods[p];
        let (image, bytes, grace) = (pod.image.clone(), pod.image_bytes, pod.grace);
        let remaining = pod.duration.map(|d| SimTime(d.0.saturating_sub(saved)));
        let (checkpoint, dnd, gang, priority) = (pod.checkpoint, pod.do_not_disrupt, pod.gang, pod.priority);
        let q = self.new_pod(spec, None, image, bytes, grace, self.now);
        let pod = &mut self.obj.pods[q];
        pod.duration = remaining;
        pod.checkpoint = checkpoint;
        pod.do_not_disrupt = dnd;
        pod.gang = gang;
        pod.priority = priority;
        pod.origin = origin;
        self.obj.pending.push_back(q);
        self.want_schedule()
    }

    /// An interruption from the history file: the oldest matching running spot nodes get a notice.
    pub(crate) fn history(&mut self, i: usize) {
        let h = &self.spec.cloud.market.history[i];
        let hit: Vec<NodeKey> = (0..self.obj.nodes.len())
            .filter(|&n| {
                let node = &self.obj.nodes[n];
                node.capacity == CapacityType::Spot
                    && node.row.terminated.is_none()
                    && !node.draining
                    && node.row.instance_type == h.instance_type
                    && node.row.zone == h.zone
            })
            .take(h.count as usize)
            .collect();
        for n in hit {
            self.raise(Cause::Notice(n));
        }
    }

    /// A spot price change: later launches and decisions use it, and running spot nodes of the
    /// offering are billed at it from now on (EC2 bills spot at the price of each period).
    pub(crate) fn spot_price(&mut self, i: usize) {
        let h = &self.spec.cloud.market.price_history[i];
        self.cloud.set_spot_price(&h.instance_type, &h.zone, h.price);
        let now = self.now;
        for n in &mut self.obj.nodes {
            let r = &mut n.row;
            if r.terminated.is_none()
                && n.capacity == CapacityType::Spot
                && r.instance_type == h.instance_type
                && r.zone == h.zone
            {
                r.billed_micro += crate::market::cost_micro(r.price_micro_h, now.0 - r.billed_from.0);
                r.billed_from = now;
                r.price_micro_h = h.price;
            }
        }
    }
}
