//! The scaler models, one per file, each a [`Controller`] plugged into the [`crate::sim`]
//! substrate:
//!
//! | name | file | configured by |
//! |---|---|---|
//! | `smart-hosting` | [`smart_hosting`] | `pools:` with `mode: smart-hosting`, `scaler:` |
//! | `cluster-autoscaler` | [`cluster_autoscaler`] | `pools:` (`mode: autoscaler`), `scaler:` |
//! | `karpenter` | [`karpenter`] (provisioning, disruption, interruption) | `nodepools:`, `karpenter:` |
//! | `hpa` | [`serving`] with [`hpa`] | `services:` |
//!
//! and, across clusters, the fleet scheduler ([`fleet`]: Karmada with ACK One's inventory).
//! A scenario's sections decide which built-in controllers run; `controllers:` adds controllers
//! registered by name ([`Registry`]), a user's own among them, after the built-ins.
//!
//! # Adding a node scaler model
//! Write its controller in a file here (or in your own crate), give it a scenario schema (its
//! settings, read by a [`Registry`] builder), and register it: one line.

pub mod cluster_autoscaler;
pub mod fleet;
pub mod hpa;
pub mod karpenter;
pub mod node_pool;
pub mod serving;
pub mod smart_hosting;
#[cfg(test)]
mod tests;

use crate::core::{ClusterState, NodeSpec, PolicyName, Workload};
use crate::engine::RngStreams;
use crate::k8s::nodepool::NodePool;
use crate::market::Catalog;
use crate::sim::{ClusterSpec, Controller, NodeMeta, RunOptions, SimError, World};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use cluster_autoscaler::ClusterAutoscaler;
pub use karpenter::{Karpenter, KarpenterConfig};
pub use node_pool::{PoolMode, PoolSpec, ScalerConfig, ShareMode};
pub use serving::{ServiceSpec, Services};
pub use smart_hosting::SmartHosting;

/// Builds a fresh controller for each run (a sweep runs many).
pub trait ControllerFactory: Send + Sync + std::fmt::Debug {
    /// The controller's registry name.
    fn name(&self) -> &str;
    /// A controller, at the start of a run.
    fn build(&self) -> Box<dyn Controller>;
}

/// One controller of a cluster, before a run builds it.
#[derive(Debug, Clone)]
pub enum ControllerSpec {
    /// Smart hosting over these pools.
    SmartHosting(Arc<[PoolSpec]>, ScalerConfig),
    /// cluster-autoscaler over these pools.
    ClusterAutoscaler(Arc<[PoolSpec]>, ScalerConfig),
    /// Karpenter over these NodePools.
    Karpenter(Arc<[NodePool]>, KarpenterConfig),
    /// Inference services and their HPAs.
    Services(Arc<[ServiceSpec]>),
    /// A controller registered by name.
    User(Arc<dyn ControllerFactory>),
}

impl ControllerSpec {
    /// Its registry name.
    pub fn name(&self) -> &str {
        match self {
            ControllerSpec::SmartHosting(..) => "smart-hosting",
            ControllerSpec::ClusterAutoscaler(..) => "cluster-autoscaler",
            ControllerSpec::Karpenter(..) => "karpenter",
            ControllerSpec::Services(..) => "hpa",
            ControllerSpec::User(f) => f.name(),
        }
    }

    /// A fresh controller; `gpu_memory_unit_mib` is the cluster's GPU memory unit.
    pub fn build(&self, gpu_memory_unit_mib: u64) -> Box<dyn Controller> {
        match self {
            ControllerSpec::SmartHosting(p, c) => {
                Box::new(SmartHosting::new(p.clone(), c.clone(), gpu_memory_unit_mib))
            }
            ControllerSpec::ClusterAutoscaler(p, c) => {
                Box::new(ClusterAutoscaler::new(p.clone(), c.clone(), gpu_memory_unit_mib))
            }
            ControllerSpec::Karpenter(n, c) => Box::new(Karpenter::new(n.clone(), c.clone())),
            ControllerSpec::Services(s) => Box::new(Services::new(s.clone())),
            ControllerSpec::User(f) => f.build(),
        }
    }
}

/// A cluster that autoscales: its substrate settings and its controllers, in registration order.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Lifecycle, timeline, budgets, cloud.
    pub cluster: ClusterSpec,
    /// Controllers, in registration order.
    pub controllers: Vec<ControllerSpec>,
}

impl Setup {
    /// The built-in controllers the sections call for, in registration order: smart hosting and
    /// cluster-autoscaler over their pools (when any), Karpenter over the NodePools, the
    /// services; then `user`.
    pub fn new(
        cluster: ClusterSpec,
        pools: Vec<PoolSpec>,
        scaler: ScalerConfig,
        nodepools: impl Into<Arc<[NodePool]>>,
        karpenter: KarpenterConfig,
        services: Vec<ServiceSpec>,
        user: Vec<ControllerSpec>,
    ) -> Setup {
        let nodepools: Arc<[NodePool]> = nodepools.into();
        let (smart, auto): (Vec<PoolSpec>, Vec<PoolSpec>) =
            pools.into_iter().partition(|p| p.mode == PoolMode::SmartHosting);
        let mut controllers = Vec::new();
        if !smart.is_empty() {
            controllers.push(ControllerSpec::SmartHosting(smart.into(), scaler.clone()));
        }
        if !auto.is_empty() {
            controllers.push(ControllerSpec::ClusterAutoscaler(auto.into(), scaler));
        }
        if !nodepools.is_empty() {
            controllers.push(ControllerSpec::Karpenter(nodepools, karpenter));
        }
        if !services.is_empty() {
            controllers.push(ControllerSpec::Services(services.into()));
        }
        controllers.extend(user);
        Setup { cluster, controllers }
    }

