//! `kup upgrade` on plain data: the hops from the control plane's minor to `--to` (one minor at
//! a time, as EKS allows), what each hop will do and what gates it (`plan.rs`), where a run
//! that was stopped continues (`resume.rs`), and whether a hop ended well (`verify.rs`).

pub mod addons;
pub use addons::addon_offers;
pub mod event;
pub mod plan;
pub mod resume;
pub mod verify;

pub use event::UpgradeEvent;
pub use plan::{
    AddonMove, AddonOffers, AddonsMode, GroupMove, Hop, NodesBy, NodesMode, PoolMove, UpgradeError,
    UpgradeOptions, UpgradePlan, hops, nodes_by, plan, unmoved_pools,
};
pub use resume::{Observed, Resume, Step, UpdateSeen, resume};
pub use verify::{Verdict, verify};

#[cfg(test)]
mod tests;
