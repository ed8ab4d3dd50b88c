//! Reads what `kup` needs about Karpenter: NodePools' disruption settings, EC2NodeClasses,
//! NodeClaims (karpenter.sh / karpenter.k8s.aws, newest served version) and the controller
//! Deployment (`app.kubernetes.io/name=karpenter`, any namespace). A CRD that is not served
//! or a list RBAC forbids leaves that part "not read", with a note; it never fails the command.

use super::list::list_all;
use super::retry::{Call, with_retry};
use super::{ClusterError, Connection};
use crate::karpenter::{
    AmiTerm, Budget, Controller, KarpenterInfo, NodeClaim, NodeClass, NodePoolSpec, image_tag,
};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

const CORE: &str = "karpenter.sh";
const AWS: &str = "karpenter.k8s.aws";
const VERSIONS: [&str; 2] = ["v1", "v1beta1"];

pub async fn read(conn: &Connection) -> Result<KarpenterInfo, ClusterError> {
    let groups = with_retry(
        conn,
        Call {
            verb: "get",
            resource: "/apis",
        },
        || conn.client.list_api_groups(),
    )
    .await?;
    let served = |group: &str| -> Option<String> {
        let g = groups.groups.iter().find(|g| g.name == group)?;
        VERSIONS
            .iter()
            .find(|v| g.versions.iter().any(|s| s.version == **v))
            .map(|v| v.to_string())
    };
    let (core, aws) = (served(CORE), served(AWS));
    let mut notes = Vec::new();
    let pools = async {
        match &core {
            Some(v) => Some(list(conn, CORE, v, "NodePool", "nodepools", node_pool).await),
            None => None,
        }
    };
    let claims = async {
        match &core {
            Some(v) => Some(list(conn, CORE, v, "NodeClaim", "nodeclaims", node_claim).await),
            None => None,
        }
    };
    let classes = async {
        match &aws {
            Some(v) => Some(list(conn, AWS, v, "EC2NodeClass", "ec2nodeclasses", node_class).await),
            None => None,
        }
    };
    let controller = controller(conn);
    let (pools, claims, classes, controller) = futures::join!(pools, claims, classes, controller);
    let pools = part("NodePools", CORE, pools, &mut notes)?;
    let node_claims = part("NodeClaims", CORE, claims, &mut notes)?;
    let node_classes = part("EC2NodeClasses", AWS, classes, &mut notes)?;
    let controller = match controller {
        Ok(Some(c)) => Some(c),
        Ok(None) => {
            notes.push(
                "Karpenter controller not found: no Deployment labelled \
                 app.kubernetes.io/name=karpenter in any namespace"
                    .into(),
            );
            None
        }
        Err(e) if not_read(&e) => {
            notes.push(format!("Karpenter controller not read: {e}"));
            None
        }
        Err(e) => return Err(e),
    };
    Ok(KarpenterInfo {
        controller,
        node_pools: pools,
        node_classes,
        node_claims,
        notes,
        aliases: Vec::new(),
    })
}

/// One part's list: read, or not read with a note (absent group, 404, 403); other errors
/// still fail the read, as every other list does.
fn part<T>(
    what: &str,
    group: &str,
    got: Option<Result<Vec<T>, ClusterError>>,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<T>>, ClusterError> {
    match got {
        None => {
            notes.push(format!(
                "{what} not read: the API group {group} is not served"
            ));
            Ok(None)
        }
        Some(Ok(items)) => Ok(Some(items)),
        Some(Err(e)) if not_read(&e) => {
            notes.push(format!("{what} not read: {e}"));
            Ok(None)
        }
        Some(Err(e)) => Err(e),
    }
}

/// 404 (CRD gone between discovery and list) and 403 (RBAC) leave a part unread.
fn not_read(e: &ClusterError) -> bool {
    matches!(
        e,
        ClusterError::Forbidden { .. } | ClusterError::Api { code: 404, .. }
    )
}

async fn list<T>(
    conn: &Connection,
    group: &str,
    version: &str,
    kind: &str,
    plural: &'static str,
    convert: fn(DynamicObject, &str) -> T,
) -> Result<Vec<T>, ClusterError> {
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
    let api: Api<DynamicObject> = Api::all_with(conn.client.clone(), &resource);
    let api_version = format!("{group}/{version}");
    list_all(conn, api, plural, None, |o| Some(convert(o, &api_version))).await
}

async fn controller(conn: &Connection) -> Result<Option<Controller>, ClusterError> {
    let api: Api<Deployment> = Api::all(conn.client.clone());
    let found = list_all(
        conn,
        api,
        "deployments",
        Some("app.kubernetes.io/name=karpenter"),
        |d| Some(to_controller(d)),
    )
    .await?;
    // Several matches (a webhook, a second install): prefer one named `karpenter`.
    Ok(found
        .iter()
        .find(|c| c.name == "karpenter")
        .or(found.first())
        .cloned())
}

fn to_controller(d: Deployment) -> Controller {
    let meta = d.metadata;
    let image = d
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|p| {
            let named = p
                .containers
                .iter()
                .find(|c| c.name == "controller")
                .cloned();
            named.or_else(|| p.containers.into_iter().next())
        })
        .and_then(|c| c.image);
    let label = meta
        .labels
        .as_ref()
        .and_then(|l| l.get("app.kubernetes.io/version"))
        .cloned();
    // A label that is no version (`latest`, a chart's own scheme) gives way to the image tag.
    let label = label.filter(|l| {
        crate::karpenter::parse_karpenter_version(l).is_some()
            || image.as_deref().and_then(image_tag).is_none()
    });
    let (version, version_source) = match (label, image.as_deref().and_then(image_tag)) {
        (Some(l), _) => (Some(l), Some("app.kubernetes.io/version".to_string())),
        (None, Some(t)) => (Some(t.to_string()), Some("image".to_string())),
        (None, None) => (None, None),
    };
    Controller {
        namespace: meta.namespace.unwrap_or_default(),
        name: meta.name.unwrap_or_default(),
        version,
        version_source,
        image,
    }
}