    /// Every ACK pool, of both scalers.
    pub fn pools(&self) -> impl Iterator<Item = &PoolSpec> {
        self.controllers.iter().flat_map(|c| match c {
            ControllerSpec::SmartHosting(p, _) | ControllerSpec::ClusterAutoscaler(p, _) => &p[..],
            _ => &[],
        })
    }

    /// Every NodePool.
    pub fn nodepools(&self) -> impl Iterator<Item = &NodePool> {
        self.controllers.iter().flat_map(|c| match c {
            ControllerSpec::Karpenter(n, _) => &n[..],
            _ => &[],
        })
    }

    /// The same cluster with its node autoscalers (smart hosting, cluster-autoscaler, Karpenter)
    /// replaced by `scaler`, where the first of them ran (after the others if there was none).
    pub fn with_node_scaler(&self, scaler: ControllerSpec) -> Setup {
        let node_scaler = |c: &ControllerSpec| {
            matches!(
                c,
                ControllerSpec::SmartHosting(..)
                    | ControllerSpec::ClusterAutoscaler(..)
                    | ControllerSpec::Karpenter(..)
            )
        };
        let at = self.controllers.iter().position(node_scaler).unwrap_or(self.controllers.len());
        let mut controllers: Vec<ControllerSpec> =
            self.controllers.iter().filter(|c| !node_scaler(c)).cloned().collect();
        controllers.insert(at.min(controllers.len()), scaler);
        Setup { cluster: self.cluster.clone(), controllers }
    }

    /// Whether some controller can add nodes (a fleet member needs one).
    pub fn grows_nodes(&self) -> bool {
        self.controllers.iter().any(|c| !matches!(c, ControllerSpec::Services(_)))
    }

    /// A run of this cluster on the static `nodes`, placing with `policy` (FGD measuring against
    /// `workload`).
    pub fn world<'a>(
        &'a self,
        opts: RunOptions,
        nodes: &[(NodeSpec, NodeMeta)],
        policy: PolicyName,
        workload: &Workload,
        streams: &RngStreams,
    ) -> Result<World<'a>, SimError> {
        let controllers = self.controllers.iter().map(|c| c.build(self.cluster.gpu_memory_unit_mib)).collect();
        let cluster = ClusterState::new(policy.cluster_options());
        World::new(&self.cluster, opts, cluster, nodes, policy.build(workload), streams, controllers)
    }
}

/// Builds a registered controller from its settings in a scenario's `controllers:` (the item's
/// fields but `name`) and the scenario's instance catalog; an error says what is wrong with them.
pub type Builder = Arc<
    dyn Fn(&serde_json::Map<String, serde_json::Value>, &Catalog) -> Result<Arc<dyn ControllerFactory>, String>
        + Send
        + Sync,
>;

/// The controllers a scenario may name in `controllers:`.
#[derive(Clone, Default)]
pub struct Registry {
    builders: BTreeMap<String, Builder>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("names", &self.builders.keys().collect::<Vec<_>>()).finish()
    }
}

/// The built-in controllers and the section that configures each.
pub const BUILT_IN: [(&str, &str); 4] = [
    ("smart-hosting", "`pools:` with `mode: smart-hosting`"),
    ("cluster-autoscaler", "`pools:`"),
    ("karpenter", "`nodepools:`"),
    ("hpa", "`services:`"),
];

impl Registry {
    /// Registers `builder` under `name` (replacing one of the same name).
    pub fn register(&mut self, name: &str, builder: Builder) -> &mut Self {
        self.builders.insert(name.to_string(), builder);
        self
    }

    /// Registered names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.builders.keys().map(String::as_str).collect()
    }

    /// The controller `name` with `settings`. An unknown name's error lists what there is.
    pub fn build(
        &self,
        name: &str,
        settings: &serde_json::Map<String, serde_json::Value>,
        catalog: &Catalog,
    ) -> Result<ControllerSpec, String> {
        if let Some(b) = self.builders.get(name) {
            return b(settings, catalog).map(ControllerSpec::User);
        }
        if let Some((_, section)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            return Err(format!("`{name}` is built in: it runs when the scenario has {section}"));
        }
        let names = self.names();
        let near = crate::yaml::closest(name, names.iter().map(|n| n.as_ref()))
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        Err(format!(
            "unknown controller `{name}`{near}; registered: {}",
            if names.is_empty() {
                "none (register one with fleetsim::controllers::Registry)".into()
            } else {
                names.join(", ")
            }
        ))
    }
}
