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
