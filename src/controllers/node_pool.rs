//! ACK node pools, what cluster-autoscaler ([`super::cluster_autoscaler`]) and smart hosting
//! ([`super::smart_hosting`]) scale: the validated pool, the `scaler:` settings both read, and
//! the steps both take the same way (launching into the first zone with stock, giving up nodes
//! that never became Ready, the GPU-memory rule of seed 004).

use crate::core::scaleup::{GroupType, NodeGroup};
use crate::core::{GpuRequest, NodeSpec, Taint};
use crate::engine::SimTime;
use crate::market::cloud::Ask;
use crate::market::spot::CapacityType;
use crate::market::InstanceType;
use crate::sim::{Action, CloudDesk, Launch, NodeNames, Objects, PodKey, View};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::core::scaleup::{Expander, Expanders};

/// Which scaler manages a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PoolMode {
    /// cluster-autoscaler semantics.
    Autoscaler,
    /// ACK smart hosting (GOATScaler) semantics.
    SmartHosting,
}

impl PoolMode {
    /// Scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolMode::Autoscaler => "autoscaler",
            PoolMode::SmartHosting => "smart-hosting",
        }
    }
}

/// A validated pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    /// Name.
    pub name: String,
    /// Scaler.
    pub mode: PoolMode,
    /// Instance types in order of preference.
    pub types: Vec<InstanceType>,
    /// Zones in order.
    pub zones: Vec<String>,
    /// Minimum nodes.
    pub min: u32,
    /// Maximum nodes.
    pub max: u32,
    /// Labels given to its nodes (plus `fleetsim.io/pool`, the instance type and arch labels).
    pub labels: BTreeMap<String, String>,
    /// Taints of its nodes.
    pub taints: Vec<Taint>,
    /// Priority for the `priority` expander (higher first); `None` leaves the pool out of
    /// that expander's picks, as a group no ConfigMap pattern names.
    pub priority: Option<i32>,
    /// Instances in stock per zone; absent zones are unlimited (the cloud's group stock).
    pub stock: BTreeMap<String, u32>,
    /// GPU sharing by memory on its nodes (label `ack.node.gpu.schedule: share` or `cgpu`).
    pub share: Option<ShareMode>,
}

/// How a pool's nodes share their GPUs by memory (seed 004).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareMode {
    /// The cluster's GPU memory unit, MiB (1024 or 128).
    pub unit_mib: u64,
    /// cGPU memory isolation (`cgpu`): at most 16 pods a GPU, whatever the unit (seed 004).
    pub cgpu: bool,
    /// Spread rather than binpack GPU selection.
    pub spread: bool,
}

/// cGPU's limit of pods on one GPU (seed 004: "each GPU can create at most 16 pods").
pub const CGPU_MAX_PODS_PER_GPU: u32 = 16;

impl PoolSpec {
    /// The node of type `ty` in `zone` this pool launches, named `name`: the pool's labels and
    /// taints, plus `fleetsim.io/pool`, `topology.kubernetes.io/zone` and the type's labels.
    pub fn node_spec(&self, ty: usize, zone: Option<&str>, name: String) -> NodeSpec {
        let mut labels = self.labels.clone();
        labels.insert("fleetsim.io/pool".into(), self.name.clone());
        if let Some(z) = zone {
            labels.insert("topology.kubernetes.io/zone".into(), z.to_string());
        }
        let mut spec = self.types[ty].node_spec(name, labels, self.taints.clone());
        spec.gpu_share = self.share.map(|m| crate::core::GpuShare {
            units_per_gpu: (self.types[ty].gpu_memory_mib / m.unit_mib) as u32,
            max_pods_per_gpu: if m.cgpu { CGPU_MAX_PODS_PER_GPU } else { 0 },
            spread: m.spread,
        });
        spec
    }

