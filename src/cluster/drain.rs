//! The writes `kup rotate` makes, and the reads it polls while waiting: cordon/uncordon with the
//! rotation marker, policy/v1 evictions, pod and node lookups, node deletion. The run's Lease
//! (one rotation at a time) lives in `lease`.
//!
//! Node patches are JSON merge patches (idempotent), so they go through the same bounded retry
//! as reads. Evictions are single calls whose outcome the executor interprets: a 429 is a PDB
//! (or the server) saying "not now", retried by the caller until its own `--drain-timeout`.

use super::convert;
use super::retry::{Call, to_cluster_error, with_retry};
use super::{ClusterError, Connection};
use crate::model::{Node as NodeModel, Pod as PodModel, WorkloadKind};
use crate::model::{ROTATION_ANNOTATION, WORKLOADS_ANNOTATION};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use std::time::Duration;

// Declared here rather than in `cluster/mod.rs` so the rotate work stays in its own files.
#[path = "lease.rs"]
pub mod lease;

/// The answer to one eviction call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// 201: the pod is being deleted.
    Accepted,
    /// 404: the pod is already gone; or 409 on the UID precondition: a same-named successor
    /// stands there, so the pod that was meant is gone.
    Gone,
    /// Not now (429: a PDB or the server), or not like this (500 for two PDBs): retry later.
    Refused {
        code: u16,
        message: String,
        /// `NS/NAME` of the PDB the server named, if any.
        pdb: Option<String>,
        /// The server's Retry-After.
        retry_after: Option<u64>,
    },
}

/// Cordons `node` and records `marker` in the same merge patch, so a node is never cordoned by
/// kup without saying by which run.
pub async fn cordon(
    conn: &Connection,
    node: &str,
    marker: &str,
    workloads: &str,
) -> Result<(), ClusterError> {
    patch_node(
        conn,
        node,
        json!({
            "metadata": {"annotations": {ROTATION_ANNOTATION: marker, WORKLOADS_ANNOTATION: workloads}},
            "spec": {"unschedulable": true}
        }),
    )
    .await
}

/// Replaces the rotation marker of `node`.
pub async fn set_marker(conn: &Connection, node: &str, marker: &str) -> Result<(), ClusterError> {
    patch_node(
        conn,
        node,
        json!({"metadata": {"annotations": {ROTATION_ANNOTATION: marker}}}),
    )
    .await
}

/// Replaces the list of workloads a rotation moves off `node` (`kup.dev/rotation-workloads`).
pub async fn record_workloads(
    conn: &Connection,
    node: &str,
    workloads: &str,
) -> Result<(), ClusterError> {
    patch_node(
        conn,
        node,
        json!({"metadata": {"annotations": {WORKLOADS_ANNOTATION: workloads}}}),
    )
    .await
}

/// Removes the rotation marker, and uncordons when `uncordon` (for `--abort`).
pub async fn unmark(conn: &Connection, node: &str, uncordon: bool) -> Result<(), ClusterError> {
    let mut body = json!({"metadata": {"annotations": {ROTATION_ANNOTATION: null, WORKLOADS_ANNOTATION: null}}});
    if uncordon {
        body["spec"] = json!({"unschedulable": null});
    }
    patch_node(conn, node, body).await
}

async fn patch_node(conn: &Connection, node: &str, body: Value) -> Result<(), ClusterError> {
    let api: Api<Node> = Api::all(conn.client.clone());
    let params = PatchParams::default();
    let patch = Patch::Merge(&body);
    with_retry(
        conn,
        Call {
            verb: "patch",
            resource: "nodes",
        },
        || api.patch(node, &params, &patch),
    )
    .await
    .map(|_| ())
    .or_else(|e| match e {
        // The node is gone (Karpenter's drift or EKS removed it meanwhile): nothing is left
        // to cordon or mark, and its pods left with it.
        ClusterError::Api { code: 404, .. } => Ok(()),
        e => Err(e),
    })
}

/// The policy/v1 Eviction for pod `ns/name` with UID `uid` (empty: no precondition).
fn eviction_body(ns: &str, name: &str, uid: &str, grace_period: Option<i64>) -> Value {
    let mut body = json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": name, "namespace": ns},
    });
    let mut options = serde_json::Map::new();
    if !uid.is_empty() {
        options.insert("preconditions".into(), json!({"uid": uid}));
    }
    if let Some(g) = grace_period {
        options.insert("gracePeriodSeconds".into(), json!(g));
    }
    if !options.is_empty() {
        body["deleteOptions"] = Value::Object(options);
    }
    body
}

