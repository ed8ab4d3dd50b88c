//! `kup rotate --dry-run` output: the plan, batch by batch, then what will stop it.

use comfy_table::{Cell, Color};

use super::{
    Format, Style, colored, finish_table, kubectl_table, markdown_table, plural, to_json, to_yaml,
};
use crate::rotate::{Blocker, PlannedNode, ReplaceAction, RotatePlan};

pub fn render_rotate_plan(plan: &RotatePlan, format: Format, style: &Style) -> String {
    match format {
        // `-o junit` is refused before rotate runs (commands::run).
        Format::Json | Format::Junit => to_json(plan),
        Format::Yaml => to_yaml(plan),
        Format::Table => table(plan, false, style),
        Format::Wide => table(plan, true, style),
        Format::Markdown => markdown(plan),
    }
}

/// `5 nodes to 1.25 in 3 batches of at most 2 (mode replace), 6 pods to evict`.
fn headline(plan: &RotatePlan) -> String {
    let s = &plan.summary;
    let mut out = format!(
        "Rotation plan: {} to {} in {} of at most {} (mode {}), {} to evict",
        plural(s.nodes, "node", "nodes"),
        plan.target.minor_str(),
        plural(s.batches, "batch", "batches"),
        plan.effective_batch,
        plan.options.mode.as_str(),
        plural(s.evictions, "pod", "pods"),
    );
    for g in &plan.node_groups {
        out.push_str(&format!(
            "; managed node group {} ({}) moves with EKS's UpdateNodegroupVersion {} → {}, {} \
             at a time{}",
            g.name,
            plural(g.nodes.len(), "node", "nodes"),
            g.from.as_deref().unwrap_or("?"),
            g.to,
            plural(g.max_unavailable as usize, "node", "nodes"),
            if g.in_progress {
                " (an update is in progress: followed)"
            } else {
                ""
            }
        ));
    }
    for b in &plan.budgets {
        out.push_str(&format!(
            "; nodepool/{}: at most {} a batch (its disruption budgets now)",
            b.node_pool,
            plural(b.allowed, "node", "nodes")
        ));
    }
    if plan.options.ignore_budgets {
        out.push_str("; --ignore-budgets: NodePool disruption budgets not applied");
    }
    if s.resumed > 0 {
        out.push_str(&format!(
            "; {} left by an earlier run continue{} first",
            plural(s.resumed, "node", "nodes"),
            if s.resumed == 1 { "s" } else { "" }
        ));
    }
    out
}

fn action(n: &PlannedNode) -> &'static str {
    match n.replacement.action {
        ReplaceAction::DeleteNode => "delete node",
        ReplaceAction::LeaveDrained => "leave drained",
        ReplaceAction::LeaveCordoned => "leave cordoned",
        ReplaceAction::UpdateNodeGroup => "EKS update",
    }
}

/// Every planned node with its batch label: the batch number, or `EKS` for the nodes a node
/// group update replaces (after the batches).
fn rows(plan: &RotatePlan) -> Vec<(String, &PlannedNode)> {
    let mut out: Vec<(String, &PlannedNode)> = plan
        .batches
        .iter()
        .enumerate()
        .flat_map(|(i, b)| b.nodes.iter().map(move |n| ((i + 1).to_string(), n)))
        .collect();
    out.extend(
        plan.node_groups
            .iter()
            .flat_map(|g| g.nodes.iter().map(|n| ("EKS".to_string(), n))),
    );
    out
}

fn resume(n: &PlannedNode) -> String {
    n.resume
        .as_ref()
        .map(|m| format!("after {}", m.phase))
        .unwrap_or_else(|| "-".to_string())
}

