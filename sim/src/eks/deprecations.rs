//! The "Deprecated APIs removed in Kubernetes vNEXT" insight, as EKS computes it from the API
//! server's audit logs: one `deprecationDetails` entry per deprecated API removed in the next
//! minor that a client called in the last 30 days, with `clientStats` (who, how often, when
//! last). The scenario's `apiserver.deprecatedApiRequests` are those calls.

use crate::state::SimState;
use serde_json::{Value, json};

/// The insight for `next` (`1.26`), `ts` its refresh time (epoch seconds).
pub fn insight(st: &SimState, next: &str, id: String, ts: f64) -> Value {
    let details: Vec<Value> = st
        .cluster
        .apiserver
        .deprecated_api_requests
        .iter()
        .filter(|r| r.removed_release == next && !r.clients.is_empty())
        .map(|r| {
            let clients: Vec<Value> = r
                .clients
                .iter()
                .map(|c| {
                    let last = c
                        .last_request
                        .parse::<jiff::Timestamp>()
                        .map(super::epoch)
                        .unwrap_or(ts);
                    json!({
                        "userAgent": c.user_agent,
                        "numberOfRequestsLast30Days": c.requests,
                        "lastRequestTime": last,
                    })
                })
                .collect();
            json!({
                "usage": r.usage(),
                "replacedWith": r.replaced_with,
                "stopServingVersion": r.removed_release,
                "startServingReplacementVersion": r.start_serving_replacement_version,
                "clientStats": clients,
            })
        })
        .collect();
    let (status, reason) = if details.is_empty() {
        (
            "PASSING",
            "No deprecated API usage detected within the last 30 days.".to_string(),
        )
    } else {
        ("ERROR", "Deprecated API usage detected within the last 30 days and your cluster is on the version before these APIs are removed.".to_string())
    };
    let name = format!("Deprecated APIs removed in Kubernetes v{next}");
    json!({
        "id": id,
        "name": name,
        "category": "UPGRADE_READINESS",
        "kubernetesVersion": next,
        "lastRefreshTime": ts,
        "lastTransitionTime": ts,
        "description": format!("Checks for usage of deprecated APIs that are scheduled for removal in Kubernetes v{next}. Upgrading your cluster before migrating to the updated APIs supported by v{next} could cause application impact."),
        "insightStatus": {"status": status, "reason": reason},
        "recommendation": format!("Update manifests and API clients to use newer Kubernetes APIs if applicable before upgrading to Kubernetes v{next}."),
        "additionalInfo": {"Kubernetes API deprecation guide": "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"},
        "resources": [],
        "categorySpecificSummary": {"deprecationDetails": details},
    })
}
