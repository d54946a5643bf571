//! What the substrate measures as the run goes: GPU, CPU and memory integrals, the peak, samples,
//! the allocation curve, and the run's result at its end.

use super::record::{CurvePoint, NodeRow, RunResult, Sample, SimResult};
use super::world::State;
use crate::core::MILLI_PER_GPU;
use crate::engine::SimTime;

impl State<'_> {
    pub(crate) fn track_peak(&mut self) {
        let tot = self.cluster.totals();
        self.peak = self.peak.max(tot.gpu_milli_allocated);
        if tot.gpus > 0 {
            let ppm = tot.gpu_milli_allocated * 1_000_000 / (tot.gpus * MILLI_PER_GPU as u64);
            self.peak_ppm = self.peak_ppm.max(ppm);
        }
    }

    pub(crate) fn advance(&mut self, t: SimTime) {
        let dt = (t.0 - self.last_t.0) as u128;
        let tot = self.cluster.totals();
        self.alloc_integral += tot.gpu_milli_allocated as u128 * dt;
        self.cap_integral += (tot.gpus * MILLI_PER_GPU as u64) as u128 * dt;
        self.cpu_mem.cpu_allocated += tot.cpu_allocated as u128 * dt;
        self.cpu_mem.cpu_capacity += tot.cpu_capacity as u128 * dt;
        self.cpu_mem.mem_allocated += tot.mem_allocated as u128 * dt;
        self.cpu_mem.mem_capacity += tot.mem_capacity as u128 * dt;
        self.last_t = t;
        self.now = t;
    }

    pub(crate) fn sample(&self, t: SimTime) -> Sample {
        let tot = self.cluster.totals();
        let cost = self.obj.nodes.iter().map(|n| n.row.cost_until(t)).sum();
        Sample {
            t,
            nodes_ready: tot.nodes,
            gpus_total: tot.gpus,
            gpus_allocated_milli: tot.gpu_milli_allocated,
            pods_pending: self.obj.pending.len() as u64,
            pods_running: self.running,
            nodes_launching: self.obj.upcoming.len() as u64,
            cost_micro: cost,
        }
    }

    /// Records curve points up to `pct` % arrived.
    pub(crate) fn curve_until(&mut self, pct: u32) {
        let Some(cv) = self.curve.as_mut() else { return };
        while cv.next_pct <= pct && cv.next_pct <= cv.max_pct {
            let tot = self.cluster.totals();
            cv.points.push(CurvePoint {
                arrived_pct: cv.next_pct,
                gpu_allocated_milli: tot.gpu_milli_allocated,
                frag_milli: crate::core::cluster_fragment_milli(&self.cluster, &cv.workload),
                idle_milli: tot.gpus * MILLI_PER_GPU as u64 - tot.gpu_milli_allocated,
            });
            cv.next_pct += 1;
        }
    }

    /// A pod's first try: its GPU demand has arrived.
    pub(crate) fn curve_arrived(&mut self, gpu_milli: u64) {
        let Some(cv) = self.curve.as_mut() else { return };
        cv.arrived += gpu_milli;
        let pct = (cv.arrived.saturating_mul(100) / cv.capacity).min(cv.max_pct as u64) as u32;
        self.curve_until(pct);
    }

    pub(crate) fn result(mut self, end: SimTime, figures: super::record::Figures) -> RunResult {
        let jobs = self.job_stats();
        if self.samples.last().map(|s| s.t) != Some(end) {
            let s = self.sample(end);
            self.samples.push(s);
        }
        self.events.sort_by_key(|e| e.t); // stable: same-instant events keep their order
        let nodes: Vec<NodeRow> = self.obj.nodes.iter().map(|n| n.row.clone()).collect();
        let cost: u64 = nodes.iter().map(|n| n.cost_until(end)).sum();
        let gpu_ms: u128 = nodes
            .iter()
            .filter(|n| n.price_micro_h > 0)
            .map(|n| n.gpus as u128 * (n.terminated.unwrap_or(end).min(end).0.saturating_sub(n.launched.0)) as u128)
            .sum();
        for (p, r) in self.obj.pods.iter().zip(self.obj.recs.iter_mut()) {
            if p.state == super::PodState::Pending && r.outcome == super::Outcome::Running {
                r.outcome = super::Outcome::Pending;
            }
        }
        RunResult {
            sim: SimResult {
                pods: self.obj.recs,
                samples: self.samples,
                curve: self.curve.map(|c| c.points).unwrap_or_default(),
                events: self.n_events,
                peak_gpu_allocated_milli: self.peak,
                gpu_alloc_integral: self.alloc_integral,
                gpu_capacity_integral: Some(self.cap_integral),
                end,
            },
            nodes,
            events: self.events,
            counters: self.counters,
            figures,
            cost_micro: cost,
            gpu_ms_provisioned: gpu_ms,
            cpu_mem_integrals: self.cpu_mem,
            peak_gpu_alloc_ppm: self.peak_ppm,
            jobs,
            snapshot: self.snapshot,
            final_state: self.cluster,
        }
    }
}
