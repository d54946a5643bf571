//! The generic discrete-event machinery: integer simulated time, an event queue ordered by
//! `(time, phase, seq)` and per-component RNG streams. What the phases mean, and the one loop,
//! are [`crate::sim`]'s.

pub mod queue;
pub mod rng;
pub mod time;

pub use queue::{EventQueue, Phase};
pub use rng::{RngStreams, Stream};
pub use time::SimTime;
