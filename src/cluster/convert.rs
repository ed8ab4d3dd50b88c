//! Typed API objects -> compact model structs, for the single GETs and small lists of
//! drain and rotation (the snapshot's big lists go through the lean views of `lean.rs`).
//! Each function takes the object by value so the raw object is dropped at once.

use super::intern::shared;
use crate::model::{
    Labels, Node, OwnerRef, Pdb, Placement, Pod, Pool, PoolKind, PoolRef, Requirement, Selector,
    Taint, Toleration,
};
#[cfg(test)]
use crate::model::{Workload, WorkloadKind};
#[cfg(test)]
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::DynamicObject;
use serde_json::Value;

/// Annotation prefix kup keeps on nodes (rotation markers).
pub(super) const KUP_ANNOTATION_PREFIX: &str = "kup.dev/";

/// Karpenter's node-level opt-out of voluntary disruption, kept with kup's own annotations.
pub(super) const DO_NOT_DISRUPT: &str = "karpenter.sh/do-not-disrupt";

/// Whether a node annotation is one kup keeps.
pub(super) fn kept_annotation(key: &str) -> bool {
    key.starts_with(KUP_ANNOTATION_PREFIX) || key == DO_NOT_DISRUPT
}

fn labels_of(meta: &mut ObjectMeta) -> Labels {
    meta.labels.take().unwrap_or_default()
}

pub fn node(mut n: core::Node) -> Node {
    let labels = labels_of(&mut n.metadata);
    let spec = n.spec.unwrap_or_default();
    let status = n.status.unwrap_or_default();
    let info = status.node_info;
    let ready = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .and_then(|c| match c.status.as_str() {
            "True" => Some(true),
            "False" => Some(false),
            _ => None,
        });
    let label = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).cloned());
    let instance_type = label(&[
        "node.kubernetes.io/instance-type",
        "beta.kubernetes.io/instance-type",
    ]);
    let zone = label(&[
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    ]);
    let kup_annotations = n
        .metadata
        .annotations
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| kept_annotation(k))
        .collect();
    Node {
        name: n.metadata.name.unwrap_or_default(),
        pool: PoolRef::of_labels(&labels),
        kubelet_version: info
            .as_ref()
            .map(|i| i.kubelet_version.clone())
            .unwrap_or_default(),
        os_image: info
            .as_ref()
            .map(|i| i.os_image.clone())
            .unwrap_or_default(),
        kube_proxy_version: info.map(|i| i.kube_proxy_version).unwrap_or_default(),
        taints: spec
            .taints
            .unwrap_or_default()
            .into_iter()
            .map(taint)
            .collect(),
        unschedulable: spec.unschedulable.unwrap_or(false),
        ready,
        created: n.metadata.creation_timestamp.map(|t| t.0),
        instance_type,
        zone,
        deleting: n.metadata.deletion_timestamp.is_some(),
        kup_annotations,
        labels,
    }
}

fn taint(t: core::Taint) -> Taint {
    Taint {
        key: t.key,
        value: t.value.filter(|v| !v.is_empty()),
        effect: t.effect,
    }
}

fn toleration(t: core::Toleration) -> Toleration {
    Toleration {
        key: t.key,
        operator: t.operator,
        value: t.value,
        effect: t.effect,
    }
}

fn requirement(r: core::NodeSelectorRequirement) -> Requirement {
    Requirement {
        key: r.key,
        operator: r.operator,
        values: r.values.unwrap_or_default(),
    }
}