fn str_at(v: &Value, p: &str) -> Option<String> {
    v.pointer(p).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn node_pool(o: DynamicObject, api_version: &str) -> NodePoolSpec {
    let d = &o.data;
    let v1beta1 = api_version.ends_with("v1beta1");
    let budgets = d
        .pointer("/spec/disruption/budgets")
        .and_then(Value::as_array)
        .map(|bs| {
            bs.iter()
                .map(|b| Budget {
                    // A number where a string belongs is read as written, not dropped.
                    nodes: match b.get("nodes") {
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => "10%".into(),
                    },
                    schedule: str_at(b, "/schedule"),
                    duration: str_at(b, "/duration"),
                    reasons: b.get("reasons").and_then(Value::as_array).map(|rs| {
                        rs.iter()
                            .filter_map(|r| r.as_str().map(str::to_string))
                            .collect()
                    }),
                })
                .collect()
        })
        // The CRD's default, as the API server writes it when the field is absent.
        .unwrap_or_else(|| vec![Budget::default_budget()]);
    NodePoolSpec {
        name: o.metadata.name.unwrap_or_default(),
        api_version: api_version.to_string(),
        node_class: str_at(d, "/spec/template/spec/nodeClassRef/name"),
        budgets,
        consolidation_policy: str_at(d, "/spec/disruption/consolidationPolicy"),
        expire_after: if v1beta1 {
            str_at(d, "/spec/disruption/expireAfter")
        } else {
            str_at(d, "/spec/template/spec/expireAfter")
        },
        termination_grace_period: str_at(d, "/spec/template/spec/terminationGracePeriod"),
    }
}

pub(crate) fn node_class(o: DynamicObject, api_version: &str) -> NodeClass {
    let d = &o.data;
    let terms = d
        .pointer("/spec/amiSelectorTerms")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| AmiTerm {
                    alias: str_at(t, "/alias"),
                    id: str_at(t, "/id"),
                    name: str_at(t, "/name"),
                    tags: t
                        .get("tags")
                        .and_then(Value::as_object)
                        .map(|m| {
                            m.iter()
                                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.into())))
                                .collect()
                        })
                        .unwrap_or_default(),
                    ssm_parameter: str_at(t, "/ssmParameter"),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut amis: Vec<String> = d
        .pointer("/status/amis")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| str_at(x, "/id")).collect())
        .unwrap_or_default();
    amis.sort();
    amis.dedup();
    let ami_names = d
        .pointer("/status/amis")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((str_at(x, "/id")?, str_at(x, "/name")?)))
                .collect()
        })
        .unwrap_or_default();
    NodeClass {
        name: o.metadata.name.unwrap_or_default(),
        api_version: api_version.to_string(),
        ami_family: str_at(d, "/spec/amiFamily"),
        ami_selector_terms: terms,
        status_amis: amis,
        ami_names,
    }
}

