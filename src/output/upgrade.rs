//! `kup upgrade`'s plan: a text summary (the table formats), a runbook (`-o markdown`: hops,
//! gates with their fixes, the commands kup will run, the manual steps), YAML; and the
//! progress lines of a run.

use super::{Format, Style, markdown_escape, to_yaml};
use crate::checks::{Finding, Severity};
use crate::upgrade::{NodesBy, UpgradeEvent, UpgradePlan};

pub fn render_upgrade_plan(plan: &UpgradePlan, format: Format, _style: &Style) -> String {
    match format {
        Format::Markdown => runbook(plan),
        Format::Yaml => to_yaml(plan),
        // -o junit is refused for upgrade before it runs (commands::run_async).
        Format::Json | Format::Junit => UpgradeEvent::Plan {
            run_id: String::new(),
            plan: plan.clone(),
        }
        .to_json_line(),
        Format::Table | Format::Wide => text(plan),
    }
}

fn count(findings: &[Finding], s: Severity) -> usize {
    findings.iter().filter(|f| f.severity == s).count()
}

fn by_word(by: NodesBy) -> &'static str {
    match by {
        NodesBy::Karpenter => "Karpenter drifts them",
        NodesBy::Kup => "kup rotates them",
        NodesBy::Manual => "nobody: a manual step",
    }
}

fn nodes(n: usize) -> String {
    format!("{n} node{}", if n == 1 { "" } else { "s" })
}

fn text(plan: &UpgradePlan) -> String {
    let mut out = format!(
        "Upgrade {}from {} to {}: {} hop{}, about {} min (estimate)\n",
        plan.cluster
            .as_ref()
            .map(|c| format!("{c} "))
            .unwrap_or_default(),
        plan.from,
        plan.to,
        plan.hops.len(),
        if plan.hops.len() == 1 { "" } else { "s" },
        plan.estimate_minutes
    );
    if plan.catch_up > 0 {
        out.push_str(&format!(
            "First: {} node{} behind the control plane move to its version\n",
            plan.catch_up,
            if plan.catch_up == 1 { "" } else { "s" }
        ));
    }
    for h in &plan.hops {
        let gate = if h.blocked { "BLOCKED" } else { "passes" };
        out.push_str(&format!(
            "\nHop {}{}: gate {gate} ({} errors, {} warnings), about {} min\n",
            h.version,
            if h.predicted { " (predicted)" } else { "" },
            count(&h.gate, Severity::Error),
            count(&h.gate, Severity::Warning),
            h.estimate_minutes
        ));
        out.push_str(&format!("  control plane -> {}\n", h.version));
        for a in &h.addons {
            out.push_str(&format!("  add-on {} {} -> {}\n", a.addon, a.from, a.to));
        }
        for g in &h.node_groups {
            out.push_str(&format!(
                "  node group {} ({}) {} -> {} with UpdateNodegroupVersion, {} at a time\n",
                g.name,
                nodes(g.nodes),
                g.from.as_deref().unwrap_or("?"),
                h.version,
                g.max_unavailable
            ));
        }
        for p in &h.pools {
            let how = match p.by {
                NodesBy::Karpenter => p.summary.clone(),
                by => format!("{} ({})", by_word(by), p.summary),
            };
            out.push_str(&format!("  {} ({}): {how}\n", p.pool, nodes(p.nodes)));
        }
        for m in &h.manual {
            out.push_str(&format!("  ! {m}\n"));
        }
    }
    out
}