/// Posts a policy/v1 Eviction for the pod whose UID is `uid`. The body is written out here
/// rather than through `Api::evict`, which serialises `delete_options` in snake case: the API
/// server would drop it, and with it `--grace-period` and the UID precondition.
pub async fn evict(
    conn: &Connection,
    ns: &str,
    name: &str,
    uid: &str,
    grace_period: Option<i64>,
) -> Result<Eviction, ClusterError> {
    let api: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    let body = eviction_body(ns, name, uid, grace_period);
    let call = Call {
        verb: "create",
        resource: "pods/eviction",
    };
    let result = match conn.request_timeout {
        Some(limit) => {
            match tokio::time::timeout(
                limit + Duration::from_secs(1),
                api.create_subresource::<Value, Value>(
                    "eviction",
                    name,
                    &PostParams::default(),
                    &body,
                ),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => {
                    return Ok(Eviction::Refused {
                        code: 0,
                        message: format!("no answer within {}s", limit.as_secs().max(1)),
                        pdb: None,
                        retry_after: None,
                    });
                }
            }
        }
        None => {
            api.create_subresource::<Value, Value>("eviction", name, &PostParams::default(), &body)
                .await
        }
    };
    match result {
        Ok(_) => Ok(Eviction::Accepted),
        Err(kube::Error::Api(status)) => match status.code {
            404 => Ok(Eviction::Gone),
            // The UID precondition failed: the name now belongs to a successor.
            409 if precondition_failed(&status.message) => Ok(Eviction::Gone),
            429 | 500 | 502 | 503 | 504 => {
                let details = status.details.as_ref();
                let retry_after = details
                    .map(|d| d.retry_after_seconds)
                    .filter(|s| *s > 0)
                    .map(u64::from);
                let pdb = details
                    .into_iter()
                    .flat_map(|d| &d.causes)
                    .find_map(|c| pdb_name(&c.message))
                    .map(|n| format!("{ns}/{n}"));
                let message = match details.and_then(|d| d.causes.first()) {
                    Some(c) if !c.message.is_empty() => {
                        format!("{}: {}", status.message, c.message)
                    }
                    _ => status.message.clone(),
                };
                Ok(Eviction::Refused {
                    code: status.code,
                    message,
                    pdb,
                    retry_after,
                })
            }
            _ => Err(to_cluster_error(conn, call, kube::Error::Api(status), 1)),
        },
        // A connection that broke: the eviction may or may not have happened; evicting again
        // is safe (a terminating pod is evicted without asking its PDB).
        Err(e @ (kube::Error::HyperError(_) | kube::Error::Service(_))) => Ok(Eviction::Refused {
            code: 0,
            message: e.to_string(),
            pdb: None,
            retry_after: None,
        }),
        Err(e) => Err(to_cluster_error(conn, call, e, 1)),
    }
}

/// A 409 about the UID precondition rather than some other conflict (retried as a refusal).
fn precondition_failed(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("precondition") || m.contains("uid")
}

/// `The disruption budget NAME needs ...` → NAME.
fn pdb_name(cause: &str) -> Option<String> {
    let rest = cause.strip_prefix("The disruption budget ")?;
    let name = rest.split_whitespace().next()?;
    Some(name.to_string())
}