pub(crate) fn node_claim(o: DynamicObject, _api_version: &str) -> NodeClaim {
    let d = &o.data;
    let drifted = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter().find(|c| {
                c.get("type").and_then(Value::as_str) == Some("Drifted")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
        .map(|c| str_at(c, "/reason").unwrap_or_default());
    NodeClaim {
        node_pool: o
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("karpenter.sh/nodepool"))
            .cloned(),
        name: o.metadata.name.unwrap_or_default(),
        node_name: str_at(d, "/status/nodeName"),
        image_id: str_at(d, "/status/imageID"),
        drifted,
        deleting: o.metadata.deletion_timestamp.is_some(),
        do_not_disrupt: o
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("karpenter.sh/do-not-disrupt"))
            .is_some_and(|v| v == "true"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> DynamicObject {
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reads_a_v1_node_pool_class_and_claim() {
        let p = node_pool(
            obj(json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
                "metadata": {"name": "default"},
                "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "al2023"},
                    "expireAfter": "720h", "terminationGracePeriod": "24h"}},
                  "disruption": {"consolidationPolicy": "WhenEmpty",
                    "budgets": [{"nodes": "20%", "reasons": ["Drifted"]}, {"nodes": "0", "schedule": "0 9 * * 1-5", "duration": "8h"}]}}})),
            "karpenter.sh/v1",
        );
        assert_eq!(p.node_class.as_deref(), Some("al2023"));
        assert_eq!(p.budgets.len(), 2);
        assert_eq!(p.budgets[0].reasons, Some(vec!["Drifted".to_string()]));
        assert_eq!(p.budgets[1].duration.as_deref(), Some("8h"));
        assert_eq!(p.termination_grace_period.as_deref(), Some("24h"));
        // Absent budgets read as the CRD's default; an explicit empty list stays empty.
        let bare = |budgets: Value| {
            node_pool(
                obj(json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
                    "metadata": {"name": "p"}, "spec": {"disruption": budgets}})),
                "karpenter.sh/v1",
            )
            .budgets
        };
        assert_eq!(bare(json!({})), vec![Budget::default_budget()]);
        assert_eq!(bare(json!({"budgets": []})), Vec::<Budget>::new());
        let c = node_class(
            obj(
                json!({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
                "metadata": {"name": "pinned"},
                "spec": {"amiFamily": "AL2023", "amiSelectorTerms": [{"id": "ami-0123"}, {"tags": {"team": "ml"}}]},
                "status": {"amis": [{"id": "ami-0123", "requirements": []}, {"id": "ami-0123", "name": "amazon-eks-node-al2023-x86_64-standard-1.33-v20260610", "requirements": []}]}}),
            ),
            "karpenter.k8s.aws/v1",
        );
        assert_eq!(c.ami_selector_terms.len(), 2);
        assert_eq!(c.status_amis, vec!["ami-0123".to_string()]);
        assert_eq!(
            c.ami_names.get("ami-0123").map(String::as_str),
            Some("amazon-eks-node-al2023-x86_64-standard-1.33-v20260610")
        );
        let n = node_claim(
            obj(json!({"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim",
                "metadata": {"name": "default-abc", "labels": {"karpenter.sh/nodepool": "default"}},
                "status": {"nodeName": "ip-1", "imageID": "ami-0old",
                  "conditions": [{"type": "Drifted", "status": "True", "reason": "AMIDrift", "lastTransitionTime": "2026-12-02T00:00:00Z"}]}})),
            "karpenter.sh/v1",
        );
        assert_eq!(n.drifted.as_deref(), Some("AMIDrift"));
        assert_eq!(n.node_pool.as_deref(), Some("default"));
    }

    #[test]
    fn controller_version_from_label_or_image() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "karpenter", "namespace": "kube-system"},
            "spec": {"selector": {}, "template": {"spec": {"containers": [
                {"name": "controller", "image": "public.ecr.aws/karpenter/controller:1.2.1@sha256:ab"}]}}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let c = to_controller(d);
        assert_eq!(c.version.as_deref(), Some("1.2.1"));
        assert_eq!(c.version_source.as_deref(), Some("image"));
        // A label that is no version falls back to the image tag.
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "karpenter", "namespace": "kube-system",
                         "labels": {"app.kubernetes.io/version": "latest"}},
            "spec": {"selector": {}, "template": {"spec": {"containers": [
                {"name": "controller", "image": "public.ecr.aws/karpenter/controller:1.6.2"}]}}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let c = to_controller(d);
        assert_eq!(c.version.as_deref(), Some("1.6.2"));
        assert_eq!(c.version_source.as_deref(), Some("image"));
        assert_eq!(c.subject(), "deployment/kube-system/karpenter");
    }
}