fn runbook(plan: &UpgradePlan) -> String {
    let cluster = plan.cluster.as_deref().unwrap_or("the cluster");
    let mut out = format!(
        "# Upgrade {} from {} to {}\n\n{} hop{} (one minor at a time, as EKS allows), about {} minutes \
         (an estimate). Run it with `kup upgrade --to {} --yes`; it stops before any write of a hop \
         whose gate fails, and continues where it stopped when run again.\n",
        markdown_escape(cluster),
        plan.from,
        plan.to,
        plan.hops.len(),
        if plan.hops.len() == 1 { "" } else { "s" },
        plan.estimate_minutes,
        plan.to
    );
    if plan.catch_up > 0 {
        out.push_str(&format!(
            "\nBefore the first hop, {} node(s) behind the control plane move to its version.\n",
            plan.catch_up
        ));
    }
    for (i, h) in plan.hops.iter().enumerate() {
        out.push_str(&format!(
            "\n## Hop {}: {}\n\nEstimated {} minutes.\n\n### Gate: `kup check --target {}`{}\n\n",
            i + 1,
            h.version,
            h.estimate_minutes,
            h.version,
            if h.predicted {
                " (predicted from today's cluster; judged again when the hop starts)"
            } else {
                ""
            }
        ));
        if h.gate.is_empty() {
            out.push_str("No finding.\n");
        } else {
            out.push_str("| severity | code | subject | message | fix |\n|---|---|---|---|---|\n");
            for f in &h.gate {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    f.severity.as_str(),
                    f.code,
                    markdown_escape(&f.subject),
                    markdown_escape(&f.message),
                    markdown_escape(&f.remedy).replace('\n', " ")
                ));
            }
        }
        out.push_str(&format!(
            "\n**Gate: {}**\n\n### What kup runs\n\n",
            if h.blocked { "blocked" } else { "passes" }
        ));
        out.push_str("```sh\n");
        for c in &h.commands {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str("```\n\n");
        if !h.addons.is_empty() {
            out.push_str("### EKS add-ons\n\n| add-on | from | to |\n|---|---|---|\n");
            for a in &h.addons {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    markdown_escape(&a.addon),
                    a.from,
                    a.to
                ));
            }
            out.push('\n');
        }
        out.push_str("### Nodes\n\n| pool | nodes | moved by | how |\n|---|---|---|---|\n");
        for g in &h.node_groups {
            out.push_str(&format!(
                "| nodegroup/{} | {} | EKS (UpdateNodegroupVersion {} → {}) | {} at a time |\n",
                markdown_escape(&g.name),
                g.nodes,
                g.from.as_deref().unwrap_or("?"),
                h.version,
                g.max_unavailable
            ));
        }
        for p in &h.pools {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                markdown_escape(&p.pool),
                p.nodes,
                by_word(p.by),
                markdown_escape(&p.summary)
            ));
        }
        out.push_str("\n### Manual steps\n\n");
        if h.manual.is_empty() {
            out.push_str("None.\n");
        }
        for m in &h.manual {
            out.push_str(&format!("- [ ] {}\n", markdown_escape(m)));
        }
        out.push_str(&format!(
            "\n### Verify\n\nEvery node at {}, every workload available as before, no PodDisruptionBudget broken (kup checks it).\n",
            h.version
        ));
    }
    out
}

/// The table at the end of a run: one row per hop it worked on (empty when none).
pub fn upgrade_summary(events: &[UpgradeEvent]) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    for e in events {
        let hop = match e {
            UpgradeEvent::HopStarted { hop, .. } => hop,
            _ => continue,
        };
        let of = |f: &dyn Fn(&UpgradeEvent) -> bool| events.iter().filter(|e| f(e)).count();
        let update = events
            .iter()
            .find_map(|e| match e {
                UpgradeEvent::ClusterUpdate {
                    hop: h, update_id, ..
                } if h == hop => Some(update_id.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "-".into());
        let addons = of(
            &|e| matches!(e, UpgradeEvent::AddonUpdate { hop: h, status, .. } if h == hop && status == "Successful"),
        );
        let done = events.iter().find_map(|e| match e {
            UpgradeEvent::HopDone {
                hop: h,
                nodes,
                took_ms,
            } if h == hop => Some((*nodes, *took_ms)),
            _ => None,
        });
        let (nodes, result) = match done {
            Some((n, ms)) => (n.to_string(), format!("done in {}s", ms / 1000)),
            None => ("-".into(), "stopped".into()),
        };
        rows.push([hop.clone(), update, addons.to_string(), nodes, result]);
    }
    if rows.is_empty() {
        return String::new();
    }
    let head = [
        "HOP",
        "CONTROL PLANE UPDATE",
        "ADD-ONS MOVED",
        "NODES AT HOP",
        "RESULT",
    ];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].len())
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let line = |cells: [&str; 5]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 4 {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}   ", w = widths[i]));
            }
        }
        l.push('\n');
        l
    };
    let mut out = String::from("\n");
    out.push_str(&line(head));
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    out
}