/// Deletes the Node; already gone is fine.
pub async fn delete_node(conn: &Connection, node: &str) -> Result<(), ClusterError> {
    let api: Api<Node> = Api::all(conn.client.clone());
    let params = DeleteParams::default();
    let res = with_retry(
        conn,
        Call {
            verb: "delete",
            resource: "nodes",
        },
        || api.delete(node, &params),
    )
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(ClusterError::Api { code: 404, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One node, or None when it is gone.
pub async fn get_node(conn: &Connection, node: &str) -> Result<Option<NodeModel>, ClusterError> {
    let api: Api<Node> = Api::all(conn.client.clone());
    let n = with_retry(
        conn,
        Call {
            verb: "get",
            resource: "nodes",
        },
        || api.get_opt(node),
    )
    .await?;
    Ok(n.map(convert::node))
}

/// Every node, compact.
pub async fn list_nodes(conn: &Connection) -> Result<Vec<NodeModel>, ClusterError> {
    super::list::list_all(
        conn,
        Api::<Node>::all(conn.client.clone()),
        "nodes",
        None,
        |n| Some(convert::node(n)),
    )
    .await
}

/// What verification needs of a workload: its desired replicas and its pod selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSpec {
    pub desired: i32,
    /// As a label-selector query (`app=nginx,tier in (web)`); None when it selects nothing kup
    /// can express.
    pub selector: Option<String>,
}

/// A workload's desired replicas and selector; None when it is gone or of a kind without a
/// replica count.
pub async fn workload_spec(
    conn: &Connection,
    kind: WorkloadKind,
    ns: &str,
    name: &str,
) -> Result<Option<WorkloadSpec>, ClusterError> {
    let client = conn.client.clone();
    macro_rules! get {
        ($ty:ty, $resource:literal) => {{
            let api: Api<$ty> = Api::namespaced(client, ns);
            with_retry(
                conn,
                Call {
                    verb: "get",
                    resource: $resource,
                },
                || api.get_opt(name),
            )
            .await?
            .and_then(|w| w.spec)
            .map(|s| WorkloadSpec {
                desired: s.replicas.unwrap_or(1),
                selector: selector_query(&s.selector),
            })
        }};
    }
    Ok(match kind {
        WorkloadKind::Deployment => get!(Deployment, "deployments"),
        WorkloadKind::StatefulSet => get!(StatefulSet, "statefulsets"),
        WorkloadKind::ReplicaSet => get!(ReplicaSet, "replicasets"),
        // Nothing to wait for: no replica count kup can compare.
        _ => None,
    })
}

/// A LabelSelector as a list query. None for an empty selector (the API refuses those on
/// workloads) or a malformed one.
fn selector_query(sel: &LabelSelector) -> Option<String> {
    let mut parts: Vec<String> = sel
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            _ => return None,
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Pods of namespace `ns` matching a label-selector query, compact.
pub async fn pods_matching(
    conn: &Connection,
    ns: &str,
    selector: &str,
) -> Result<Vec<PodModel>, ClusterError> {
    let params = ListParams::default().labels(selector);
    list_pods(conn, Api::namespaced(conn.client.clone(), ns), &params).await
}

/// Pods bound to `node` now, as the plan sees pods (the executor re-checks them before calling
/// the node drained: pods can land on it after the plan was made).
pub async fn pods_on_node(conn: &Connection, node: &str) -> Result<Vec<PodModel>, ClusterError> {
    let params = ListParams::default().fields(&format!("spec.nodeName={node}"));
    list_pods(conn, Api::all(conn.client.clone()), &params).await
}

/// One (small, selected) pod list, retried, compact.
async fn list_pods(
    conn: &Connection,
    api: Api<Pod>,
    params: &ListParams,
) -> Result<Vec<PodModel>, ClusterError> {
    let list = with_retry(
        conn,
        Call {
            verb: "list",
            resource: "pods",
        },
        || api.list(params),
    )
    .await?;
    Ok(list.items.into_iter().map(convert::pod).collect())
}

/// `NS/NAME` of the PodDisruptionBudgets selecting the pod, sorted (to name them when the
/// eviction API refuses a pod with more than one). Empty when the pod is gone.
pub async fn pdbs_selecting(
    conn: &Connection,
    ns: &str,
    name: &str,
) -> Result<Vec<String>, ClusterError> {
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    let Some(pod) = with_retry(
        conn,
        Call {
            verb: "get",
            resource: "pods",
        },
        || pods.get_opt(name),
    )
    .await?
    else {
        return Ok(Vec::new());
    };
    let pod = convert::pod(pod);
    let api: Api<PodDisruptionBudget> = Api::namespaced(conn.client.clone(), ns);
    let params = ListParams::default();
    let list = with_retry(
        conn,
        Call {
            verb: "list",
            resource: "poddisruptionbudgets",
        },
        || api.list(&params),
    )
    .await?;
    let mut names: Vec<String> = list
        .items
        .into_iter()
        .map(convert::pdb)
        .filter(|b| crate::checks::placement::pdb_selects(b, &pod))
        .map(|b| format!("{}/{}", b.namespace, b.name))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evictions_carry_the_uid_precondition_in_camel_case() {
        let b = eviction_body("shop", "nginx-1", "u-1", Some(5));
        assert_eq!(b["deleteOptions"]["preconditions"]["uid"], "u-1");
        assert_eq!(b["deleteOptions"]["gracePeriodSeconds"], 5);
        let plain = eviction_body("shop", "nginx-1", "", None);
        assert!(plain.get("deleteOptions").is_none(), "{plain}");
    }

    #[test]
    fn conflicts_on_the_uid_mean_gone() {
        assert!(precondition_failed(
            "Operation cannot be fulfilled on pods \"x\": the UID in the precondition (a) does \
             not match the UID in record (b)"
        ));
        assert!(precondition_failed(
            "Precondition failed: UID in precondition: a, UID in object meta: b"
        ));
        assert!(!precondition_failed("the object has been modified"));
    }

    #[test]
    fn selectors_become_list_queries() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
        let sel = LabelSelector {
            match_labels: Some([("app".to_string(), "nginx".to_string())].into()),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: Some(vec!["web".into(), "api".into()]),
                },
                LabelSelectorRequirement {
                    key: "canary".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                },
            ]),
        };
        assert_eq!(
            selector_query(&sel).as_deref(),
            Some("app=nginx,tier in (web,api),!canary")
        );
        assert_eq!(selector_query(&LabelSelector::default()), None);
    }

    #[test]
    fn pdb_names_from_the_api_cause() {
        assert_eq!(
            pdb_name("The disruption budget nginx-pdb needs 3 healthy pods and has 3 currently"),
            Some("nginx-pdb".into())
        );
        assert_eq!(pdb_name("something else"), None);
    }
}
