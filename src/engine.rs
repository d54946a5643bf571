//! The discrete-event engine: integer simulated time, an event queue ordered by
//! `(time, phase, seq)`, per-component RNG streams, and the run loop that replays pod arrivals
//! through a placement policy.
//!
//! # Same-instant order
//! Events at the same millisecond run in [`Phase`] order, and within a phase in the order they were
//! pushed (`seq`). The order, in one place:
//! 1. [`Phase::Departure`] — pods finish and free capacity;
//! 2. [`Phase::Arrival`] — new pods join the back of the pending queue (arrivals are streamed from
//!    the trace and merged with the queue, never pushed into the heap);
//! 3. [`Phase::Lifecycle`] — nodes advance (running, Ready, GPUs advertised) and pods start;
//! 4. [`Phase::Schedule`] — one scheduling cycle tries the pending queue in FIFO order;
//! 5. [`Phase::Scaler`] — the autoscaler loop sees what that cycle could not place;
//! 6. [`Phase::Sample`] — time-series samples see the state after everything else at that instant.

pub mod queue;
pub mod rng;
pub mod sim;
pub mod time;

pub use queue::{EventQueue, Phase};
pub use rng::{RngStreams, Stream};
pub use sim::{Arrival, CurvePoint, Outcome, PodRecord, Sample, SimConfig, SimResult, Simulation, Unschedulable};
pub use time::SimTime;
