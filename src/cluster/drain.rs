//! The writes `kup rotate` makes, and the reads it polls while waiting: cordon/uncordon with the
//! rotation marker, policy/v1 evictions, pod and node lookups, node deletion.
//!
//! Node patches are JSON merge patches (idempotent), so they go through the same bounded retry
//! as reads. Evictions are single calls whose outcome the executor interprets: a 429 is a PDB
//! (or the server) saying "not now", retried by the caller until its own `--drain-timeout`.

use super::convert;
use super::retry::{Call, to_cluster_error, with_retry};
use super::{ClusterError, Connection};
use crate::model::{Node as NodeModel, Pod as PodModel, Workload, WorkloadKind};
use crate::rotate::ROTATION_ANNOTATION;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use std::time::Duration;

/// The answer to one eviction call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// 201: the pod is being deleted.
    Accepted,
    /// 404: the pod is already gone.
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
pub async fn cordon(conn: &Connection, node: &str, marker: &str) -> Result<(), ClusterError> {
    patch_node(
        conn,
        node,
        json!({
            "metadata": {"annotations": {ROTATION_ANNOTATION: marker}},
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

/// Removes the rotation marker, and uncordons when `uncordon` (for `--abort`).
pub async fn unmark(conn: &Connection, node: &str, uncordon: bool) -> Result<(), ClusterError> {
    let mut body = json!({"metadata": {"annotations": {ROTATION_ANNOTATION: null}}});
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
}

/// The pod's UID, or None when it does not exist.
pub async fn pod_uid(
    conn: &Connection,
    ns: &str,
    name: &str,
) -> Result<Option<String>, ClusterError> {
    let api: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    let pod = with_retry(
        conn,
        Call {
            verb: "get",
            resource: "pods",
        },
        || api.get_opt(name),
    )
    .await?;
    Ok(pod.and_then(|p| p.metadata.uid))
}

/// Posts a policy/v1 Eviction for the pod. The body is written out here rather than through
/// `Api::evict`, which serialises `delete_options` in snake case: the API server would drop it
/// and with it `--grace-period`.
pub async fn evict(
    conn: &Connection,
    ns: &str,
    name: &str,
    grace_period: Option<i64>,
) -> Result<Eviction, ClusterError> {
    let api: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
    let mut body = json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": name, "namespace": ns},
    });
    if let Some(g) = grace_period {
        body["deleteOptions"] = json!({"gracePeriodSeconds": g});
    }
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

/// A workload's current replicas and Ready replicas; None when it is gone.
pub async fn get_workload(
    conn: &Connection,
    kind: WorkloadKind,
    ns: &str,
    name: &str,
) -> Result<Option<Workload>, ClusterError> {
    let client = conn.client.clone();
    macro_rules! get {
        ($ty:ty, $resource:literal, $convert:path) => {{
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
            .map($convert)
        }};
    }
    Ok(match kind {
        WorkloadKind::Deployment => get!(Deployment, "deployments", convert::deployment),
        WorkloadKind::StatefulSet => get!(StatefulSet, "statefulsets", convert::stateful_set),
        WorkloadKind::ReplicaSet => get!(ReplicaSet, "replicasets", convert::replica_set),
        // Nothing to wait for: no replica count kup can compare.
        _ => None,
    })
}

/// Pods bound to `node` now, as the plan sees pods (the executor re-checks them before calling
/// the node drained: pods can land on it after the plan was made).
pub async fn pods_on_node(conn: &Connection, node: &str) -> Result<Vec<PodModel>, ClusterError> {
    let params = ListParams::default().fields(&format!("spec.nodeName={node}"));
    let api: Api<Pod> = Api::all(conn.client.clone());
    let list = with_retry(
        conn,
        Call {
            verb: "list",
            resource: "pods",
        },
        || api.list(&params),
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
        .filter(|b| crate::rotate::plan::pdb_selects(b, &pod))
        .map(|b| format!("{}/{}", b.namespace, b.name))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdb_names_from_the_api_cause() {
        assert_eq!(
            pdb_name("The disruption budget nginx-pdb needs 3 healthy pods and has 3 currently"),
            Some("nginx-pdb".into())
        );
        assert_eq!(pdb_name("something else"), None);
    }
}