    /// The pool as a node group for [`crate::core::scaleup`] when it has `size` nodes: each
    /// type's node in the first zone it is sold in (what an estimate assumes) at its cheapest
    /// on-demand price; room up to `max`.
    pub fn node_group(&self, size: u32) -> NodeGroup {
        let types = (0..self.types.len())
            .map(|ty| {
                let it = &self.types[ty];
                let price = it.on_demand.values().copied().min().unwrap_or(0);
                let node = self.node_spec(ty, self.first_zone(ty), String::new());
                GroupType::new(it.name.clone(), node, price)
            })
            .collect();
        NodeGroup::new(self.name.clone(), self.max.saturating_sub(size), self.priority, types)
    }

    /// The first of the pool's zones where type `ty` is sold (what an estimate assumes).
    pub fn first_zone(&self, ty: usize) -> Option<&str> {
        self.zones.iter().map(String::as_str).find(|z| self.types[ty].on_demand.contains_key(*z))
    }

    /// The room an estimator outside the scaler counts for a pod this pool's type `ty` runs:
    /// up to `max`, within its zones' stock when every zone is limited, and the region's stock.
    pub fn room_for(&self, view: &View<'_>, ty: usize, size: u32) -> u32 {
        let room = self.max.saturating_sub(size);
        let zones: Option<u32> = self.zones.iter().map(|z| view.cloud.group_stock(&self.name, z)).sum::<Option<u32>>();
        let region = view.cloud.region_stock(&self.types[ty].name);
        [Some(room), zones, region].into_iter().flatten().min().unwrap_or(0)
    }
}

/// Validated `scaler:` settings (the scenario schema's `scaler:` section cites the defaults and
/// their sources), read by cluster-autoscaler and by smart hosting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalerConfig {
    /// Loop period.
    pub scan_interval: SimTime,
    /// Unneeded time before scale-down.
    pub unneeded_time: SimTime,
    /// No scale-down this long after a scale-up.
    pub delay_after_add: SimTime,
    /// Utilization threshold, per mille.
    pub threshold_permille: u64,
    /// A node not Ready after this long is given up.
    pub max_provision_time: SimTime,
    /// Pool back-off after a failed provisioning.
    pub backoff: SimTime,
    /// The `--expander` chain.
    pub expander: Expanders,
    /// Smart hosting idle release delay.
    pub scale_in_delay: SimTime,
    /// Cluster-wide limits.
    pub limits: crate::core::scaleup::ClusterLimits,
    /// `--ignore-daemonsets-utilization`.
    pub ignore_daemonsets_utilization: bool,
    /// `--ignore-mirror-pods-utilization`.
    pub ignore_mirror_pods_utilization: bool,
}

/// The pools one scaler manages (its groups are their indices here) and what it remembers of
/// them between loops.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    pub specs: std::sync::Arc<[PoolSpec]>,
    pub cfg: ScalerConfig,
    pub backoff_until: Vec<SimTime>,
    /// Pods already reported as no pool of this scaler being able to run them.
    pub reported: BTreeSet<PodKey>,
    pub gpu_memory_unit_mib: u64,
    /// Nodes added, scale-up decisions (one may add several nodes), nodes removed (of them
    /// empty), failed launches and nodes given up (the summary's `scale_ups`,
    /// `scale_up_decisions`, `scale_downs`, `scale_downs_empty`, `provisioning_failures`;
    /// `scale_downs_underutilized` is the difference).
    pub scale_ups: u64,
    pub scale_up_decisions: u64,
    pub scale_downs: u64,
    pub scale_downs_empty: u64,
    pub failures: u64,
}

/// The loop's timer.
pub(crate) const TICK: u64 = 0;
/// The scan, once the late nodes given up at a tick are gone.
pub(crate) const SCAN: u64 = 1;

/// What a launch needs of the view: the time, the cloud and the node names (apart from the
/// scheduler's state, which a caller may hold on a fork meanwhile).
pub(crate) struct Desk<'a, 'v> {
    pub now: SimTime,
    pub cloud: &'a mut CloudDesk<'v>,
    pub names: &'a mut NodeNames<'v>,
}

impl<'a, 'v> Desk<'a, 'v> {
    /// The desk of `view`.
    pub fn of(view: &'a mut View<'v>) -> Self {
        Desk { now: view.now, cloud: &mut view.cloud, names: &mut view.names }
    }
}

