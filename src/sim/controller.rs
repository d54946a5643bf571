//! The interface every scaler model implements: a [`Controller`] reads a [`View`] of the run and
//! returns [`Action`]s, which the substrate applies in order. It never changes the world itself;
//! its only direct call is the cloud's, asking for an instance (answered at once, as EC2 or ECS
//! answer), and its only what-if is [`super::Fork::what_if`], always reverted.

use super::view::{NewNode, View};
use super::SimError;
use crate::core::scaleup::NodeGroup;
use crate::core::{NodeSpec, PodSpec, RandomSource};
use crate::engine::{Phase, SimTime};
use crate::market::cloud::Grant;
use crate::market::spot::CapacityType;

pub use super::objects::{NodeKey, PodKey};

/// Why a controller is asked to react.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// One of its own timers ([`Action::WakeAt`]) or continuations ([`Action::Continue`]),
    /// with the token it gave.
    Wake(u64),
    /// A pod failed scheduling for the first time (interest [`Interests::unschedulable`]).
    Unschedulable(PodKey),
    /// A node joined the scheduler's view (its owner; every controller with
    /// [`Interests::nodes`]).
    NodeJoined(NodeKey),
    /// A node terminated (its owner; every controller with [`Interests::nodes`]).
    NodeLeft(NodeKey),
    /// A spot interruption notice for a node (its owner): the cloud reclaims the instance when
    /// the notice runs out.
    Notice(NodeKey),
    /// A pod's container started (interest [`Interests::pods`]).
    PodStarted(PodKey),
    /// A pod stopped running: deleted, evicted or finished (interest [`Interests::pods`]).
    PodStopped(PodKey),
}

/// The causes a controller wants besides its own timers and its own nodes' lifecycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Interests {
    /// Pods failing scheduling for the first time.
    pub unschedulable: bool,
    /// Every node joining or leaving, not only its own.
    pub nodes: bool,
    /// Pods starting and stopping.
    pub pods: bool,
}

/// A node to launch: what [`super::view::NodeNames::new_node`] named and
/// [`super::view::CloudDesk::take`] granted.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Key and name.
    pub node: NewNode,
    /// What it joins as (its name is replaced by the node's).
    pub spec: NodeSpec,
    /// The controller's own group index (a pool), recorded as the node's owner.
    pub group: usize,
    /// The group's name (`nodes.csv`'s `pool`).
    pub group_name: String,
    /// Instance type.
    pub instance_type: String,
    /// Zone.
    pub zone: String,
    /// Capacity type.
    pub capacity: CapacityType,
    /// Price now, micro-USD per hour.
    pub price_micro_h: u64,
    /// On-demand price of the type in the zone, micro-USD per hour.
    pub on_demand_micro_h: u64,
    /// What the cloud granted.
    pub grant: Grant,
}

/// What a controller asks the substrate to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// Launch a node: it runs, becomes Ready and joins after the lifecycle's latencies.
    Launch(Box<Launch>),
    /// Cordon and drain a node: it leaves the scheduler's view and its pods are evicted now
    /// (Deployments recreate theirs, trace jobs come back from their last checkpoint), and it
    /// terminates after `drain_for`. A node that has not joined terminates at once.
    Drain {
        /// Node.
        node: NodeKey,
        /// Termination reason (`nodes.csv`).
        reason: String,
        /// How long the drain takes.
        drain_for: SimTime,
    },
    /// Terminate a node now, evicting its pods.
    Terminate {
        /// Node.
        node: NodeKey,
        /// Termination reason (`nodes.csv`).
        reason: String,
    },
    /// Set a Deployment's replicas (new pending pods, or deletions in ReplicaSet order).
    SetReplicas {
        /// Deployment index ([`super::Objects::deployment_named`]).
        deployment: usize,
        /// Replicas.
        replicas: u32,
    },
    /// Wake this controller at `at` in `phase` ([`Phase::Scaler`] for loops,
    /// [`Phase::Lifecycle`] for lifecycle-like steps) with `token`. A time after the run's end
    /// never comes.
    WakeAt {
        /// When.
        at: SimTime,
        /// Same-instant phase.
        phase: Phase,
        /// Returned in [`Cause::Wake`].
        token: u64,
    },
    /// React again at once, after these actions and the causes they raise: a decision in steps,
    /// each seeing the last one's effects. Not an event of the queue.
    Continue {
        /// Returned in [`Cause::Wake`].
        token: u64,
    },
    /// Record a Kubernetes-style event.
    Event {
        /// Reason.
        kind: &'static str,
        /// Object (`pod/NAME`, `node/NAME`, ...).
        object: String,
        /// Message.
        message: String,
    },
    /// Say why a pod waits (`pods.csv`'s `reason`).
    PodReason {
        /// Pod.
        pod: PodKey,
        /// Why.
        reason: String,
    },
}

impl Action {
    /// An [`Action::Event`].
    pub fn event(kind: &'static str, object: impl Into<String>, message: impl Into<String>) -> Action {
        Action::Event { kind, object: object.into(), message: message.into() }
    }
}

/// A scaler model (or any controller watching the run).
///
/// The substrate calls [`Controller::start`] once, then [`Controller::react`] for each cause
/// (see the same-instant order in [`crate::sim`]), and [`Controller::finish`] at the end.
pub trait Controller: Send {
    /// Its name, as the registry and the scenario spell it.
    fn name(&self) -> &'static str;

    /// The name of its random stream (derived from the run's seed; one per controller, so adding
    /// a controller never shifts another's draws).
    fn stream(&self) -> String {
        format!("controller/{}", self.name())
    }

    /// The causes it wants besides its own.
    fn interests(&self) -> Interests {
        Interests::default()
    }

    /// Its first actions (timers, minimum sizes), when the run starts.
    fn start(&mut self, view: &mut View<'_>) -> Result<Vec<Action>, SimError>;

    /// Its actions for `cause`; `rng` is its own stream.
    fn react(&mut self, cause: Cause, view: &mut View<'_>, rng: &mut dyn RandomSource)
        -> Result<Vec<Action>, SimError>;

    /// Called once when the run ends (accounting up to the end).
    fn finish(&mut self, _view: &View<'_>) {}

    /// Its figures for the summary, by column name (summed over controllers that share one).
    fn figures(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// The node groups it could still grow for `pod`, each with its room now, for estimators
    /// outside it (a fleet's `AvailableReplicas`). None by default.
    fn growth(&self, _view: &View<'_>, _pod: &PodSpec) -> Vec<NodeGroup> {
        Vec::new()
    }
}

/// A uniform integer in `0..n` (`n > 0`) from any random source, by rejection (no modulo bias):
/// the same draws as [`crate::engine::Stream::below`] on a stream, and 0 from
/// [`crate::core::NoRandom`] (what `fleetsim plan` passes: the first of equal choices).
pub fn below(rng: &mut dyn RandomSource, n: u64) -> u64 {
    assert!(n > 0, "below(0)");
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let v = rng.next_u64();
        if v < zone {
            return v % n;
        }
    }
}
