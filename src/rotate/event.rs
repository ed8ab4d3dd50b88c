//! What `kup rotate -o json` streams: one JSON object per line, tagged by `event`. The executor
//! fills them in; this module only fixes their shape (it is API for CI logs).

use serde::Serialize;

use super::marker::Phase;
use super::plan::BlockReason;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "event",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum RotateEvent {
    /// The plan about to be carried out.
    Plan {
        run_id: String,
        target: String,
        /// Node names per batch, in order.
        batches: Vec<Vec<String>>,
        /// Managed node groups EKS moves after the batches: name -> its lagging nodes.
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        node_groups: std::collections::BTreeMap<String, Vec<String>>,
        evictions: usize,
        blocking: usize,
    },
    Cordoned {
        node: String,
        batch: usize,
    },
    /// An eviction accepted (201) and the pod gone.
    Evicted {
        node: String,
        namespace: String,
        pod: String,
        /// Eviction calls it took (429s retried).
        attempts: u32,
        /// From the first eviction call until the pod was gone.
        took_ms: u64,
    },
    /// An eviction refused for now (429/500) or by policy (no controller, emptyDir, ...).
    Blocked {
        node: String,
        namespace: String,
        pod: String,
        /// `NS/NAME` of the PDB that blocks, when the API or the plan names one.
        pdb: Option<String>,
        reason: BlockReason,
        message: String,
        /// The server's Retry-After, when it sent one.
        retry_after_secs: Option<u64>,
        waited_ms: u64,
    },
    /// Pods that must leave the node are still there (evicted, or already terminating when
    /// the run came): after 10 s of waiting, then every minute, until they are gone or
    /// `--timeout` stops the run.
    Waiting {
        node: String,
        /// `NS/NAME` of the pods still on the node.
        pods: Vec<String>,
        /// What they are doing and how long kup waits.
        message: String,
        waited_ms: u64,
    },
    Deleted {
        node: String,
    },
    ReplacementReady {
        node: String,
        replacement: String,
        kubelet: String,
        waited_ms: u64,
    },
    /// Replacement capacity Ready and every evicted workload available again.
    Verified {
        node: String,
        /// `deployment/NS/NAME` of the workloads waited for.
        workloads: Vec<String>,
        took_ms: u64,
    },
    /// UpdateNodegroupVersion started (or an update in progress found and followed).
    NodegroupUpdate {
        nodegroup: String,
        update_id: String,
        version: String,
        /// Its lagging nodes, which EKS replaces.
        nodes: Vec<String>,
        resumed: bool,
    },
    /// The update succeeded and the group's nodes run at the version, the old ones gone.
    NodegroupUpdated {
        nodegroup: String,
        update_id: String,
        /// The group's nodes now (Ready, at the version).
        replacements: Vec<String>,
        took_ms: u64,
    },
    Done {
        nodes: usize,
        pods_moved: usize,
        took_ms: u64,
    },
    /// The run stopped (exit 4); the markers say where, `resume` how to continue.
    Failed {
        node: Option<String>,
        /// The phase the node reached (its marker).
        phase: Option<Phase>,
        pod: Option<String>,
        pdb: Option<String>,
        reason: String,
        resume: String,
    },
}

impl RotateEvent {
    /// The first event of a run: what it is going to do.
    pub fn plan(plan: &super::plan::RotatePlan, run_id: &str) -> RotateEvent {
        RotateEvent::Plan {
            run_id: run_id.to_string(),
            target: plan.target.minor_str(),
            batches: plan
                .batches
                .iter()
                .map(|b| b.nodes.iter().map(|n| n.name.clone()).collect())
                .collect(),
            node_groups: plan
                .node_groups
                .iter()
                .map(|g| {
                    (
                        g.name.clone(),
                        g.nodes.iter().map(|n| n.name.clone()).collect(),
                    )
                })
                .collect(),
            evictions: plan.summary.evictions,
            blocking: plan.summary.blocking,
        }
    }

    /// One line of the stream, newline-terminated.
    pub fn to_json_line(&self) -> String {
        match serde_json::to_string(self) {
            Ok(mut s) => {
                s.push('\n');
                s
            }
            // Only string keys and plain values: cannot happen, must not panic.
            Err(e) => format!("{{\"event\":\"failed\",\"reason\":{:?}}}\n", e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn value(e: &RotateEvent) -> serde_json::Value {
        serde_json::from_str(&e.to_json_line()).unwrap_or_default()
    }

    #[test]
    fn events_are_tagged_kebab_case_with_camel_case_fields() {
        let e = RotateEvent::ReplacementReady {
            node: "old".into(),
            replacement: "new".into(),
            kubelet: "v1.25.16-eks-3025e55".into(),
            waited_ms: 1500,
        };
        assert_eq!(
            value(&e),
            json!({"event": "replacement-ready", "node": "old", "replacement": "new",
                   "kubelet": "v1.25.16-eks-3025e55", "waitedMs": 1500})
        );
    }

    #[test]
    fn blocked_names_the_pdb_and_reason() {
        let e = RotateEvent::Blocked {
            node: "n1".into(),
            namespace: "default".into(),
            pod: "nginx-1".into(),
            pdb: Some("default/nginx".into()),
            reason: BlockReason::PdbAllowsNone,
            message: "429".into(),
            retry_after_secs: None,
            waited_ms: 0,
        };
        let v = value(&e);
        assert_eq!(v["event"], "blocked");
        assert_eq!(v["pdb"], "default/nginx");
        assert_eq!(v["reason"], "pdb-allows-none");
        assert_eq!(v["retryAfterSecs"], serde_json::Value::Null);
    }

    #[test]
    fn one_line_per_event() {
        let events = [
            RotateEvent::Plan {
                run_id: "r1".into(),
                target: "1.25".into(),
                batches: vec![vec!["a".into(), "b".into()], vec!["c".into()]],
                node_groups: Default::default(),
                evictions: 4,
                blocking: 0,
            },
            RotateEvent::Cordoned {
                node: "a".into(),
                batch: 1,
            },
            RotateEvent::Deleted { node: "a".into() },
            RotateEvent::Verified {
                node: "a".into(),
                workloads: vec!["deployment/default/nginx".into()],
                took_ms: 10,
            },
            RotateEvent::Done {
                nodes: 3,
                pods_moved: 4,
                took_ms: 99,
            },
            RotateEvent::Failed {
                node: Some("c".into()),
                phase: Some(Phase::Cordoned),
                pod: None,
                pdb: None,
                reason: "interrupted".into(),
                resume: "kup rotate".into(),
            },
        ];
        let tags: Vec<String> = events
            .iter()
            .map(|e| {
                let line = e.to_json_line();
                assert_eq!(line.matches('\n').count(), 1, "{line}");
                value(e)["event"].as_str().unwrap_or_default().to_string()
            })
            .collect();
        assert_eq!(
            tags,
            ["plan", "cordoned", "deleted", "verified", "done", "failed"]
        );
        assert_eq!(value(&events[0])["runId"], "r1");
        assert_eq!(value(&events[4])["podsMoved"], 4);
        assert_eq!(value(&events[5])["phase"], "cordoned");
    }
}
