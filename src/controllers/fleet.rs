//! Multi-cluster fleets (ACK One, on Karmada): member clusters, each a full autoscaling
//! simulation ([`World`]), and a fleet scheduler that divides the fleet's Deployments between
//! them by PropagationPolicy.
//!
//! The model, simplified where said:
//! - The fleet scheduler acts when a fleet Deployment is applied or scaled, and retries a failed
//!   division at every descheduler interval. It divides as Karmada does
//!   ([`crate::core::fleet`]): `Duplicated`, `Divided` by static weights, or `Divided` by
//!   `dynamicWeight: AvailableReplicas`, where what a member can run is estimated from its nodes
//!   now and, with ACK One's `autoScaling.ecsProvision: true`, what its pools could still buy from
//!   the region's inventory (seed 001: the scheduler asks the member's scaler for the region's GPU
//!   stock). Without it, a member with empty pools counts nothing and the division fails, as
//!   Karmada's resource-based estimator does.
//! - A decision reaches a member after its `dispatch_latency` (cross-region API calls); the
//!   member then schedules and provisions as its own scalers do (its provisioning latency).
//! - Inventory: stock levels by region and instance type over time; a launch in a member takes
//!   one from its region's level and fails when none is left (terminations give none back).
//! - The descheduler (Karmada's, on by default): every interval, replicas of a dynamic-weight
//!   Deployment pending in a member for the unschedulable threshold are taken from that member's
//!   share, and the scheduler places them again where replicas are available.
//! - Spread constraints by cluster (`maxGroups`, `minGroups`) narrow the candidates first, as
//!   [`crate::core::fleet::select_by_cluster_spread`] says.
//! - Cluster affinities (`clusterAffinity`, a weight rule's `targetCluster`) match members by
//!   name, exclusion, labels and region/provider/zone fields
//!   ([`crate::core::fleet::ClusterAffinity`]), resolved once at load.
//! - PropagationPolicies applied again during a run (`policy_updates`) reschedule their
//!   Deployments.
//! - Not modelled: Karmada's cluster taints and failover, spread by region or label,
//!   label-selected resources, `clusterAffinities` (failover groups), override policies.

use super::Setup;
use crate::core::fleet::{
    divide_by_available, select_by_cluster_spread, static_weights, webster, Candidate, Share, Tie,
};

/// The most replicas a member's estimate counts (Karmada's estimator is bounded by the member's
/// resources alone; this keeps fleetsim's placement-based count finite).
const AVAILABLE_BOUND: u32 = 100_000;
use crate::core::{NodeSpec, PolicyName, Workload};
use crate::engine::{RngStreams, SimTime, Stream};
use crate::sim::{DeploymentSpec, EventRow, Latency, NodeMeta, RunOptions, RunResult, SimError, TimelineOp, World};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A validated fleet.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// Members, in scenario order.
    pub members: Vec<MemberSpec>,
    /// PropagationPolicies, in order (the first that selects a Deployment propagates it).
    pub policies: Vec<PropagationPolicy>,
    /// Policies applied again during the run: (when, the index of the policy replaced, the
    /// policy from then on), in time order.
    pub policy_updates: Vec<(SimTime, usize, PropagationPolicy)>,
    /// Stock levels, by time.
    pub inventory: Vec<StockLevel>,
    /// The descheduler.
    pub descheduler: Descheduler,
}

/// A member cluster.
#[derive(Debug, Clone)]
pub struct MemberSpec {
    /// Cluster name.
    pub name: String,
    /// Region.
    pub region: String,
    /// Fleet decision to member action.
    pub latency: Latency,
    /// Its controllers and settings (pools, scalers, lifecycle).
    pub setup: Arc<Setup>,
    /// Its static nodes.
    pub nodes: Arc<Vec<(NodeSpec, NodeMeta)>>,
    /// Its placement policy.
    pub policy: PolicyName,
}

/// How a policy places replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Every candidate member runs all replicas.
    Duplicated,
    /// Divided by static weights: the `staticWeightList` rules, each a weight and the members it
    /// names (an empty list: every candidate weighs 1).
    StaticWeights(Vec<(u64, Vec<String>)>),
    /// Divided by the replicas each candidate can run (`dynamicWeight: AvailableReplicas`).
    AvailableReplicas,
    /// `replicaDivisionPreference: Aggregated`: on as few members as can run the replicas.
    Aggregated,
}

