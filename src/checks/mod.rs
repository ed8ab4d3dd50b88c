//! Pure checks: `Snapshot -> Vec<Finding>`. Every section produces the one `Finding` type.

pub mod finding;
pub mod skew;

pub use finding::{
    Code, CodeInfo, FailOn, Finding, Severity, UnknownCode, catalogue, codes_markdown_table,
    exceeds,
};
pub use skew::{node_groups_not_at, skew_findings};

#[cfg(test)]
pub(crate) mod fixtures;
