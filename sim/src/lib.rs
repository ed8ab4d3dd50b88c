//! kup-sim: a simulated EKS cluster that speaks the real Kubernetes REST API.
//!
//! Module ownership while the crate is being built:
//! - `store`, `resources`, `state`, `stats`, `server`, `api/`, `faults`, `main.rs`: the HTTP side.
//! - `world/`, `clock`: the behaviour.
//! - `scenario/`: the input.
//! - `eks/`: the EKS REST-JSON API (`world/nodegroups.rs` rolls its node groups).
//!
//! Start one with [`start`]; it returns a [`SimHandle`] with the URL and a kubeconfig.

pub mod api;
pub mod clock;
pub mod eks;
pub mod faults;
pub mod resources;
pub mod scenario;
pub mod server;
pub mod state;
pub mod stats;
pub mod store;
pub mod world;

pub use server::{SimError, SimHandle, SimOptions, start};
pub use store::{ApiError, Store};
