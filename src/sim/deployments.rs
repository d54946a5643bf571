//! Pods and Deployments: creation, the timeline's apply / scale / delete, ReplicaSet scale-down
//! order, deletion with a grace period, departures.

use super::controller::{Cause, NodeKey, PodKey};
use super::objects::{Deployment, Pod, PodState};
use super::record::{Outcome, PodRecord};
use super::spec::TimelineOp;
use super::world::{Ev, State};
use super::SimError;
use crate::core::{PodId, PodSpec};
use crate::engine::{Phase, SimTime};

impl State<'_> {
    pub(crate) fn new_pod(
        &mut self,
        spec: PodSpec,
        deployment: Option<usize>,
        image: String,
        image_bytes: u64,
        grace: SimTime,
        created: SimTime,
    ) -> PodKey {
        let idx = self.obj.pods.len();
        self.obj.recs.push(PodRecord {
            id: idx as PodId,
            name: spec.name.clone(),
            created,
            scheduled: None,
            running: None,
            finished: None,
            node: None,
            outcome: Outcome::Pending,
            gpu_milli: spec.gpu.total_milli(),
            reason: String::new(),
        });
        self.obj.pods.push(Pod {
            spec,
            controlled: deployment.is_some(),
            deployment,
            image,
            image_bytes,
            grace,
            duration: None,
            state: PodState::Pending,
            node: None,
            unschedulable: false,
            do_not_disrupt: false,
            drain: crate::k8s::Drain::Move,
            pdbs: Vec::new(),
            gang: None,
            priority: 0,
            checkpoint: None,
            origin: idx,
            retries: 0,
            failed_epoch: None,
            tried: false,
        });
        idx
    }

    pub(crate) fn create_replica(&mut self, d: usize) -> Result<(), SimError> {
        let dep = &mut self.obj.deployments[d];
        let mut spec = dep.spec.template.clone();
        spec.name = format!("{}-{}", dep.spec.name, dep.next);
        dep.next += 1;
        let (image, bytes, grace, dnd) =
            (dep.spec.image.clone(), dep.spec.image_bytes, dep.spec.grace, dep.spec.do_not_disrupt);
        let labels = &self.obj.deployments[d].spec.labels;
        let pdbs: Vec<usize> = (0..self.obj.pdbs.len())
            .filter(|&b| self.obj.pdbs[b].selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
            .collect();
        let idx = self.new_pod(spec, Some(d), image, bytes, grace, self.now);
        self.obj.pods[idx].do_not_disrupt = dnd;
        self.obj.pods[idx].pdbs = pdbs;
        self.obj.deployments[d].pods.push(idx);
        self.obj.pending.push_back(idx);
        self.want_schedule()
    }

    /// Applies a Deployment, or scales or deletes one.
    pub(crate) fn apply_op(&mut self, op: &TimelineOp) -> Result<(), SimError> {
        match op {
            TimelineOp::Apply(d) => {
                if self.obj.deployment_named(&d.name).is_some() {
                    return Err(SimError::Input(format!("deployment `{}` already exists", d.name)));
                }
                self.obj.deployments.push(Deployment {
                    spec: (**d).clone(),
                    pods: Vec::new(),
                    next: 0,
                    deleted: false,
                });
                let di = self.obj.deployments.len() - 1;
                for _ in 0..d.replicas {
                    self.create_replica(di)?;
                }
            }
            TimelineOp::Scale { name, replicas } => {
                let d = self.named(name)?;
                self.scale_deployment(d, *replicas)?;
            }
            TimelineOp::Delete { name } => {
                let d = self.named(name)?;
                for p in self.obj.live_pods(d) {
                    self.delete_pod(p)?;
                }
                self.obj.deployments[d].deleted = true;
            }
        }
        Ok(())
    }

    fn named(&self, name: &str) -> Result<usize, SimError> {
        self.obj.deployment_named(name).ok_or_else(|| SimError::Input(format!("no deployment `{name}`")))
    }

    /// Sets Deployment `d`'s replicas: new pending pods, or deletions in ReplicaSet order.
    pub(crate) fn scale_deployment(&mut self, d: usize, replicas: u32) -> Result<(), SimError> {
        // `spec.replicas` is what the scale subresource (and so the HPA) reads.
        self.obj.deployments[d].spec.replicas = replicas;
        let live = self.obj.live_pods(d);
        let want = replicas as usize;
        if want > live.len() {
            for _ in live.len()..want {
                self.create_replica(d)?;
            }
        } else {
            // ReplicaSet scale-down order: pending before bound before running, then the newest
            // first.
            let mut victims = live;
            let rank = |s: PodState| match s {
                PodState::Pending => 0,
                PodState::Bound => 1,
                _ => 2,
            };
            victims.sort_by_key(|&p| (rank(self.obj.pods[p].state), std::cmp::Reverse(p)));
            let n = victims.len() - want;
            for p in victims.into_iter().take(n) {
                self.delete_pod(p)?;
            }
        }
        Ok(())
    }

    fn delete_pod(&mut self, p: PodKey) -> Result<(), SimError> {
        match self.obj.pods[p].state {
            PodState::Pending => {
                self.obj.pending.retain(|&x| x != p);
                self.obj.pods[p].state = PodState::Gone;
                self.obj.recs[p].outcome = Outcome::Deleted;
                self.obj.recs[p].finished = Some(self.now);
            }
            s @ (PodState::Bound | PodState::Running) => {
                self.raise(Cause::PodStopped(p));
                if s == PodState::Running {
                    self.running -= 1;
                }
                self.obj.pods[p].state = PodState::Terminating;
                let name = self.obj.pods[p].spec.name.clone();
                let g = self.obj.pods[p].grace;
                self.event(
                    "Killing",
                    format!("pod/{name}"),
                    format!("Stopping container (grace period {}s)", g.0 / 1000),
                );
                self.push(self.now.plus(g), Phase::Departure, Ev::PodGone(p, Outcome::Deleted))?;
            }
            PodState::Terminating | PodState::Gone => {}
        }
        Ok(())
    }

    /// A pod finishes or its grace period ends.
    pub(crate) fn pod_gone(&mut self, p: PodKey, outcome: Outcome) -> Result<(), SimError> {
        let s = self.obj.pods[p].state;
        if !matches!(s, PodState::Bound | PodState::Running | PodState::Terminating) {
            return Ok(());
        }
        self.cluster.unbind(p as PodId)?;
        if s.alive_on_node() {
            self.raise(Cause::PodStopped(p));
        }
        if s == PodState::Running {
            self.running -= 1;
        }
        self.obj.pods[p].state = PodState::Gone;
        self.obj.recs[p].outcome = outcome;
        self.obj.recs[p].finished = Some(self.now);
        if let Some(n) = self.obj.pods[p].node {
            self.pod_left(n, p);
        }
        if !self.obj.pending.is_empty() {
            self.want_schedule()?;
        }
        Ok(())
    }

    fn pod_left(&mut self, n: NodeKey, p: PodKey) {
        let node = &mut self.obj.nodes[n];
        node.pods.remove(&p);
        if node.pods.is_empty() {
            node.empty_since = Some(self.now);
        }
        node.last_change = self.now;
        self.obj.generation += 1;
    }
}
