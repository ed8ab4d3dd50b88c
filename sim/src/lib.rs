//! kup-sim: a simulated EKS cluster that speaks the real Kubernetes REST API.
//!
//! Layers, each using only the ones below it:
//! - `server`: starts a sim and is the one HTTP front: reads each request and hands it to the
//!   `/sim/*` endpoints, `eks/` or `api/`.
//! - `api/` (the Kubernetes REST API) and `eks/` (the EKS REST-JSON API): neither uses the
//!   other nor the server.
//! - `http` (the per-server context, replies and their encoding), `world/` (the behaviour:
//!   scheduler, controllers, kubelet, Karpenter, node group rolls), `faults`.
//! - `state` (`SimState`, with `eks_state` for the EKS side), `store`, `stats`, `clock`,
//!   `resources`, `scenario/` (the input), `amis` (the AMI catalogue and SSM parameters).
//!
//! Start one with [`start`]; it returns a [`SimHandle`] with the URL and a kubeconfig.

pub mod amis;
pub mod api;
pub mod clock;
pub mod cron;
pub mod eks;
pub mod eks_state;
pub mod faults;
pub mod http;
pub mod nodeclass_conversion;
pub mod resources;
pub mod scenario;
pub mod server;
pub mod ssm;
pub mod state;
pub mod stats;
pub mod store;
pub mod world;

pub use server::{SimError, SimHandle, SimOptions, start};
pub use store::{ApiError, Store};