/// nodeSelector, required node affinity and tolerations of a pod spec.
pub fn placement(spec: &mut core::PodSpec) -> Placement {
    let affinity_terms = spec
        .affinity
        .take()
        .and_then(|a| a.node_affinity)
        .and_then(|na| na.required_during_scheduling_ignored_during_execution)
        .map(|sel| {
            sel.node_selector_terms
                .into_iter()
                .map(|term| {
                    term.match_expressions
                        .unwrap_or_default()
                        .into_iter()
                        .map(requirement)
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    Placement {
        node_selector: spec.node_selector.take().unwrap_or_default(),
        affinity_terms,
        tolerations: spec
            .tolerations
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(toleration)
            .collect(),
    }
}

fn controller_of(meta: &mut ObjectMeta) -> Option<OwnerRef> {
    meta.owner_references
        .take()
        .unwrap_or_default()
        .into_iter()
        .find(|o| o.controller == Some(true))
        .map(|o| OwnerRef {
            kind: shared(&o.kind),
            name: shared(&o.name),
        })
}

fn annotation_true(annotations: &Labels, key: &str) -> bool {
    annotations.get(key).is_some_and(|v| v == "true")
}

pub fn pod(mut p: core::Pod) -> Pod {
    let owner = controller_of(&mut p.metadata);
    let labels = labels_of(&mut p.metadata);
    let annotations = p.metadata.annotations.take().unwrap_or_default();
    let mut spec = p.spec.unwrap_or_default();
    let status = p.status.unwrap_or_default();
    let ready = status
        .conditions
        .as_ref()
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let uses_empty_dir = spec
        .volumes
        .as_ref()
        .is_some_and(|vs| vs.iter().any(|v| v.empty_dir.is_some()));
    Pod {
        namespace: shared(p.metadata.namespace.as_deref().unwrap_or_default()),
        name: p.metadata.name.unwrap_or_default(),
        uid: p.metadata.uid.unwrap_or_default(),
        node_name: spec
            .node_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(shared),
        phase: shared(status.phase.as_deref().unwrap_or("Unknown")),
        ready,
        mirror: annotations.contains_key("kubernetes.io/config.mirror"),
        uses_empty_dir,
        do_not_disrupt: annotation_true(&annotations, "karpenter.sh/do-not-disrupt")
            || annotation_true(&annotations, "karpenter.sh/do-not-evict"),
        deleting: p.metadata.deletion_timestamp.is_some(),
        placement: if owner.is_none() {
            Some(Box::new(placement(&mut spec)))
        } else {
            None
        },
        owner,
        labels: labels.into(),
    }
}

fn int_or_string(v: IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s,
    }
}

fn selector(s: LabelSelector) -> Selector {
    Selector {
        match_labels: s.match_labels.unwrap_or_default(),
        match_expressions: s
            .match_expressions
            .unwrap_or_default()
            .into_iter()
            .map(|e| Requirement {
                key: e.key,
                operator: e.operator,
                values: e.values.unwrap_or_default(),
            })
            .collect(),
    }
}

pub fn pdb(p: PodDisruptionBudget) -> Pdb {
    let spec = p.spec.unwrap_or_default();
    let status = p.status.unwrap_or_default();
    Pdb {
        namespace: p.metadata.namespace.unwrap_or_default(),
        name: p.metadata.name.unwrap_or_default(),
        selector: spec.selector.map(selector),
        min_available: spec.min_available.map(int_or_string),
        max_unavailable: spec.max_unavailable.map(int_or_string),
        disruptions_allowed: status.disruptions_allowed,
        current_healthy: status.current_healthy,
        desired_healthy: status.desired_healthy,
        expected_pods: status.expected_pods,
    }
}

// Typed workload conversions: the reference the lean views (lean.rs) are tested against.
#[cfg(test)]
fn workload(
    kind: WorkloadKind,
    mut meta: ObjectMeta,
    template: Option<core::PodTemplateSpec>,
    replicas: Option<i32>,
    ready_replicas: Option<i32>,
) -> Workload {
    let owner = controller_of(&mut meta);
    let mut spec = template.and_then(|t| t.spec).unwrap_or_default();
    Workload {
        kind,
        namespace: meta.namespace.unwrap_or_default(),
        name: meta.name.unwrap_or_default(),
        owner,
        replicas,
        ready_replicas,
        placement: placement(&mut spec),
        annotations: meta.annotations.unwrap_or_default(),
    }
}

#[cfg(test)]
pub fn deployment(d: Deployment) -> Workload {
    let spec = d.spec.unwrap_or_default();
    let ready = d.status.and_then(|s| s.ready_replicas);
    workload(
        WorkloadKind::Deployment,
        d.metadata,
        Some(spec.template),
        Some(spec.replicas.unwrap_or(1)),
        Some(ready.unwrap_or(0)),
    )
}

#[cfg(test)]
pub fn stateful_set(s: StatefulSet) -> Workload {
    let spec = s.spec.unwrap_or_default();
    let ready = s.status.and_then(|s| s.ready_replicas);
    workload(
        WorkloadKind::StatefulSet,
        s.metadata,
        Some(spec.template),
        Some(spec.replicas.unwrap_or(1)),
        Some(ready.unwrap_or(0)),
    )
}

#[cfg(test)]
pub fn replica_set(r: ReplicaSet) -> Workload {
    let spec = r.spec.unwrap_or_default();
    let ready = r.status.and_then(|s| s.ready_replicas);
    workload(
        WorkloadKind::ReplicaSet,
        r.metadata,
        spec.template,
        Some(spec.replicas.unwrap_or(1)),
        Some(ready.unwrap_or(0)),
    )
}

/// Karpenter NodePool (v1 / v1beta1) or Provisioner (v1alpha5) -> Pool.
pub fn karpenter_pool(obj: DynamicObject, api_version: &str) -> Pool {
    let name = obj.metadata.name.unwrap_or_default();
    let data = obj.data;
    let is_provisioner = api_version.ends_with("v1alpha5");
    // Provisioner keeps labels/taints at spec.*, NodePool under spec.template.
    let (labels_at, spec_at) = if is_provisioner {
        ("/spec/labels", "/spec")
    } else {
        ("/spec/template/metadata/labels", "/spec/template/spec")
    };
    let mut labels: Labels = data
        .pointer(labels_at)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let taints_at = |field: &str| -> Vec<Taint> {
        data.pointer(&format!("{spec_at}/{field}"))
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| serde_json::from_value::<core::Taint>(t.clone()).ok())
                    .map(taint)
                    .collect()
            })
            .unwrap_or_default()
    };
    let requirements: Vec<Requirement> = data
        .pointer(&format!("{spec_at}/requirements"))
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    Some(Requirement {
                        key: r.get("key")?.as_str()?.to_string(),
                        operator: r.get("operator")?.as_str()?.to_string(),
                        values: r
                            .get("values")
                            .and_then(Value::as_array)
                            .map(|vs| {
                                vs.iter()
                                    .filter_map(|v| v.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // A requirement `In` with one value pins that label on every node of the pool.
    for r in &requirements {
        if r.operator == "In" && r.values.len() == 1 {
            labels
                .entry(r.key.clone())
                .or_insert_with(|| r.values[0].clone());
        }
    }
    let kind = if is_provisioner {
        PoolKind::Provisioner
    } else {
        PoolKind::NodePool
    };
    if let Some(label) = kind.identity_label() {
        labels.insert(label.to_string(), name.clone());
    }
    Pool {
        pool: PoolRef { kind, name },
        source: api_version.to_string(),
        labels,
        taints: taints_at("taints"),
        startup_taints: taints_at("startupTaints"),
        requirements,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_pool_and_status() {
        let n: core::Node = serde_json::from_value(json!({
            "metadata": {"name": "ip-1", "labels": {"karpenter.sh/provisioner-name": "default",
                "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1a"},
                "annotations": {"kup.dev/rotation": "run1/cordoned", "other": "x"}},
            "spec": {"unschedulable": true, "taints": [{"key": "applications", "effect": "NoSchedule"}]},
            "status": {"nodeInfo": {"kubeletVersion": "v1.24.17-eks-a59e1f0", "kubeProxyVersion": "v1.24.17-eks-a59e1f0",
                "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "", "kernelVersion": "", "machineID": "",
                "operatingSystem": "linux", "osImage": "", "systemUUID": ""},
                "conditions": [{"type": "Ready", "status": "False"}]}
        }))
        .unwrap();
        let n = node(n);
        assert_eq!(
            n.pool,
            PoolRef {
                kind: PoolKind::Provisioner,
                name: "default".into()
            }
        );
        assert_eq!(n.kubelet_version, "v1.24.17-eks-a59e1f0");
        assert!(n.unschedulable);
        assert_eq!(n.ready, Some(false));
        assert_eq!(
            n.taints,
            vec![Taint {
                key: "applications".into(),
                value: None,
                effect: "NoSchedule".into()
            }]
        );
        assert_eq!(n.instance_type.as_deref(), Some("m5.large"));
        assert_eq!(n.kup_annotations.len(), 1);
    }

    #[test]
    fn pod_keeps_placement_only_without_owner() {
        let spec = json!({"containers": [{"name": "c"}], "nodeSelector": {"node-type": "applications"},
            "tolerations": [{"key": "applications", "operator": "Exists", "effect": "NoSchedule"}],
            "volumes": [{"name": "scratch", "emptyDir": {}}], "nodeName": "ip-1"});
        let bare: core::Pod =
            serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "default",
            "annotations": {"karpenter.sh/do-not-evict": "true"}}, "spec": spec.clone(),
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}))
            .unwrap();
        let p = pod(bare);
        assert!(p.ready && p.uses_empty_dir && p.do_not_disrupt);
        assert_eq!(p.node_name.as_deref(), Some("ip-1"));
        let placement = p.placement.expect("bare pod keeps its placement");
        assert_eq!(
            placement.node_selector.get("node-type").map(String::as_str),
            Some("applications")
        );
        assert_eq!(placement.tolerations.len(), 1);

        let owned: core::Pod = serde_json::from_value(json!({"metadata": {"name": "q", "namespace": "default",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "nginx-1", "uid": "u", "controller": true}]},
            "spec": spec}))
        .unwrap();
        let q = pod(owned);
        assert_eq!(
            q.owner,
            Some(OwnerRef {
                kind: "ReplicaSet".into(),
                name: "nginx-1".into()
            })
        );
        assert!(q.placement.is_none());
        assert_eq!(q.phase, "Unknown");
    }

    #[test]
    fn provisioner_and_nodepool_pools() {
        let prov = DynamicObject {
            types: None,
            metadata: ObjectMeta {
                name: Some("default".into()),
                ..Default::default()
            },
            data: json!({"spec": {"labels": {"node-type": "applications"},
                "taints": [{"key": "applications", "effect": "NoSchedule"}],
                "startupTaints": [{"key": "init", "effect": "NoSchedule"}],
                "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}]}}),
        };
        let p = karpenter_pool(prov, "karpenter.sh/v1alpha5");
        assert_eq!(p.pool.kind, PoolKind::Provisioner);
        assert_eq!(
            p.labels.get("node-type").map(String::as_str),
            Some("applications")
        );
        assert_eq!(
            p.labels
                .get("karpenter.sh/capacity-type")
                .map(String::as_str),
            Some("spot")
        );
        assert_eq!(
            p.labels
                .get("karpenter.sh/provisioner-name")
                .map(String::as_str),
            Some("default")
        );
        assert_eq!(p.taints.len(), 1);
        assert_eq!(p.startup_taints.len(), 1);

        let np = DynamicObject {
            types: None,
            metadata: ObjectMeta {
                name: Some("apps".into()),
                ..Default::default()
            },
            data: json!({"spec": {"template": {"metadata": {"labels": {"team": "a"}},
                "spec": {"taints": [{"key": "dedicated", "value": "a", "effect": "NoExecute"}]}}}}),
        };
        let p = karpenter_pool(np, "karpenter.sh/v1");
        assert_eq!(
            p.pool,
            PoolRef {
                kind: PoolKind::NodePool,
                name: "apps".into()
            }
        );
        assert_eq!(p.taints[0].value.as_deref(), Some("a"));
        assert_eq!(
            p.labels.get("karpenter.sh/nodepool").map(String::as_str),
            Some("apps")
        );
    }
}
