//! What a controller sees of the run: the objects (read only), the scheduler's state (read
//! freely, changed only on a fork that is always reverted), the cloud's counter (to ask for
//! instances) and the node names it may launch under.

use super::objects::Objects;
use super::spec::ClusterSpec;
use crate::core::ClusterState;
use crate::engine::SimTime;
use crate::market::cloud::{Ask, Cloud, Grant};
use crate::market::spot::SpotMarket;

/// A controller's view of the run while it reacts.
pub struct View<'v> {
    /// Now.
    pub now: SimTime,
    /// The run's end (`SimTime(u64::MAX)` for a run without one).
    pub end: SimTime,
    /// The reacting controller's index (its nodes' [`super::Owner::Controller`] index).
    pub me: usize,
    /// Pods, nodes, Deployments, budgets.
    pub objects: &'v Objects,
    /// The cluster's start-up latencies, timeline and settings.
    pub spec: &'v ClusterSpec,
    /// The scheduler's state.
    pub cluster: Fork<'v>,
    /// The cloud, to ask for instances.
    pub cloud: CloudDesk<'v>,
    /// Names for nodes to launch.
    pub names: NodeNames<'v>,
}

/// The scheduler's state: read it freely; estimate on [`Fork::what_if`].
pub struct Fork<'v> {
    pub(crate) c: &'v mut ClusterState,
}

impl Fork<'_> {
    /// The state as it is.
    pub fn state(&self) -> &ClusterState {
        self.c
    }
    /// Runs `f` on a fork of the state and reverts it, whatever `f` did.
    pub fn what_if<R>(&mut self, f: impl FnOnce(&mut ClusterState) -> R) -> R {
        self.c.what_if(f)
    }
}

/// The cloud, as a controller may use it.
pub struct CloudDesk<'v> {
    pub(crate) cloud: &'v mut Cloud,
}

impl CloudDesk<'_> {
    /// Whether `ask` would get an instance now.
    pub fn available(&self, ask: Ask<'_>) -> bool {
        self.cloud.available(ask)
    }
    /// Takes an instance for `ask` (for an [`super::Action::Launch`]), or `None`: insufficient
    /// capacity.
    pub fn take(&mut self, ask: Ask<'_>) -> Option<Grant> {
        self.cloud.take(ask)
    }
    /// Whether the region has `instance_type` left.
    pub fn region_has(&self, instance_type: &str) -> bool {
        self.cloud.region_has(instance_type)
    }
    /// Instances of `instance_type` left in the region (`None`: unlimited).
    pub fn region_stock(&self, instance_type: &str) -> Option<u32> {
        self.cloud.region_stock(instance_type)
    }
    /// Instances left for node pool `group` in `zone` (`None`: unlimited).
    pub fn group_stock(&self, group: &str, zone: &str) -> Option<u32> {
        self.cloud.group_stock(group, zone)
    }
    /// The spot price of an offering now, where the price history has set one.
    pub fn spot_price(&self, instance_type: &str, zone: &str) -> Option<u64> {
        self.cloud.spot_price(instance_type, zone)
    }
    /// The spot market.
    pub fn market(&self) -> &SpotMarket {
        self.cloud.market()
    }
}

/// A node to be launched: its key and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNode {
    pub(crate) key: usize,
    pub(crate) name: String,
}

impl NewNode {
    /// Its key once launched.
    pub fn key(&self) -> usize {
        self.key
    }
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Hands out the keys and names of the nodes a controller launches in this reaction, in the
/// order its [`super::Action::Launch`]es must come: `PREFIX-N`, `N` counting launches in the run.
pub struct NodeNames<'v> {
    pub(crate) next: &'v mut usize,
    pub(crate) base: usize,
    pub(crate) n_static: usize,
}

impl NodeNames<'_> {
    /// The next node: key and name `{prefix}-{N}`.
    pub fn new_node(&mut self, prefix: &str) -> NewNode {
        let key = self.base + *self.next;
        *self.next += 1;
        NewNode { key, name: format!("{prefix}-{}", key - self.n_static) }
    }
}
