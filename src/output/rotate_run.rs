//! `kup rotate` while it runs: progress on stderr (indicatif bars on a terminal, one line per
//! step otherwise), the summary table at the end, and the lines of `--abort`. The command
//! wires these to the executor's events; they hold no rule of their own.

use std::time::Duration;

use comfy_table::Cell;

use super::{Format, Style, finish_table, kubectl_table, render_rotate_plan};
use crate::rotate::execute::NodeResult;
use crate::rotate::{AbortNode, ReplaceAction, RotateEvent, RotatePlan};

/// What `kup rotate` prints for a plan it does not carry out (blocked, or nothing to do):
/// with `-o json` the `plan` event and then `end`; otherwise the plan as asked for.
pub fn plan_not_run(plan: &RotatePlan, end: &RotateEvent, format: Format, style: &Style) -> String {
    if format == Format::Json {
        format!(
            "{}{}",
            RotateEvent::plan(plan, "-").to_json_line(),
            end.to_json_line()
        )
    } else {
        render_rotate_plan(plan, format, style)
    }
}

/// What the operator sees on stderr while the rotation runs: indicatif bars on a terminal
/// (one overall bar, one line per node showing its current step), one line per step otherwise
/// (CI logs keep every step).
pub enum Progress {
    Lines,
    Bars {
        multi: indicatif::MultiProgress,
        overall: Option<indicatif::ProgressBar>,
        nodes: std::collections::HashMap<String, indicatif::ProgressBar>,
    },
}

impl Progress {
    pub fn new(bars: bool) -> Progress {
        if bars {
            Progress::Bars {
                multi: indicatif::MultiProgress::new(),
                overall: None,
                nodes: Default::default(),
            }
        } else {
            Progress::Lines
        }
    }