/// A validated PropagationPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropagationPolicy {
    /// Name.
    pub name: String,
    /// Deployments it selects.
    pub deployments: Vec<String>,
    /// Candidate members (`clusterAffinity.clusterNames`, else all), in fleet order.
    pub members: Vec<String>,
    /// Replica scheduling.
    pub rule: Placement,
    /// ACK One `autoScaling.ecsProvision`: count what members' pools could provision.
    pub ecs_provision: bool,
    /// `spreadConstraints` by cluster: (maxGroups, minGroups).
    pub spread: Option<(u32, u32)>,
}

/// A stock level from `at` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    /// From when.
    pub at: SimTime,
    /// Region.
    pub region: String,
    /// Instance type.
    pub instance_type: String,
    /// Instances left.
    pub stock: u32,
}

/// Karmada descheduler settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descheduler {
    /// Whether it runs.
    pub enabled: bool,
    /// `--descheduling-interval`.
    pub interval: SimTime,
    /// `--unschedulable-threshold`.
    pub threshold: SimTime,
}

/// What a fleet run produced: each member's run, and the fleet scheduler's events.
pub struct FleetResult {
    /// (member name, region, its run), in scenario order.
    pub members: Vec<(String, String, RunResult)>,
    /// The fleet scheduler's events (`Scheduled`, `FailedScheduling`, `Descheduled`).
    pub events: Vec<EventRow>,
}

#[derive(Debug, Clone, Copy)]
enum FleetEv {
    Timeline(usize),
    PolicyUpdate(usize),
    Inventory(usize),
    Resync,
}

/// A fleet Deployment's state.
struct FleetDeployment {
    spec: DeploymentSpec,
    policy: usize,
    desired: u32,
    /// Replicas assigned per member (fleet order).
    assigned: Vec<u32>,
    /// What each member was last told to run (`None`: it does not have the Deployment).
    sent: Vec<Option<u32>>,
    /// A division failed and waits for the next resync.
    failed: bool,
    deleted: bool,
    /// Its UID, as the API server would give it (a version-4 UUID, drawn from the fleet's seed:
    /// the same every run); Karmada breaks division ties by it.
    uid: String,
}

