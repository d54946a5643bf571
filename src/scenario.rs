//! Scenario and sweep files: serde schema (`Raw*`, unknown fields rejected) → validated
//! [`Scenario`], with errors that name the file, the field and what was expected.

pub mod schema;
pub mod sweep;
pub mod validate;

pub use schema::RawScenario;
pub use sweep::{expand, load_file, load_file_with, load_str, Loaded, RunSpec, Sweep};
pub use validate::{NodeMeta, Scenario, ScenarioError};
