//! The simulation substrate: one loop, one set of objects, and the [`Controller`] interface every
//! scaler model plugs into.
//!
//! The substrate owns what no scaler model decides: pods (created by the trace, by Deployments,
//! by requeued jobs), nodes with an explicit [`Owner`] and their lifecycle (launch, running,
//! Ready, GPUs advertised, joined; cordon and drain; termination), the scheduling cycle
//! (priority, gangs), image pulls and container starts, eviction and requeue (a Deployment
//! recreates its pod, a trace job resumes from its last checkpoint), PodDisruptionBudget
//! accounting, billing, and one [cloud](crate::market::cloud) every launch goes through. Scaler
//! models ([`crate::controllers`]) read a [`View`] and return [`Action`]s; the substrate
//! applies them in order.
//!
//! # Same-instant order
//! Events at the same millisecond run in [`Phase`] order, and within a phase in the order they
//! were scheduled (FIFO). In one place:
//! 1. [`Phase::Departure`]: pods finish, deleted pods' grace periods end.
//! 2. [`Phase::Arrival`]: trace pods arrive (before the instant's queued arrivals), timeline
//!    steps and operations from outside (a fleet's dispatch) run.
//! 3. [`Phase::Lifecycle`]: nodes advance (running, Ready, GPUs advertised and joined), pods'
//!    containers start, drained nodes terminate, spot notices and price changes come, and
//!    controllers' lifecycle-like timers fire (a replica has loaded its model).
//! 4. [`Phase::Schedule`]: one scheduling cycle over the pending queue (priority, then arrival;
//!    a gang's workers together). Whatever makes a new cycle necessary at the current instant
//!    (a pod created, capacity freed, a node joined) asks for one in this phase of the same
//!    instant; asked for from a later phase, it runs next.
//! 5. [`Phase::Scaler`]: controllers' loops (cluster-autoscaler and smart hosting scans,
//!    Karpenter's batches and disruption polls, HPA syncs).
//! 6. [`Phase::Sample`]: time-series samples and the snapshot see everything else of the
//!    instant.
//!
//! After each event, the [`Cause`]s it raised are delivered: a node's cause to its owner first,
//! then to every controller whose [`Interests`] include it, in registration order. A
//! controller's actions are applied in the order it returns them; the causes they raise are
//! delivered next, then its [`Action::Continue`], so a decision taken in steps sees each step's
//! effects. Registration order (what [`crate::controllers`] builds): smart hosting,
//! cluster-autoscaler, Karpenter, the services (serving and HPA), then user controllers in the
//! order the scenario lists them.
//!
//! # Embedding a controller
//! A controller of your own implements [`Controller`] and is passed to [`World::new`] (or
//! registered by name, [`crate::controllers::Registry`]); `examples/target_utilization.rs` is a
//! worked one.

mod accounting;
mod adopt;
mod controller;
mod deployments;
mod lifecycle;
mod objects;
mod record;
mod scheduling;
mod snapshot;
mod spec;
mod view;
mod world;

pub use crate::engine::Phase;
pub use controller::{below, Action, Cause, Controller, Interests, Launch, NodeKey, PodKey};
pub use objects::{Deployment, Node, Objects, Owner, Pod, PodState};
pub use record::{
    Counters, CpuMemIntegrals, CurvePoint, EventRow, Figures, JobStats, NodeRow, Outcome, PodRecord, RunResult, Sample,
    SimResult, Snapshot,
};
pub use spec::{
    ClusterSpec, DeploymentSpec, IntOrPercent, Latency, Lifecycle, Pdb, RunOptions, TimelineOp, Unschedulable,
};
pub use view::{CloudDesk, Fork, NewNode, NodeNames, View};
pub use world::{NodeMeta, World};

/// What can go wrong in a run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The scheduler's state refused an operation (a bug, or a controller's bad action).
    #[error("{0}")]
    State(#[from] crate::core::StateError),
    /// An event was scheduled before the current time.
    #[error("{0}")]
    Past(#[from] crate::engine::queue::PastEvent),
    /// The run's input asks for something impossible (a deployment that does not exist, trace
    /// pods out of order).
    #[error("{0}")]
    Input(String),
    /// A controller failed or asked for something impossible.
    #[error("controller {controller}: {message}")]
    Controller {
        /// Its name.
        controller: String,
        /// What went wrong.
        message: String,
    },
    /// Where an error happened (a timeline step, an instant).
    #[error("{at}: {inner}")]
    At {
        /// Where.
        at: String,
        /// What.
        inner: Box<SimError>,
    },
}

impl SimError {
    /// The error, said to come from controller `name` (unless it already names one).
    pub fn of(self, name: &str) -> SimError {
        match self {
            e @ SimError::Controller { .. } => e,
            e => SimError::Controller { controller: name.to_string(), message: e.to_string() },
        }
    }
    /// The error, with where it happened.
    pub fn context(self, at: &str) -> SimError {
        SimError::At { at: at.to_string(), inner: Box::new(self) }
    }
}
#[cfg(test)]
mod tests;
