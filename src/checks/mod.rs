//! Pure checks: `Snapshot -> Vec<Finding>`. Every section produces the one `Finding` type.

pub mod eks;
pub mod finding;
pub mod placement;
pub mod skew;

pub use eks::eks_findings;
pub use finding::{
    Code, CodeInfo, FailOn, Finding, Severity, UnknownCode, catalogue, codes_markdown_table,
    exceeds,
};
pub use placement::{
    IgnoreRule, PlacementConfig, Policy, RunsOn, WorkloadVerdict, placement_findings,
    workload_verdicts,
};
pub use skew::{node_groups_not_at, skew_findings};

#[cfg(test)]
pub(crate) mod fixtures;
