//! The end of a hop: every node at the hop, every workload that was available when the hop
//! started available again, no PodDisruptionBudget that held then below its minimum now.

use serde::Serialize;

use crate::model::Snapshot;
use crate::version::{Version, minor_of};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// `node (v1.25.16)` still behind the hop.
    pub nodes_behind: Vec<String>,
    /// `deployment/NS/NAME 1/3 ready`.
    pub unavailable: Vec<String>,
    /// `pdb/NS/NAME 1 healthy, needs 2`.
    pub pdbs_broken: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.nodes_behind.is_empty() && self.unavailable.is_empty() && self.pdbs_broken.is_empty()
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.nodes_behind.is_empty() {
            parts.push(format!("nodes behind: {}", self.nodes_behind.join(", ")));
        }
        if !self.unavailable.is_empty() {
            parts.push(format!("not available: {}", self.unavailable.join(", ")));
        }
        if !self.pdbs_broken.is_empty() {
            parts.push(format!(
                "PDBs below their minimum: {}",
                self.pdbs_broken.join(", ")
            ));
        }
        parts.join("; ")
    }
}

fn available(ready: Option<i32>, replicas: Option<i32>) -> bool {
    ready.unwrap_or(0) >= replicas.unwrap_or(0)
}

/// Judges `now` against the hop and against `before` (the cluster when the hop started).
pub fn verify(before: &Snapshot, now: &Snapshot, hop: &Version) -> Verdict {
    let mut v = Verdict::default();
    for n in now.nodes.iter().filter(|n| !n.deleting) {
        let at = minor_of(&n.kubelet_version).is_some_and(|k| k >= (hop.major, hop.minor));
        if !at {
            v.nodes_behind
                .push(format!("{} ({})", n.name, n.kubelet_version));
        }
    }
    for w in &now.workloads {
        let was = before
            .workloads
            .iter()
            .find(|b| b.kind == w.kind && b.namespace == w.namespace && b.name == w.name);
        let was_available = was.is_some_and(|b| available(b.ready_replicas, b.replicas));
        if was_available && !available(w.ready_replicas, w.replicas) {
            v.unavailable.push(format!(
                "{}/{}/{} {}/{} ready",
                format!("{:?}", w.kind).to_lowercase(),
                w.namespace,
                w.name,
                w.ready_replicas.unwrap_or(0),
                w.replicas.unwrap_or(0)
            ));
        }
    }
    for p in &now.pdbs {
        let held = before
            .pdbs
            .iter()
            .find(|b| b.namespace == p.namespace && b.name == p.name)
            .is_some_and(|b| b.current_healthy >= b.desired_healthy);
        if held && p.current_healthy < p.desired_healthy {
            v.pdbs_broken.push(format!(
                "pdb/{}/{} {} healthy, needs {}",
                p.namespace, p.name, p.current_healthy, p.desired_healthy
            ));
        }
    }
    v
}