fn blocker_count(n: &PlannedNode) -> String {
    let blocking = n.blockers.iter().filter(|b| b.blocking).count();
    let allowed = n
        .blockers
        .iter()
        .filter(|b| !b.blocking && b.override_flag.is_some())
        .count();
    let waits = n.blockers.len() - blocking - allowed;
    let mut side = Vec::new();
    if allowed > 0 {
        side.push(format!("{allowed} allowed"));
    }
    if waits > 0 {
        side.push(format!("{waits} to wait for"));
    }
    match (blocking, side.is_empty()) {
        (0, true) => "-".to_string(),
        (b, true) => b.to_string(),
        (0, false) => format!("({})", side.join(", ")),
        (b, false) => format!("{b} ({})", side.join(", ")),
    }
}

/// The REASON cell: the reason, and why it does not stop the run when it does not.
fn reason_label(b: &Blocker) -> String {
    if b.blocking {
        b.reason.to_string()
    } else if b.override_flag.is_some() {
        format!("{} (allowed)", b.reason)
    } else {
        format!("{} (waits)", b.reason)
    }
}

/// The node's notes, then what happens to it when kup does not delete it.
fn node_notes(n: &PlannedNode) -> Vec<String> {
    let mut notes = n.notes.clone();
    // Node-group nodes: the headline says it once for the group.
    if !matches!(
        n.replacement.action,
        ReplaceAction::DeleteNode | ReplaceAction::UpdateNodeGroup
    ) {
        notes.push(n.replacement.message.clone());
    }
    notes
}