/// A version-4 UUID from two draws of `rng` (RFC 9562's layout: version 4, variant `10`).
fn uuid_v4(rng: &mut Stream) -> String {
    use crate::core::RandomSource;
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let a = (a & !0xf000) | 0x4000; // version nibble
    let b = (b & !(0b11 << 62)) | (0b10 << 62); // variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// Runs `fleet` for `seed` to `end`, sampling every `sample`; `timeline` holds the fleet's
/// Deployments.
pub fn run_fleet(
    fleet: &FleetSpec,
    timeline: &[(SimTime, TimelineOp)],
    seed: u64,
    end: SimTime,
    sample: SimTime,
) -> Result<FleetResult, SimError> {
    let streams = RngStreams::new(seed);
    let mut dispatch: Vec<Stream> = Vec::new();
    let mut worlds: Vec<World<'_>> = Vec::new();
    let member_err = |m: &MemberSpec, e: SimError| e.context(&format!("member {}", m.name));
    for m in &fleet.members {
        // One set of streams per member, derived from the fleet's seed and the member's name.
        let member_streams =
            RngStreams::new(seed ^ crate::engine::rng::fnv1a(format!("fleet/member/{}", m.name).as_bytes()));
        let opts = RunOptions {
            end: Some(end),
            sample_every: Some(sample),
            events: true,
            departures: true,
            ..RunOptions::default()
        };
        let mut w = m
            .setup
            .world(opts, &m.nodes, m.policy, &Workload::default(), &member_streams)
            .map_err(|e| member_err(m, e))?;
        w.start(&[]).map_err(|e| member_err(m, e))?;
        worlds.push(w);
        dispatch.push(streams.stream(&format!("fleet/dispatch/{}", m.name)));
    }
    let mut queue: BTreeMap<(SimTime, u64), FleetEv> = BTreeMap::new();
    let mut seq = 0u64;
    let mut push = |q: &mut BTreeMap<(SimTime, u64), FleetEv>, t: SimTime, ev: FleetEv| {
        q.insert((t, seq), ev);
        seq += 1;
    };
    for (i, l) in fleet.inventory.iter().enumerate() {
        push(&mut queue, l.at, FleetEv::Inventory(i));
    }
    for (i, (t, _)) in timeline.iter().enumerate() {
        push(&mut queue, *t, FleetEv::Timeline(i));
    }
    for (j, (t, _, _)) in fleet.policy_updates.iter().enumerate() {
        push(&mut queue, *t, FleetEv::PolicyUpdate(j));
    }
    let mut policies = fleet.policies.clone();
    push(&mut queue, fleet.descheduler.interval, FleetEv::Resync);
    let mut deps: Vec<FleetDeployment> = Vec::new();
    let mut events: Vec<EventRow> = Vec::new();
    let n = fleet.members.len();
    while let Some((&(t, s), &ev)) = queue.iter().next() {
        queue.remove(&(t, s));
        if t > end {
            break;
        }
        for (k, w) in worlds.iter_mut().enumerate() {
            w.step(&[], t).map_err(|e| member_err(&fleet.members[k], e))?;
        }
        let mut touched: Vec<usize> = Vec::new();
        match ev {
            FleetEv::Inventory(i) => {
                let l = &fleet.inventory[i];
                for (k, m) in fleet.members.iter().enumerate() {
                    if m.region == l.region {
                        worlds[k].set_region_stock(&l.instance_type, l.stock);
                    }
                }
            }
            FleetEv::Timeline(i) => match &timeline[i].1 {
                TimelineOp::Apply(d) => {
                    let policy = policies.iter().position(|p| p.deployments.contains(&d.name)).ok_or_else(|| {
                        SimError::Input(format!("timeline[{i}]: no PropagationPolicy selects Deployment `{}`", d.name))
                    })?;
                    deps.push(FleetDeployment {
                        spec: (**d).clone(),
                        policy,
                        desired: d.replicas,
                        assigned: vec![0; n],
                        sent: vec![None; n],
                        failed: false,
                        deleted: false,
                        uid: uuid_v4(&mut streams.stream(&format!("fleet/uid/{}/{i}", d.name))),
                    });
                    touched.push(deps.len() - 1);
                }
                TimelineOp::Scale { name, replicas } => {
                    let d = deps.iter().position(|d| &d.spec.name == name && !d.deleted);
                    let d = d.ok_or_else(|| SimError::Input(format!("timeline[{i}]: no fleet Deployment `{name}`")))?;
                    deps[d].desired = *replicas;
                    touched.push(d);
                }
                TimelineOp::Delete { name } => {
                    let d = deps.iter().position(|d| &d.spec.name == name && !d.deleted);
                    let d = d.ok_or_else(|| SimError::Input(format!("timeline[{i}]: no fleet Deployment `{name}`")))?;
                    deps[d].deleted = true;
                    for k in 0..n {
                        if deps[d].sent[k].is_some() {
                            let at = t.plus(fleet.members[k].latency.draw(&mut dispatch[k]));
                            worlds[k].inject(at, TimelineOp::Delete { name: name.clone() })?;
                        }
                    }
                }
            },
            FleetEv::PolicyUpdate(j) => {
                let (_, k, p) = &fleet.policy_updates[j];
                policies[*k] = p.clone();
                touched.extend(deps.iter().enumerate().filter(|(_, d)| d.policy == *k && !d.deleted).map(|(di, _)| di));
            }
            FleetEv::Resync => {
                let ds = fleet.descheduler;
                for (di, d) in deps.iter_mut().enumerate() {
                    if d.deleted {
                        continue;
                    }
                    let p = &policies[d.policy];
                    if ds.enabled && p.rule == Placement::AvailableReplicas && t >= ds.threshold {
                        let since = SimTime(t.0 - ds.threshold.0);
                        for (k, w) in worlds.iter().enumerate() {
                            let stuck = w.pending_replicas(&d.spec.name, since).min(d.assigned[k]);
                            if stuck > 0 {
                                d.assigned[k] -= stuck;
                                let msg = format!(
                                    "{stuck} replicas of {} unschedulable in {} for {}; taken back",
                                    d.spec.name, fleet.members[k].name, ds.threshold
                                );
                                events.push(EventRow {
                                    t,
                                    kind: "Descheduled",
                                    object: format!("deployment/{}", d.spec.name),
                                    message: msg,
                                });
                                touched.push(di);
                            }
                        }
                    }
                    if d.failed {
                        touched.push(di);
                    }
                }
                let next = t.plus(ds.interval);
                if next <= end {
                    push(&mut queue, next, FleetEv::Resync);
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for di in touched {
            schedule(fleet, &policies[deps[di].policy], &mut worlds, &mut dispatch, &mut deps[di], t, &mut events)?;
        }
    }
    let mut members = Vec::new();
    for (k, mut w) in worlds.into_iter().enumerate() {
        let m = &fleet.members[k];
        w.step(&[], end).map_err(|e| member_err(m, e))?;
        members.push((m.name.clone(), m.region.clone(), w.finish().map_err(|e| member_err(m, e))?));
    }
    Ok(FleetResult { members, events })
}

/// Divides `d` again at `t` under `p` (its policy as it stands) and dispatches the changes.
fn schedule(
    fleet: &FleetSpec,
    p: &PropagationPolicy,
    worlds: &mut [World<'_>],
    dispatch: &mut [Stream],
    d: &mut FleetDeployment,
    t: SimTime,
    events: &mut Vec<EventRow>,
) -> Result<(), SimError> {
    let idx = |name: &str| fleet.members.iter().position(|m| m.name == name).expect("validated member");
    let mut cands: Vec<usize> = p.members.iter().map(|m| idx(m)).collect();
    // What each candidate could run, estimated once per division (the spread constraint and the
    // dynamic division both read it): not capped at the Deployment's replicas (Karmada's
    // estimator answer is not); the bound only keeps the count finite.
    let mut estimates: Vec<Option<u32>> = vec![None; fleet.members.len()];
    let mut available = |k: usize, worlds: &mut [World<'_>]| -> Result<u32, SimError> {
        if let Some(e) = estimates[k] {
            return Ok(e);
        }
        let e = worlds[k].available_replicas(&d.spec.template, AVAILABLE_BOUND, p.ecs_provision)?;
        estimates[k] = Some(e);
        Ok(e)
    };
    // A cluster spread constraint narrows the candidates first; static weights ignore it
    // (Karmada's `shouldIgnoreSpreadConstraint`).
    let spread = match (p.spread, &p.rule) {
        (Some((max, min)), rule) if !matches!(rule, Placement::StaticWeights(_)) => {
            let mut c = Vec::new();
            for &k in &cands {
                let est = available(k, worlds)?;
                c.push(Candidate {
                    member: fleet.members[k].name.clone(),
                    score: if d.assigned[k] > 0 { 100 } else { 0 },
                    available: est as u64 + d.assigned[k] as u64,
                });
            }
            let need = if p.rule == Placement::Duplicated { None } else { Some(d.desired as u64) };
            Some(select_by_cluster_spread(&c, max, min, need))
        }
        _ => None,
    };
    let mut spread_err = None;
    match spread {
        Some(Ok(sel)) => cands.retain(|&k| sel.contains(&fleet.members[k].name)),
        Some(Err(m)) => spread_err = Some(m),
        None => {}
    }
    let mut want = vec![0u32; fleet.members.len()];
    let shares: Result<Vec<Share>, String> = match &p.rule {
        _ if spread_err.is_some() => Err(spread_err.take().unwrap_or_default()),
        Placement::Duplicated => {
            Ok(cands.iter().map(|&k| Share { member: fleet.members[k].name.clone(), replicas: d.desired }).collect())
        }
        Placement::StaticWeights(rules) => {
            let weights = static_weights(&p.members, rules);
            Ok(webster(d.desired, &weights, &[], Tie::of_uid(&d.uid)))
        }
        Placement::AvailableReplicas | Placement::Aggregated => {
            let current: Vec<Share> = cands
                .iter()
                .map(|&k| Share { member: fleet.members[k].name.clone(), replicas: d.assigned[k] })
                .collect();
            let mut room = Vec::new();
            for &k in &cands {
                room.push((fleet.members[k].name.clone(), available(k, worlds)? as u64));
            }
            let aggregated = p.rule == Placement::Aggregated;
            divide_by_available(d.desired, &current, &room, aggregated, Tie::of_uid(&d.uid)).map_err(|e| e.to_string())
        }
    };
    let shares = match shares {
        Ok(s) => s,
        Err(m) => {
            d.failed = true;
            events.push(EventRow {
                t,
                kind: "FailedScheduling",
                object: format!("deployment/{}", d.spec.name),
                message: format!("{m}; retried at the next resync"),
            });
            return Ok(());
        }
    };
    d.failed = false;
    for s in &shares {
        want[idx(&s.member)] = s.replicas;
    }
    let split: Vec<String> = cands.iter().map(|&k| format!("{}={}", fleet.members[k].name, want[k])).collect();
    events.push(EventRow {
        t,
        kind: "Scheduled",
        object: format!("deployment/{}", d.spec.name),
        message: format!("{} replicas by PropagationPolicy {}: {}", d.desired, p.name, split.join(", ")),
    });
    for k in 0..fleet.members.len() {
        d.assigned[k] = want[k];
        if d.sent[k] == Some(want[k]) || (d.sent[k].is_none() && want[k] == 0) {
            continue;
        }
        let at = t.plus(fleet.members[k].latency.draw(&mut dispatch[k]));
        let op = match d.sent[k] {
            Some(_) => TimelineOp::Scale { name: d.spec.name.clone(), replicas: want[k] },
            None => TimelineOp::Apply(Box::new(DeploymentSpec { replicas: want[k], ..d.spec.clone() })),
        };
        worlds[k].inject(at, op)?;
        d.sent[k] = Some(want[k]);
    }
    Ok(())
}

impl FleetResult {
    /// The fleet as one run: pods and nodes of every member (member order), samples summed at
    /// each instant (members sample together), integrals, costs and counters summed, events
    /// merged in time order. The peak allocation is the highest summed sample (the members' peaks
    /// need not coincide), so it has the sample interval's resolution.
    pub fn totals(&self) -> RunResult {
        let parts: Vec<&RunResult> = self.members.iter().map(|(_, _, w)| w).collect();
        let first = parts.first().expect("a fleet has members");
        let mut sim = first.sim.clone();
        sim.pods.clear();
        sim.events = 0;
        sim.gpu_alloc_integral = 0;
        sim.gpu_capacity_integral = Some(0);
        for s in &mut sim.samples {
            *s = crate::sim::Sample { t: s.t, ..Default::default() };
        }
        let mut out = RunResult {
            sim,
            nodes: Vec::new(),
            events: Vec::new(),
            counters: Default::default(),
            figures: Default::default(),
            cost_micro: 0,
            gpu_ms_provisioned: 0,
            cpu_mem_integrals: Default::default(),
            peak_gpu_alloc_ppm: 0,
            jobs: Default::default(),
            snapshot: None,
            final_state: Default::default(),
        };
        for w in &parts {
            out.sim.pods.extend(w.sim.pods.iter().cloned());
            out.sim.events += w.sim.events;
            out.sim.gpu_alloc_integral += w.sim.gpu_alloc_integral;
            out.sim.gpu_capacity_integral =
                Some(out.sim.gpu_capacity_integral.unwrap_or(0) + w.sim.gpu_capacity_integral.unwrap_or(0));
            for (a, b) in out.sim.samples.iter_mut().zip(&w.sim.samples) {
                a.nodes_ready += b.nodes_ready;
                a.gpus_total += b.gpus_total;
                a.gpus_allocated_milli += b.gpus_allocated_milli;
                a.pods_pending += b.pods_pending;
                a.pods_running += b.pods_running;
                a.nodes_launching += b.nodes_launching;
                a.cost_micro += b.cost_micro;
            }
            out.nodes.extend(w.nodes.iter().cloned());
            out.events.extend(w.events.iter().cloned());
            out.counters.add(&w.counters);
            out.cost_micro += w.cost_micro;
            out.gpu_ms_provisioned += w.gpu_ms_provisioned;
            out.cpu_mem_integrals.add(&w.cpu_mem_integrals);
            for (k, v) in &w.figures {
                *out.figures.entry(k).or_default() += v;
            }
            out.jobs.add(&w.jobs);
        }
        out.events.sort_by_key(|e| e.t); // stable: members in order within an instant
        out.sim.peak_gpu_allocated_milli = out.sim.samples.iter().map(|s| s.gpus_allocated_milli).max().unwrap_or(0);
        out.peak_gpu_alloc_ppm = out
            .sim
            .samples
            .iter()
            .filter(|s| s.gpus_total > 0)
            .map(|s| s.gpus_allocated_milli * 1_000_000 / (s.gpus_total * crate::core::MILLI_PER_GPU as u64))
            .max()
            .unwrap_or(0);
        out
    }
}
