//! kup: an upgrade assistant for Kubernetes clusters, first of all Amazon EKS clusters whose
//! nodes Karpenter provisions.
//!
//! A functional core with an imperative shell: `cluster` reads a compact `model::Snapshot`;
//! `version`, `checks` (one `checks::run`), `rotate::plan` and `report` compute on plain data;
//! `output` renders; `commands` wires them together for each subcommand (see ARCHITECTURE.md).
//! `main.rs` only parses flags and maps the outcome to an exit code (see `error::exit`).

pub mod addons;
pub mod apis;
pub mod checks;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod eks;
pub mod error;
pub mod fleet;
pub mod karpenter;
pub mod kubectl_plugin;
pub mod log;
pub mod model;
pub mod output;
pub mod pools;
pub mod report;
pub mod rotate;
pub mod upgrade;
pub mod version;

pub use commands::run;
pub use error::{KupError, exit};
