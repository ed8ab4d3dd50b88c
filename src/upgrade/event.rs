//! What `kup upgrade -o json` streams: one JSON object per line, tagged by `event`, like
//! `kup rotate`'s (whose node events it carries through unchanged between `hop-started` and
//! `hop-done`).

use serde::Serialize;

use super::plan::UpgradePlan;
use crate::checks::Finding;

#[derive(Clone, Debug, Serialize)]
#[serde(
    tag = "event",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum UpgradeEvent {
    Plan {
        run_id: String,
        plan: UpgradePlan,
    },
    HopStarted {
        hop: String,
        /// The run continues a hop an earlier run started.
        resumed: bool,
    },
    /// The hop's gate: `kup check --target HOP` on the cluster as it is now.
    Gate {
        hop: String,
        passed: bool,
        /// Findings at or above `--fail-on`.
        blockers: Vec<Finding>,
        errors: usize,
        warnings: usize,
    },
    ClusterUpdate {
        hop: String,
        update_id: String,
        /// InProgress when started or followed, then Successful.
        status: String,
        /// Found in EKS (an earlier run started it), not started by this run.
        resumed: bool,
    },
    AddonUpdate {
        hop: String,
        addon: String,
        from: Option<String>,
        to: String,
        status: String,
    },
    /// Karpenter's drift of the NodePools kup leaves to it.
    KarpenterDrift {
        hop: String,
        behind: usize,
        drifted: usize,
        being_replaced: usize,
    },
    HopDone {
        hop: String,
        nodes: usize,
        took_ms: u64,
    },
    Done {
        version: String,
        hops: usize,
        took_ms: u64,
    },
    Failed {
        hop: Option<String>,
        step: String,
        reason: String,
        resume: String,
    },
}

impl UpgradeEvent {
    /// One line of the stream, newline-terminated.
    pub fn to_json_line(&self) -> String {
        match serde_json::to_string(self) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            Err(e) => format!("{{\"event\":\"failed\",\"reason\":{:?}}}\n", e.to_string()),
        }
    }
}
