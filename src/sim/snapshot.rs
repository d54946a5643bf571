//! The state at one instant as `kubectl get` would show it, and the gang-scheduled jobs'
//! figures at the end.

use super::record::{JobStats, Outcome, Snapshot};
use super::world::State;
use crate::core::{PodId, PodSpec};
use crate::engine::SimTime;
use std::collections::BTreeMap;

impl State<'_> {
    /// The joined nodes (launching and cordoned ones are not in the scheduler's view and left
    /// out), the pods bound to them, and the pending pods in creation order.
    pub(crate) fn take_snapshot(&self, at: SimTime) -> Snapshot {
        let mut cluster = crate::k8s::Snapshot::default();
        for (_, n) in self.cluster.nodes() {
            let t = self.cluster.template(n.template);
            cluster.nodes.push(crate::core::NodeSpec {
                name: n.name.clone(),
                cpu_milli: t.cpu_milli,
                memory_mib: t.memory_mib,
                gpu_count: t.gpu_count,
                gpu_model: t.gpu_model.clone(),
                labels: t.labels.clone(),
                taints: t.taints.clone(),
                gpu_share: t.gpu_share,
                max_pods: t.max_pods,
            });
        }
        for (p, pod) in self.obj.pods.iter().enumerate() {
            if let Some(b) = self.cluster.binding(p as PodId) {
                let node = self.cluster.node(b.node).map(|n| n.name.clone()).unwrap_or_default();
                cluster.bound.push((pod.spec.clone(), node));
                if pod.do_not_disrupt {
                    cluster.do_not_disrupt.push(pod.spec.name.clone());
                }
                let drain = if pod.controlled { pod.drain.clone() } else { crate::k8s::Drain::Block("NotReplicated") };
                if drain != crate::k8s::Drain::Move {
                    cluster.drain.insert(pod.spec.name.clone(), drain);
                }
            }
        }
        cluster.do_not_disrupt.sort();
        let mut pending: Vec<usize> = self.obj.pending.iter().copied().collect();
        pending.sort_unstable();
        let start = self.spec.start_unix_minute;
        let pending_created = pending
            .iter()
            .map(|&p| {
                let s = self.obj.recs[p].created.0 / 1000;
                let c = crate::k8s::cron::Civil::of_minute(start + (s / 60) as i64);
                format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, s % 60)
            })
            .collect();
        cluster.pending = pending.iter().map(|&p| self.obj.pods[p].spec.clone()).collect::<Vec<PodSpec>>();
        Snapshot { at, cluster, pending_created }
    }

    /// Per gang: created (earliest), started (first worker Running), completed (as many
    /// Completed pods as workers: retries replace evicted workers).
    pub(crate) fn job_stats(&self) -> JobStats {
        let mut by: BTreeMap<u64, (u32, SimTime, Option<SimTime>, u32, SimTime)> = BTreeMap::new();
        for (p, r) in self.obj.pods.iter().zip(&self.obj.recs) {
            let Some((g, n)) = p.gang else { continue };
            let e = by.entry(g).or_insert((n, r.created, None, 0, SimTime::ZERO));
            e.1 = e.1.min(r.created);
            if let Some(t) = r.running {
                e.2 = Some(e.2.map_or(t, |x| x.min(t)));
            }
            if r.outcome == Outcome::Completed {
                e.3 += 1;
                e.4 = e.4.max(r.finished.unwrap_or(SimTime::ZERO));
            }
        }
        let mut st = JobStats { jobs: by.len() as u64, ..Default::default() };
        for (n, created, started, done, last) in by.into_values() {
            if let Some(t) = started {
                st.started += 1;
                st.queueing_ms += t.0 - created.0;
            }
            if done >= n {
                st.completed += 1;
                st.completion_ms += last.0 - created.0;
            }
        }
        st
    }
}