/// An on-demand instance of `it` in `zone` for pool `ps`.
fn on_demand<'a>(ps: &'a PoolSpec, it: &'a InstanceType, zone: &'a str) -> Ask<'a> {
    Ask { group: &ps.name, instance_type: &it.name, zone, capacity: CapacityType::OnDemand }
}

/// What a launch into a pool came to.
pub(crate) enum Launched {
    /// The node, and the actions to apply (the launch and its event).
    Node(Vec<Action>),
    /// No zone had stock: the failure's event (the pool backs off).
    NoStock(Action),
}

impl Pools {
    pub fn new(specs: impl Into<std::sync::Arc<[PoolSpec]>>, cfg: ScalerConfig, gpu_memory_unit_mib: u64) -> Pools {
        let specs = specs.into();
        let n = specs.len();
        Pools {
            specs,
            cfg,
            backoff_until: vec![SimTime::ZERO; n],
            reported: BTreeSet::new(),
            gpu_memory_unit_mib,
            scale_ups: 0,
            scale_up_decisions: 0,
            scale_downs: 0,
            scale_downs_empty: 0,
            failures: 0,
        }
    }

    /// A tick's first step, the same for both scalers: nodes that have not joined in time are
    /// given up. Returns whether to scan now; otherwise the scan continues once they are gone.
    pub fn tick(&mut self, view: &View<'_>, out: &mut Vec<Action>) -> bool {
        let late = self.give_up_late_nodes(view, out);
        self.failures += late;
        if late > 0 {
            out.push(Action::Continue { token: SCAN });
        }
        late == 0
    }