/// The human line for one upgrade event (stderr), or None for the ones that say nothing new.
pub fn upgrade_line(e: &UpgradeEvent) -> Option<String> {
    Some(match e {
        UpgradeEvent::Plan { .. } => return None,
        UpgradeEvent::HopStarted { hop, resumed } => format!(
            "hop {hop}: {}",
            if *resumed { "continuing" } else { "starting" }
        ),
        UpgradeEvent::Gate {
            hop,
            passed,
            blockers,
            errors,
            warnings,
        } => {
            let mut s = format!(
                "hop {hop}: gate {} ({errors} errors, {warnings} warnings)",
                if *passed { "passed" } else { "failed" }
            );
            for f in blockers {
                s.push_str(&format!("\n  {} {}: {}", f.code, f.subject, f.message));
            }
            s
        }
        UpgradeEvent::ClusterUpdate {
            hop,
            update_id,
            status,
            resumed,
        } => format!(
            "hop {hop}: control plane update {update_id} {status}{}",
            if *resumed {
                " (started by an earlier run)"
            } else {
                ""
            }
        ),
        UpgradeEvent::AddonUpdate {
            hop,
            addon,
            from,
            to,
            status,
        } => format!(
            "hop {hop}: add-on {addon} {} -> {to} {status}",
            from.as_deref().unwrap_or("?")
        ),
        UpgradeEvent::KarpenterDrift {
            hop,
            behind,
            drifted,
            being_replaced,
        } => format!(
            "hop {hop}: Karpenter: {behind} nodes behind, {drifted} drifted, {being_replaced} being replaced"
        ),
        UpgradeEvent::HopDone {
            hop,
            nodes,
            took_ms,
        } => format!(
            "hop {hop}: done, {nodes} nodes at {hop} ({}s)",
            took_ms / 1000
        ),
        UpgradeEvent::Done {
            version,
            hops,
            took_ms,
        } => format!(
            "upgrade done: the cluster is at {version} ({hops} hops, {}s)",
            took_ms / 1000
        ),
        UpgradeEvent::Failed {
            hop, step, reason, ..
        } => format!(
            "upgrade stopped{} at {step}: {reason}",
            hop.as_ref()
                .map(|h| format!(" in hop {h}"))
                .unwrap_or_default()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::{workshop, workshop_eks};
    use crate::checks::{Config, FailOn};
    use crate::eks::EksSection;
    use crate::upgrade::{AddonsMode, NodesMode, UpgradeOptions, plan};
    use crate::version::Version;

    fn workshop_plan() -> UpgradePlan {
        let mut s = workshop();
        s.eks = EksSection::Read(Box::new(workshop_eks()));
        let opts = UpgradeOptions {
            to: Version::parse("1.27").unwrap_or_else(|e| panic!("{e}")),
            fail_on: FailOn::Error,
            nodes: NodesMode::Auto,
            addons: AddonsMode::Default,
            batch: 1,
        };
        plan(&s, &Config::default(), &opts, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn upgrade_plan_text() {
        insta::assert_snapshot!(render_upgrade_plan(
            &workshop_plan(),
            Format::Table,
            &Style::default()
        ));
    }

    #[test]
    fn upgrade_runbook() {
        let out = render_upgrade_plan(&workshop_plan(), Format::Markdown, &Style::default());
        // The blocked first hop names its blocker with the fix, as a box to tick.
        assert!(out.contains("**Gate: blocked**"), "{out}");
        assert!(
            out.contains("- [ ] KUP-SKEW-002 node/legacy-worker-1"),
            "{out}"
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn upgrade_summary_has_a_row_per_hop() {
        let ev = vec![
            UpgradeEvent::HopStarted {
                hop: "1.26".into(),
                resumed: false,
            },
            UpgradeEvent::ClusterUpdate {
                hop: "1.26".into(),
                update_id: "u-1".into(),
                status: "Successful".into(),
                resumed: false,
            },
            UpgradeEvent::AddonUpdate {
                hop: "1.26".into(),
                addon: "kube-proxy".into(),
                from: Some("v1.25.0-eksbuild.2".into()),
                to: "v1.26.0-eksbuild.2".into(),
                status: "Successful".into(),
            },
            UpgradeEvent::HopDone {
                hop: "1.26".into(),
                nodes: 3,
                took_ms: 61_000,
            },
            UpgradeEvent::HopStarted {
                hop: "1.27".into(),
                resumed: false,
            },
        ];
        insta::assert_snapshot!(upgrade_summary(&ev));
        assert_eq!(upgrade_summary(&[]), "");
    }

    #[test]
    fn upgrade_plan_json() {
        let line = render_upgrade_plan(&workshop_plan(), Format::Json, &Style::default());
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(v["event"], "plan");
        insta::assert_json_snapshot!(v);
    }
}