    pub fn event(&mut self, e: &RotateEvent) {
        let Progress::Bars {
            multi,
            overall,
            nodes,
        } = self
        else {
            if let Some(line) = event_line(e) {
                crate::log::info(format_args!("{line}"));
            }
            return;
        };
        let spinner =
            indicatif::ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        let node_bar = |nodes: &mut std::collections::HashMap<String, indicatif::ProgressBar>,
                        node: &str| {
            nodes
                .entry(node.to_string())
                .or_insert_with(|| {
                    let pb = multi
                        .add(indicatif::ProgressBar::new_spinner().with_style(spinner.clone()));
                    pb.set_prefix(node.to_string());
                    pb.enable_steady_tick(Duration::from_millis(120));
                    pb
                })
                .clone()
        };
        match e {
            RotateEvent::Plan {
                batches,
                node_groups,
                ..
            } => {
                let total = (batches.iter().map(Vec::len).sum::<usize>()
                    + node_groups.values().map(Vec::len).sum::<usize>())
                    as u64;
                let style = indicatif::ProgressStyle::with_template(
                    "rotate [{bar:30}] {pos}/{len} nodes  {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
                *overall = Some(multi.add(indicatif::ProgressBar::new(total).with_style(style)));
            }
            RotateEvent::Cordoned { node, batch } => {
                node_bar(nodes, node).set_message(format!("batch {batch}: cordoned"))
            }
            RotateEvent::Evicted {
                node,
                namespace,
                pod,
                ..
            } => node_bar(nodes, node).set_message(format!("evicted {namespace}/{pod}")),
            RotateEvent::Blocked {
                node,
                namespace,
                pod,
                pdb,
                ..
            } => node_bar(nodes, node).set_message(format!(
                "waiting: eviction of {namespace}/{pod} refused{}",
                pdb.as_ref()
                    .map(|p| format!(" by PodDisruptionBudget {p}"))
                    .unwrap_or_default()
            )),
            RotateEvent::Waiting {
                node,
                pods,
                waited_ms,
                ..
            } => node_bar(nodes, node).set_message(format!(
                "waiting {}s for {} pod(s) to be gone",
                waited_ms / 1000,
                pods.len()
            )),
            RotateEvent::Deleted { node } => {
                node_bar(nodes, node).set_message("deleted, waiting for the replacement")
            }
            RotateEvent::ReplacementReady {
                node,
                replacement,
                kubelet,
                ..
            } => node_bar(nodes, node)
                .set_message(format!("replacement {replacement} Ready ({kubelet})")),
            RotateEvent::Verified { node, .. } => {
                node_bar(nodes, node).finish_with_message("verified");
                if let Some(o) = overall {
                    o.inc(1);
                }
            }
            RotateEvent::NodegroupUpdate {
                nodegroup,
                update_id,
                nodes: old,
                ..
            } => {
                for node in old {
                    node_bar(nodes, node).set_message(format!(
                        "EKS update {update_id} of node group {nodegroup} in progress"
                    ));
                }
            }
            RotateEvent::NodegroupUpdated { nodegroup, .. } => {
                node_bar(nodes, nodegroup).finish_with_message("node group updated");
            }
            RotateEvent::Done { .. } => {
                if let Some(o) = overall {
                    o.finish();
                }
            }
            RotateEvent::Failed { .. } => {
                for pb in nodes.values() {
                    pb.abandon();
                }
                if let Some(o) = overall {
                    o.abandon();
                }
            }
        }
    }
}

/// The line a step prints on stderr without bars (CI logs keep every step); None for
/// `failed`, whose reason the command prints itself.
pub fn event_line(e: &RotateEvent) -> Option<String> {
    let line = match e {
        RotateEvent::Plan {
            run_id,
            batches,
            node_groups,
            ..
        } => {
            let mut line = format!(
                "run {run_id}: {} node(s) in {} batch(es)",
                batches.iter().map(Vec::len).sum::<usize>(),
                batches.len()
            );
            for (group, nodes) in node_groups {
                line.push_str(&format!(
                    ", then node group {group} ({} node(s)) through EKS",
                    nodes.len()
                ));
            }
            line
        }
        RotateEvent::Cordoned { node, batch } => format!("[batch {batch}] {node}: cordoned"),
        RotateEvent::Evicted {
            node,
            namespace,
            pod,
            attempts,
            ..
        } => format!("  {node}: evicted {namespace}/{pod} ({attempts} call(s))"),
        RotateEvent::Blocked {
            node,
            namespace,
            pod,
            pdb,
            message,
            ..
        } => format!(
            "  {node}: eviction of {namespace}/{pod} refused{}: {message}; retrying",
            pdb.as_ref()
                .map(|p| format!(" by PodDisruptionBudget {p}"))
                .unwrap_or_default()
        ),
        RotateEvent::Waiting {
            node,
            pods,
            message,
            waited_ms,
        } => format!(
            "  {node}: {} pod(s) still there after {}s, {message}: {}",
            pods.len(),
            waited_ms / 1000,
            pods.join(", ")
        ),
        RotateEvent::Deleted { node } => format!("  {node}: node deleted"),
        RotateEvent::ReplacementReady {
            node,
            replacement,
            kubelet,
            ..
        } => format!("  {node}: replacement {replacement} Ready ({kubelet})"),
        RotateEvent::Verified {
            node, workloads, ..
        } => {
            if workloads.is_empty() {
                format!("  {node}: verified")
            } else {
                format!(
                    "  {node}: verified, {} available again",
                    workloads.join(", ")
                )
            }
        }
        RotateEvent::NodegroupUpdate {
            nodegroup,
            update_id,
            version,
            nodes,
            resumed,
        } => format!(
            "[node group {nodegroup}] {} EKS update {update_id} to {version} ({} node(s) to \
             replace)",
            if *resumed { "following" } else { "started" },
            nodes.len()
        ),
        RotateEvent::NodegroupUpdated {
            nodegroup,
            replacements,
            took_ms,
            ..
        } => format!(
            "[node group {nodegroup}] updated in {:.1}s; its nodes: {}",
            *took_ms as f64 / 1000.0,
            replacements.join(", ")
        ),
        RotateEvent::Done {
            nodes, pods_moved, ..
        } => format!("done: {nodes} node(s) rotated, {pods_moved} pod(s) moved"),
        RotateEvent::Failed { .. } => return None,
    };
    Some(line)
}

/// NODE, VERSION (old → new), PODS MOVED, TOOK, then what is left to do.
pub fn run_summary(nodes: &[NodeResult], style: &Style) -> String {
    let mut t = kubectl_table(style);
    t.set_header(vec!["NODE", "VERSION", "REPLACEMENT", "PODS MOVED", "TOOK"]);
    let mut todo = Vec::new();
    for n in nodes {
        let version = match &n.new_kubelet {
            Some(k) => format!("{} → {k}", n.old_kubelet),
            None if matches!(
                n.action,
                ReplaceAction::DeleteNode | ReplaceAction::UpdateNodeGroup
            ) =>
            {
                format!("{} → deleted (pods found room elsewhere)", n.old_kubelet)
            }
            None => format!("{} (unchanged)", n.old_kubelet),
        };
        t.add_row(vec![
            Cell::new(&n.name),
            Cell::new(version),
            Cell::new(n.replacement.as_deref().unwrap_or("-")),
            Cell::new(n.pods_moved),
            Cell::new(format!("{:.1}s", n.took.as_secs_f64())),
        ]);
        if !matches!(
            n.action,
            ReplaceAction::DeleteNode | ReplaceAction::UpdateNodeGroup
        ) {
            todo.push(format!("{}: {}", n.name, n.message));
        }
    }
    let mut s = finish_table(&mut t, &[0, 3, 4]);
    for line in todo {
        s.push_str(&format!("→ {line}\n"));
    }
    s
}

/// `, uncordon(ed)`, or why the node stays cordoned.
pub fn undo_note(n: &AbortNode, done: bool) -> String {
    match (&n.keep_cordon, n.uncordon) {
        (Some(why), _) => format!(", left cordoned: {why}"),
        (None, true) if done => ", uncordoned".to_string(),
        (None, true) => ", uncordon".to_string(),
        (None, false) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rotate::BlockReason;

    fn s(v: &str) -> String {
        v.to_string()
    }

    /// One of each event, in the order a run with a Karpenter batch and a node group sends.
    fn events() -> Vec<RotateEvent> {
        vec![
            RotateEvent::Plan {
                run_id: s("r-20261124-060512"),
                target: s("1.25"),
                batches: vec![vec![s("ip-1"), s("ip-2")]],
                node_groups: [(s("mng-1"), vec![s("ip-3")])].into(),
                evictions: 3,
                blocking: 0,
            },
            RotateEvent::Cordoned {
                node: s("ip-1"),
                batch: 1,
            },
            RotateEvent::Blocked {
                node: s("ip-1"),
                namespace: s("default"),
                pod: s("nginx-0"),
                pdb: Some(s("default/nginx")),
                reason: BlockReason::PdbAllowsNone,
                message: s("Cannot evict pod as it would violate the pod's disruption budget."),
                retry_after_secs: None,
                waited_ms: 1200,
            },
            RotateEvent::Evicted {
                node: s("ip-1"),
                namespace: s("default"),
                pod: s("nginx-0"),
                attempts: 3,
                took_ms: 4100,
            },
            RotateEvent::Waiting {
                node: s("ip-1"),
                pods: vec![s("default/nginx-1")],
                message: s(
                    "terminating (deletionTimestamp set), waiting for them to be gone (up to --timeout 900s)",
                ),
                waited_ms: 10400,
            },
            RotateEvent::Deleted { node: s("ip-1") },
            RotateEvent::ReplacementReady {
                node: s("ip-1"),
                replacement: s("ip-9"),
                kubelet: s("v1.25.16-eks-3025e55"),
                waited_ms: 3000,
            },
            RotateEvent::Verified {
                node: s("ip-1"),
                workloads: vec![s("deployment/default/nginx")],
                took_ms: 9000,
            },
            RotateEvent::Verified {
                node: s("ip-2"),
                workloads: vec![],
                took_ms: 1000,
            },
            RotateEvent::NodegroupUpdate {
                nodegroup: s("mng-1"),
                update_id: s("u-1"),
                version: s("1.25"),
                nodes: vec![s("ip-3")],
                resumed: false,
            },
            RotateEvent::NodegroupUpdated {
                nodegroup: s("mng-1"),
                update_id: s("u-1"),
                replacements: vec![s("ip-10")],
                took_ms: 61500,
            },
            RotateEvent::Done {
                nodes: 3,
                pods_moved: 4,
                took_ms: 75000,
            },
        ]
    }

    #[test]
    fn progress_lines() {
        let lines: Vec<String> = events().iter().filter_map(event_line).collect();
        insta::assert_snapshot!(lines.join("\n"));
        let failed = RotateEvent::Failed {
            node: None,
            phase: None,
            pod: None,
            pdb: None,
            reason: s("r"),
            resume: s("again"),
        };
        assert_eq!(event_line(&failed), None, "the command prints the reason");
    }

    #[test]
    fn bars_take_every_event_without_a_terminal() {
        // Drawn to a hidden target: no panic on any event, in order or out of it.
        let mut p = Progress::new(true);
        for e in events().iter().rev().chain(events().iter()) {
            p.event(e);
        }
    }

    #[test]
    fn summary_table() {
        let node = |name: &str, new: Option<&str>, action, message: &str| NodeResult {
            name: s(name),
            old_kubelet: s("v1.24.17-eks-a59e1f0"),
            new_kubelet: new.map(s),
            replacement: new.map(|_| s("ip-9")),
            pods_moved: 2,
            took: Duration::from_millis(12_340),
            action,
            message: s(message),
        };
        let out = run_summary(
            &[
                node("ip-1", Some("v1.25.16"), ReplaceAction::DeleteNode, ""),
                node("ip-2", None, ReplaceAction::DeleteNode, ""),
                node(
                    "legacy",
                    None,
                    ReplaceAction::LeaveDrained,
                    "start a node at 1.25 for its pods",
                ),
            ],
            &Style::default(),
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn abort_notes() {
        let n = |uncordon, keep: Option<&str>| AbortNode {
            name: s("ip-1"),
            marker: s("r1/cordoned"),
            uncordon,
            keep_cordon: keep.map(s),
        };
        assert_eq!(undo_note(&n(true, None), false), ", uncordon");
        assert_eq!(undo_note(&n(true, None), true), ", uncordoned");
        assert_eq!(undo_note(&n(false, None), true), "");
        assert_eq!(
            undo_note(&n(true, Some("cordoned by someone else")), true),
            ", left cordoned: cordoned by someone else"
        );
    }
}
