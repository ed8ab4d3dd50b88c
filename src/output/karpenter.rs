//! Karpenter's lines in `kup check` and `kup drift`: the controller against the target, and
//! for each NodePool how its nodes move, the budget now, progress and the estimate.

use crate::checks::karpenter::{Moves, PoolMovement};
use crate::report::KarpenterSection;

/// `1.4.0 in kube-system (supports Kubernetes 1.25–1.32, not 1.33)`.
pub(crate) fn controller_line(k: &KarpenterSection, target: &str) -> String {
    let Some(c) = &k.controller else {
        return "controller not found (no Deployment labelled app.kubernetes.io/name=karpenter)"
            .into();
    };
    let version = c.version.as_deref().unwrap_or("unknown version");
    let place = format!("deployment/{}/{}", c.namespace, c.name);
    // `1.33.0` -> `1.33`: the matrix speaks in minors.
    let minor = target.split('.').take(2).collect::<Vec<_>>().join(".");
    let minor = minor.as_str();
    match &k.supports {
        Some(s) => {
            let ok = minor_le(&s.min, minor) && minor_le(minor, &s.max);
            let verdict = if ok {
                format!("supports {minor}")
            } else {
                format!("does not support {minor}")
            };
            format!(
                "{version} ({place}; Kubernetes {}–{}: {verdict})",
                s.min, s.max
            )
        }
        None => format!("{version} ({place}; not in kup's compatibility table)"),
    }
}

fn minor_le(a: &str, b: &str) -> bool {
    let parse = |s: &str| -> (u32, u32) {
        let mut p = s.split('.').map(|x| x.parse().unwrap_or(0));
        (p.next().unwrap_or(0), p.next().unwrap_or(0))
    };
    parse(a) <= parse(b)
}

/// One line per NodePool.
pub(crate) fn pool_line(m: &PoolMovement, target: &str) -> String {
    let mut parts = vec![format!("nodepool/{}: {}", m.node_pool, m.summary)];
    parts.push(format!(
        "{} of {} nodes behind {}, {} drifted, {} being replaced",
        m.behind, m.nodes, target, m.drifted, m.being_replaced
    ));
    let b = &m.budget;
    let mut budget = match (b.allowed, b.never, b.errors.is_empty()) {
        (_, _, false) => "budget: invalid, Karpenter disrupts nothing".to_string(),
        (_, true, _) => "budget: never allows Drifted".to_string(),
        (None, ..) => "budget now: no limit".to_string(),
        (Some(n), ..) => format!("budget now: {n} at a time"),
    };
    if let Some(t) = b.next_change {
        budget.push_str(&format!(
            " (changes at {})",
            t.strftime("%Y-%m-%d %H:%M UTC")
        ));
    }
    parts.push(budget);
    match (m.moves, m.eta_minutes) {
        (_, Some(0)) if m.behind == 0 => {}
        (Moves::KarpenterDrifts | Moves::IfReleaseExists, Some(min)) => {
            parts.push(format!("estimate: ~{min} min"))
        }
        _ => {}
    }
    if !m.held.is_empty() {
        let by: Vec<String> = m
            .held
            .iter()
            .map(|h| format!("{} on {}", h.by, h.node))
            .collect();
        parts.push(format!("held by {}", by.join(", ")));
    }
    parts.join("; ")
}

/// `kup rotate --mode karpenter`: one progress line (human) or event (JSON) per change.
pub fn follow_progress(st: &crate::checks::karpenter::FollowStatus, json: bool) -> String {
    if json {
        let pools: Vec<serde_json::Value> = st
            .pools
            .iter()
            .map(|m| {
                serde_json::json!({
                    "nodePool": m.node_pool, "nodes": m.nodes, "behind": m.behind,
                    "drifted": m.drifted, "beingReplaced": m.being_replaced,
                    "allowed": m.budget.allowed, "nextChange": m.budget.next_change,
                    "etaMinutes": m.eta_minutes,
                })
            })
            .collect();
        let ev = serde_json::json!({
            "event": "karpenter-progress", "behind": st.behind, "pools": pools,
            "blockedBy": st.blocked_by, "unready": st.unready,
        });
        return format!("{ev}\n");
    }
    let mut out = String::new();
    for m in &st.pools {
        let budget = match m.budget.allowed {
            None => "no budget limit".to_string(),
            Some(n) => format!("budget now {n}"),
        };
        let eta = m
            .eta_minutes
            .filter(|e| *e > 0)
            .map(|e| format!("; estimate ~{e} min"))
            .unwrap_or_default();
        out.push_str(&format!(
            "nodepool/{}: {} of {} behind, {} drifted, {} being replaced; {budget}{eta}\n",
            m.node_pool, m.behind, m.nodes, m.drifted, m.being_replaced
        ));
    }
    for b in &st.blocked_by {
        out.push_str(&format!("  held: {b}\n"));
    }
    if !st.unready.is_empty() {
        out.push_str(&format!("  waiting for: {}\n", st.unready.join(", ")));
    }
    out
}

/// The last line: every node current (exit 0), or why it stopped (`stopped`: the `--timeout`
/// passed, or nothing can move the rest; exit 4) and what blocks.
pub fn follow_end(
    st: &crate::checks::karpenter::FollowStatus,
    json: bool,
    took_ms: u128,
    stopped: Option<&str>,
) -> String {
    match (stopped, json) {
        (None, true) => format!(
            "{}\n",
            serde_json::json!({"event": "done", "mode": "karpenter", "tookMs": took_ms})
        ),
        (None, false) => format!(
            "Done: every selected node is at the target and its workloads are Ready ({:.1}s).\n",
            took_ms as f64 / 1000.0
        ),
        (Some(t), json) => {
            let mut why: Vec<String> = st.blocked_by.clone();
            if !st.behind.is_empty() {
                why.push(format!("still behind: {}", st.behind.join(", ")));
            }
            if !st.unready.is_empty() {
                why.push(format!("not Ready: {}", st.unready.join(", ")));
            }
            let reason = format!("{t}: {}", why.join("; "));
            if json {
                format!(
                    "{}\n",
                    serde_json::json!({"event": "failed", "mode": "karpenter", "reason": reason,
                        "blockedBy": st.blocked_by, "behind": st.behind})
                )
            } else {
                format!("kup rotate stopped: {reason}\n")
            }
        }
    }
}

/// `al2023@v20250505 (ec2nodeclass/x) at 1.33: no AMI ...`: one alias as SSM resolved it.
pub(crate) fn alias_line(a: &crate::karpenter::alias::AliasCheck) -> String {
    use crate::karpenter::alias::AliasOutcome;
    let what = match &a.outcome {
        AliasOutcome::Found { image_ids } => format!("{} (SSM)", image_ids.join(", ")),
        AliasOutcome::Missing => {
            "no AMI (SSM): Karpenter cannot launch nodes after the upgrade".to_string()
        }
        AliasOutcome::NotConfirmed { reason } => format!("not confirmed: {reason}"),
    };
    format!(
        "{} (ec2nodeclass/{}) at {}: {what}",
        a.alias, a.node_class, a.kubernetes
    )
}