fn pods_of(b: &Blocker) -> String {
    b.pods
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict_line(plan: &RotatePlan) -> String {
    let s = &plan.summary;
    match (s.blocking, s.allowed) {
        (0, _) if s.waits > 0 => format!(
            "No blocker stops this rotation; {} a PodDisruptionBudget allowing no disruption \
             now: its evictions are retried until --drain-timeout.",
            if s.waits == 1 {
                "1 waits for"
            } else {
                "some wait for"
            }
        ),
        (0, 0) => "No blockers predicted.".to_string(),
        (0, a) => format!(
            "No blockers predicted ({} allowed by the flags given).",
            plural(a, "pod", "pods")
        ),
        (b, _) => format!(
            "{} will stop this rotation: fix {} (or pass the flag a blocker names), then \
             plan again.",
            plural(b, "blocker", "blockers"),
            if b == 1 { "it" } else { "them" }
        ),
    }
}

fn table(plan: &RotatePlan, wide: bool, style: &Style) -> String {
    let mut out = headline(plan);
    out.push_str("\n\n");
    if plan.summary.nodes == 0 {
        out.push_str(&format!(
            "No node to rotate: {} at {} already.\n",
            plural(plan.summary.up_to_date, "node is", "nodes are"),
            plan.target.minor_str()
        ));
    } else {
        let mut t = kubectl_table(style);
        let mut header = vec![
            "BATCH", "NODE", "POOL", "KUBELET", "RESUME", "PODS", "THEN", "BLOCKERS",
        ];
        if wide {
            header.push("NOTES");
        }
        t.set_header(header);
        for (batch, n) in rows(plan) {
            {
                let blocking = n.blockers.iter().any(|b| b.blocking);
                let mut cells = vec![
                    Cell::new(batch),
                    Cell::new(&n.name),
                    Cell::new(n.pool.to_string()),
                    Cell::new(&n.kubelet),
                    Cell::new(resume(n)),
                    Cell::new(n.pods.len()),
                    Cell::new(action(n)),
                    colored(blocker_count(n), blocking.then_some(Color::Red), style),
                ];
                if wide {
                    cells.push(Cell::new(node_notes(n).join("; ")));
                }
                t.add_row(cells);
            }
        }
        // BATCH, NODE, KUBELET, PODS stay whole.
        out.push_str(&finish_table(&mut t, &[0, 1, 3, 5]));
    }
    let blockers: Vec<&Blocker> = plan.blockers().collect();
    if !blockers.is_empty() {
        out.push_str("\nPredicted blockers:\n");
        let mut t = kubectl_table(style);
        t.set_header(vec!["NODE", "REASON", "PODS", "WHY"]);
        for b in &blockers {
            let color = if b.blocking {
                Color::Red
            } else {
                Color::Yellow
            };
            let (label, color) = (reason_label(b), Some(color));
            t.add_row(vec![
                Cell::new(&b.node),
                colored(label, color, style),
                Cell::new(pods_of(b)),
                Cell::new(&b.message),
            ]);
        }
        out.push_str(&finish_table(&mut t, &[0, 1]));
    }
    // Without --wide, notes and what the user must do for nodes kup does not replace are
    // still said, once per line.
    if !wide {
        let lines: Vec<String> = plan
            .nodes()
            .flat_map(|n| {
                node_notes(n)
                    .into_iter()
                    .map(move |note| format!("  {}: {note}\n", n.name))
            })
            .collect();
        if !lines.is_empty() {
            out.push_str("\nNotes:\n");
            out.push_str(&lines.concat());
        }
    }
    if !plan.skipped.is_empty() {
        out.push_str("\nSkipped:\n");
        let mut t = kubectl_table(style);
        t.set_header(vec!["NODE", "REASON"]);
        for s in &plan.skipped {
            t.add_row(vec![Cell::new(&s.name), Cell::new(&s.reason)]);
        }
        out.push_str(&finish_table(&mut t, &[0]));
    }
    out.push('\n');
    out.push_str(&verdict_line(plan));
    out.push('\n');
    out
}

fn markdown(plan: &RotatePlan) -> String {
    let mut out = format!("**kup rotate** · {}\n\n", headline(plan));
    if plan.summary.nodes > 0 {
        let rows: Vec<Vec<String>> = rows(plan)
            .into_iter()
            .map(|(batch, n)| {
                vec![
                    batch,
                    format!("`{}`", n.name),
                    n.pool.to_string(),
                    n.kubelet.clone(),
                    resume(n),
                    n.pods.len().to_string(),
                    n.replacement.message.clone(),
                    blocker_count(n),
                ]
            })
            .collect();
        out.push_str(&markdown_table(
            &[
                "Batch", "Node", "Pool", "Kubelet", "Resume", "Pods", "Then", "Blockers",
            ],
            &rows,
        ));
    }
    let rows: Vec<Vec<String>> = plan
        .blockers()
        .map(|b| {
            vec![
                format!("`{}`", b.node),
                match reason_label(b).split_once(' ') {
                    Some((reason, why)) => format!("`{reason}` {why}"),
                    None => format!("`{}`", b.reason),
                },
                pods_of(b),
                b.message.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("\n**Predicted blockers**\n\n");
        out.push_str(&markdown_table(&["Node", "Reason", "Pods", "Why"], &rows));
    }
    if !plan.skipped.is_empty() {
        let rows: Vec<Vec<String>> = plan
            .skipped
            .iter()
            .map(|s| vec![format!("`{}`", s.name), s.reason.clone()])
            .collect();
        out.push_str("\n**Skipped**\n\n");
        out.push_str(&markdown_table(&["Node", "Reason"], &rows));
    }
    out.push('\n');
    out.push_str(&verdict_line(plan));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Selector;
    use crate::rotate::plan::tests::cluster;
    use crate::rotate::{MaxUnavailable, PlanOptions, plan};
    use crate::version::Version;

    fn plain() -> Style {
        Style::default()
    }

    fn workshop_plan(opts: &PlanOptions, blocking_pdb: bool) -> RotatePlan {
        let mut s = cluster();
        if blocking_pdb {
            s.pdbs.push(crate::model::Pdb {
                namespace: "default".into(),
                name: "nginx".into(),
                selector: Some(Selector {
                    match_labels: [("app".to_string(), "nginx".to_string())].into(),
                    match_expressions: Vec::new(),
                }),
                min_available: Some("3".into()),
                max_unavailable: None,
                disruptions_allowed: 0,
                current_healthy: 3,
                desired_healthy: 3,
                expected_pods: 3,
            });
        }
        match plan(&s, &Version::new(1, 25, None), opts) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    fn batch2() -> PlanOptions {
        PlanOptions {
            batch: 2,
            ..PlanOptions::default()
        }
    }

    #[test]
    fn plan_table() {
        let out = render_rotate_plan(&workshop_plan(&batch2(), false), Format::Table, &plain());
        assert!(out.contains("No blockers predicted."));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn plan_table_with_blockers() {
        let out = render_rotate_plan(&workshop_plan(&batch2(), true), Format::Table, &plain());
        // A PDB allowing no disruption now is waited for, not a stop: the plan says what the
        // executor does (it used to say "2 blockers will stop this rotation").
        assert!(out.contains("No blocker stops this rotation"), "{out}");
        assert!(out.contains("pdb-allows-none (waits)"), "{out}");
        assert!(out.contains("(1 to wait for)"), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn plan_wide() {
        let opts = PlanOptions {
            max_unavailable: Some(MaxUnavailable::Count(1)),
            ..batch2()
        };
        insta::assert_snapshot!(render_rotate_plan(
            &workshop_plan(&opts, false),
            Format::Wide,
            &plain()
        ));
    }

    #[test]
    fn plan_markdown() {
        insta::assert_snapshot!(render_rotate_plan(
            &workshop_plan(&batch2(), true),
            Format::Markdown,
            &plain()
        ));
    }

    #[test]
    fn plan_json_and_yaml_are_the_document() {
        let p = workshop_plan(&batch2(), true);
        let json = render_rotate_plan(&p, Format::Json, &plain());
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(v["kind"], "RotatePlan");
        assert_eq!(v, serde_json::to_value(&p).unwrap_or_default());
        let yaml = render_rotate_plan(&p, Format::Yaml, &plain());
        assert!(
            yaml.starts_with("apiVersion: kup/v1\nkind: RotatePlan\n"),
            "{yaml}"
        );
        assert!(yaml.contains("reason: pdb-allows-none"));
    }

    #[test]
    fn nothing_to_rotate() {
        let opts = PlanOptions {
            pool: "nodepool/default".parse().ok(),
            ..PlanOptions::default()
        };
        let out = render_rotate_plan(&workshop_plan(&opts, false), Format::Table, &plain());
        assert!(
            out.contains("No node to rotate: 1 node is at 1.25 already."),
            "{out}"
        );
    }

    #[test]
    fn resumed_and_skipped_nodes() {
        let mut s = cluster();
        for (name, marker) in [
            ("ip-192-168-45-67.us-west-2.compute.internal", "r7/drained"),
            ("legacy-worker-1", "r7/verified"),
        ] {
            if let Some(n) = s.nodes.iter_mut().find(|n| n.name == name) {
                n.kup_annotations
                    .insert(crate::rotate::ROTATION_ANNOTATION.into(), marker.into());
            }
        }
        let opts = PlanOptions {
            force: true,
            ..batch2()
        };
        let p = match plan(&s, &Version::new(1, 25, None), &opts) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let out = render_rotate_plan(&p, Format::Table, &plain());
        assert!(
            out.contains("1 node left by an earlier run continues first"),
            "{out}"
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn narrow_terminals_wrap_without_panicking() {
        let p = workshop_plan(&batch2(), true);
        for width in [0, 10, 40, 80] {
            let style = Style {
                color: false,
                width: Some(width),
            };
            let out = render_rotate_plan(&p, Format::Table, &style);
            assert!(out.contains("legacy-worker-1"), "{width}: {out}");
        }
    }

    #[test]
    fn colour_only_when_asked() {
        let p = workshop_plan(&batch2(), true);
        assert!(!render_rotate_plan(&p, Format::Table, &plain()).contains('\u{1b}'));
        let color = Style {
            color: true,
            width: None,
        };
        assert!(render_rotate_plan(&p, Format::Table, &color).contains('\u{1b}'));
    }
}