    /// The summary's figures.
    pub fn figures(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("scale_ups", self.scale_ups),
            ("scale_up_decisions", self.scale_up_decisions),
            ("scale_downs", self.scale_downs),
            ("scale_downs_empty", self.scale_downs_empty),
            ("scale_downs_underutilized", self.scale_downs - self.scale_downs_empty),
            ("provisioning_failures", self.failures),
        ]
    }

    /// Every pool's nodes not terminated (running or on their way).
    pub fn sizes(&self, view: &View<'_>) -> Vec<u32> {
        (0..self.specs.len()).map(|g| view.objects.group_size(view.me, g)).collect()
    }

    /// The pools as node groups for [`crate::core::scaleup`], with their sizes now.
    pub fn node_groups(&self, sizes: &[u32]) -> Vec<NodeGroup> {
        self.specs.iter().zip(sizes).map(|(ps, &n)| ps.node_group(n)).collect()
    }

    /// Launches one node of pool `pool`'s type `ty` in the first zone with stock; `by` names the
    /// scaler in the event. Without stock the pool backs off.
    pub fn launch(&mut self, at: Desk<'_, '_>, pool: usize, ty: usize, by: &str, why: &str) -> Launched {
        let Desk { now, cloud, names } = at;
        let ps = &self.specs[pool];
        let it = &ps.types[ty];
        let zone =
            ps.zones.iter().find(|z| it.on_demand.contains_key(z.as_str()) && cloud.available(on_demand(ps, it, z)));
        let Some(zone) = zone else {
            self.backoff_until[pool] = now.plus(self.cfg.backoff);
            let msg = format!("no stock of {} in zones {}", it.name, ps.zones.join(","));
            return Launched::NoStock(Action::event("ProvisionFailed", format!("pool/{}", ps.name), msg));
        };
        let grant = cloud.take(on_demand(ps, it, zone)).expect("available");
        let node = names.new_node(&ps.name);
        let name = node.name().to_string();
        let price = it.on_demand[zone.as_str()];
        let msg = format!("{by}: provisioning node {name} with instance type {} in zone {zone} ({why})", it.name);
        let launch = Launch {
            spec: ps.node_spec(ty, Some(zone), name.clone()),
            node,
            group: pool,
            group_name: ps.name.clone(),
            instance_type: it.name.clone(),
            zone: zone.clone(),
            capacity: CapacityType::OnDemand,
            price_micro_h: price,
            on_demand_micro_h: price,
            grant,
        };
        Launched::Node(vec![
            Action::Launch(Box::new(launch)),
            Action::event("ProvisionNode", format!("node/{name}"), msg),
        ])
    }

    /// Nodes of this scaler that have not joined within the max provision time: given up, the
    /// pool backing off (cluster-autoscaler's `--max-node-provision-time`). Returns how many.
    pub fn give_up_late_nodes(&mut self, view: &View<'_>, out: &mut Vec<Action>) -> u64 {
        let mut late = 0;
        for n in view.objects.upcoming() {
            let node = view.objects.node(n);
            let mine = matches!(node.owner, crate::sim::Owner::Controller { index, .. } if index == view.me);
            if mine && view.now.0 - node.row.launched.0 > self.cfg.max_provision_time.0 {
                late += 1;
                if let crate::sim::Owner::Controller { group, .. } = node.owner {
                    self.backoff_until[group] = view.now.plus(self.cfg.backoff);
                }
                out.push(Action::Terminate { node: n, reason: "max-node-provision-time exceeded".into() });
            }
        }
        late
    }

    /// Seed 004: with the 128 MiB GPU memory unit, node autoscaling does not act for
    /// `aliyun.com/gpu-mem` pods; they stay Pending when GPU memory runs out. Takes them out of
    /// `pods`, reporting each once.
    pub fn drop_gpu_memory_pods(&mut self, o: &Objects, pods: &mut Vec<PodKey>, out: &mut Vec<Action>) {
        if self.gpu_memory_unit_mib == 1024 {
            return;
        }
        let (mem, other): (Vec<PodKey>, Vec<PodKey>) =
            pods.iter().partition(|&&p| matches!(o.pod(p).spec.gpu, GpuRequest::Memory { .. }));
        *pods = other;
        for p in mem {
            if self.reported.insert(p) {
                let why = format!(
                    "the GPU memory unit is {} MiB: node autoscaling does not scale for aliyun.com/gpu-mem pods",
                    self.gpu_memory_unit_mib
                );
                let name = &o.pod(p).spec.name;
                out.push(Action::PodReason { pod: p, reason: why.clone() });
                out.push(Action::event(
                    "NotTriggerScaleUp",
                    format!("pod/{name}"),
                    format!("pod didn't trigger scale-up: {why}"),
                ));
            }
        }
    }

    /// Reports, once each, the pods of `left` that no type of any pool can ever run (upstream's
    /// NotTriggerScaleUp, one reason per node group).
    pub fn report_unrunnable(&mut self, o: &Objects, groups: &[NodeGroup], left: &[PodKey], out: &mut Vec<Action>) {
        if groups.is_empty() {
            return;
        }
        for &p in left {
            let spec = &o.pod(p).spec;
            if self.reported.contains(&p) || groups.iter().any(|g| g.types.iter().any(|t| t.admits(spec).is_ok())) {
                continue;
            }
            self.reported.insert(p);
            let why = crate::core::scaleup::why_no_group(groups, spec);
            out.push(Action::PodReason { pod: p, reason: why.clone() });
            out.push(Action::event(
                "NotTriggerScaleUp",
                format!("pod/{}", spec.name),
                format!("pod didn't trigger scale-up: {why}"),
            ));
        }
    }

    /// The node groups an estimator outside the scaler (a fleet) may count for `pod`: every
    /// pool, room as [`PoolSpec::room_for`] says for its first type that runs the pod.
    pub fn growth(&self, view: &View<'_>, pod: &crate::core::PodSpec) -> Vec<NodeGroup> {
        let sizes = self.sizes(view);
        let mut groups = self.node_groups(&sizes);
        for (k, g) in groups.iter_mut().enumerate() {
            let Some(ty) = g.types.iter().position(|t| t.admits(pod).is_ok()) else { continue };
            g.room = self.specs[k].room_for(view, ty, sizes[k]);
        }
        groups
    }
}
