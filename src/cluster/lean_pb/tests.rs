//! Each object is written twice, with k8s-pb's messages (as a server encodes it, zero values
//! of non-pointer fields included) and as the JSON the same server writes; both pages must give
//! the same model through `lean_pb::parse_page` and `lean::parse_page`.

use super::*;
use crate::cluster::lean::{self, AllLabels, LeanNode, NoLabels};
use crate::model::{Node, Pod};
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::policy::v1 as policy;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn map(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn at(rfc3339: &str) -> Option<meta::Time> {
    let ts: jiff::Timestamp = rfc3339.parse().expect("timestamp");
    Some(meta::Time {
        seconds: Some(ts.as_second()),
        nanos: Some(ts.subsec_nanosecond()),
    })
}

fn named(namespace: &str, name: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: s(name),
        namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
        // Go writes the zero creation time as an empty message.
        creation_timestamp: Some(meta::Time::default()),
        ..Default::default()
    }
}

/// The `k8s\0` + runtime.Unknown envelope, as the API server writes it.
fn envelope(kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    Unknown {
        type_meta: Some(TypeMeta {
            api_version: s("v1"),
            kind: s(kind),
        }),
        raw: Some(raw),
        content_encoding: s(""),
        content_type: s(""),
    }
    .encode(&mut out)
    .expect("encode");
    out
}

/// A list object: `metadata` (1) then `items` (2), the layout of every generated `*List`.
fn list<I: Message>(kind: &str, list_meta: meta::ListMeta, items: &[I]) -> Vec<u8> {
    let mut raw = Vec::new();
    prost::encoding::message::encode(1, &list_meta, &mut raw);
    for i in items {
        prost::encoding::message::encode(2, i, &mut raw);
    }
    envelope(kind, raw)
}

/// Parses the protobuf page and the JSON page of the same objects; both must agree.
fn same<P, T, J, M>(
    kind: &str,
    pb: &[P],
    json: &[Value],
    from_pb: fn(T) -> M,
    from_json: fn(J) -> M,
) where
    P: Message,
    T: Item,
    J: DeserializeOwned,
    M: serde::Serialize + Collect,
{
    assert_eq!(pb.len(), json.len());
    let page = list(kind, meta::ListMeta::default(), pb);
    let mut got = Vec::new();
    parse_page(&page, &mut |_| {}, from_pb, &mut got).expect("protobuf page");
    let body =
        serde_json::to_vec(&json!({"kind": kind, "metadata": {}, "items": json})).expect("json");
    let mut want = Vec::new();
    lean::parse_page(&body, &mut |_| {}, from_json, &mut want).expect("json page");
    assert_eq!(got.len(), pb.len());
    assert_eq!(
        serde_json::to_value(&got).expect("json"),
        serde_json::to_value(&want).expect("json")
    );
}

fn req(key: &str, operator: &str, values: &[&str]) -> core::NodeSelectorRequirement {
    core::NodeSelectorRequirement {
        key: s(key),
        operator: s(operator),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn pod_spec_pb() -> core::PodSpec {
    core::PodSpec {
        containers: vec![core::Container {
            name: s("c"),
            image: s("nginx"),
            env: vec![core::EnvVar {
                name: s("A"),
                value: s("b"),
                ..Default::default()
            }],
            ..Default::default()
        }],
        node_selector: map(&[("node-type", "applications")]),
        affinity: Some(core::Affinity {
            node_affinity: Some(core::NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(core::NodeSelector {
                    node_selector_terms: vec![
                        core::NodeSelectorTerm {
                            match_expressions: vec![req("zone", "In", &["a", "b"])],
                            ..Default::default()
                        },
                        core::NodeSelectorTerm {
                            match_fields: vec![req("metadata.name", "In", &["x"])],
                            ..Default::default()
                        },
                    ],
                }),
                ..Default::default()
            }),
            pod_anti_affinity: Some(Default::default()),
            ..Default::default()
        }),
        // As Go writes them: every string field, empty ones too.
        tolerations: vec![
            core::Toleration {
                key: s("applications"),
                operator: s("Exists"),
                value: s(""),
                effect: s("NoSchedule"),
                toleration_seconds: None,
            },
            core::Toleration {
                key: s(""),
                operator: s("Exists"),
                value: s(""),
                effect: s(""),
                toleration_seconds: None,
            },
            core::Toleration {
                key: s("dedicated"),
                operator: s("Equal"),
                value: s("gpu"),
                effect: s(""),
                toleration_seconds: Some(30),
            },
        ],
        volumes: vec![
            core::Volume {
                name: s("cfg"),
                volume_source: Some(core::VolumeSource {
                    config_map: Some(core::ConfigMapVolumeSource {
                        local_object_reference: Some(core::LocalObjectReference { name: s("x") }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            },
            core::Volume {
                name: s("scratch"),
                volume_source: Some(core::VolumeSource {
                    empty_dir: Some(Default::default()),
                    ..Default::default()
                }),
            },
        ],
        node_name: s("ip-1"),
        restart_policy: s("Always"),
        ..Default::default()
    }
}

fn pod_spec_json() -> Value {
    json!({"containers": [{"name": "c", "image": "nginx", "env": [{"name": "A", "value": "b"}]}],
        "nodeSelector": {"node-type": "applications"},
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["x"]}]}]}},
            "podAntiAffinity": {}},
        "tolerations": [{"key": "applications", "operator": "Exists", "effect": "NoSchedule"},
            {"operator": "Exists"},
            {"key": "dedicated", "operator": "Equal", "value": "gpu", "tolerationSeconds": 30}],
        "volumes": [{"name": "cfg", "configMap": {"name": "x"}}, {"name": "scratch", "emptyDir": {}}],
        "nodeName": "ip-1", "restartPolicy": "Always"})
}

fn node_condition(type_: &str, status: &str) -> core::NodeCondition {
    core::NodeCondition {
        r#type: s(type_),
        status: s(status),
        reason: s(""),
        message: s(""),
        ..Default::default()
    }
}

fn node_pb() -> core::Node {
    core::Node {
        metadata: Some(meta::ObjectMeta {
            name: s("ip-1"),
            creation_timestamp: at("2026-11-20T10:00:00.5Z"),
            labels: map(&[
                ("karpenter.sh/nodepool", "default"),
                ("node.kubernetes.io/instance-type", "m5.large"),
                ("topology.kubernetes.io/zone", "us-east-1a"),
            ]),
            annotations: map(&[("kup.dev/rotation", "run1/cordoned"), ("other", "x\"y")]),
            ..Default::default()
        }),
        spec: Some(core::NodeSpec {
            unschedulable: Some(true),
            taints: vec![core::Taint {
                key: s("applications"),
                value: s(""),
                effect: s("NoSchedule"),
                time_added: None,
            }],
            provider_id: s("aws:///us-east-1a/i-1"),
            ..Default::default()
        }),
        status: Some(core::NodeStatus {
            node_info: Some(core::NodeSystemInfo {
                kubelet_version: s("v1.24.17-eks-a59e1f0"),
                kube_proxy_version: s("v1.24.17-eks-a59e1f0"),
                architecture: s("amd64"),
                operating_system: s("linux"),
                os_image: s("Amazon Linux 2"),
                ..Default::default()
            }),
            conditions: vec![
                node_condition("MemoryPressure", "False"),
                node_condition("Ready", "Unknown"),
                node_condition("Ready", "True"),
            ],
            images: vec![core::ContainerImage {
                names: vec!["a".into()],
                size_bytes: Some(1),
            }],
            ..Default::default()
        }),
    }
}

fn node_json() -> Value {
    json!({
        "metadata": {"name": "ip-1", "creationTimestamp": "2026-11-20T10:00:00.5Z",
            "labels": {"karpenter.sh/nodepool": "default",
            "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1a"},
            "annotations": {"kup.dev/rotation": "run1/cordoned", "other": "x\"y"}},
        "spec": {"unschedulable": true, "providerID": "aws:///us-east-1a/i-1",
            "taints": [{"key": "applications", "effect": "NoSchedule"}]},
        "status": {"nodeInfo": {"kubeletVersion": "v1.24.17-eks-a59e1f0", "kubeProxyVersion": "v1.24.17-eks-a59e1f0",
            "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "", "kernelVersion": "", "machineID": "",
            "operatingSystem": "linux", "osImage": "Amazon Linux 2", "systemUUID": ""},
            "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "Unknown"},
                {"type": "Ready", "status": "True"}],
            "images": [{"names": ["a"], "sizeBytes": 1}]}
    })
}

#[test]
fn nodes_and_names_match_the_json_page() {
    let bare = core::Node {
        metadata: Some(named("", "ip-2")),
        spec: Some(Default::default()),
        status: Some(Default::default()),
    };
    let bare_json =
        json!({"metadata": {"name": "ip-2", "creationTimestamp": null}, "spec": {}, "status": {}});
    same(
        "NodeList",
        &[node_pb(), bare.clone(), core::Node::default()],
        &[node_json(), bare_json.clone(), json!({})],
        lean::node,
        lean::node,
    );
    same(
        "NodeList",
        &[node_pb(), bare],
        &[node_json(), bare_json],
        lean::name,
        lean::name,
    );
    let namespaces = [
        core::Namespace {
            metadata: Some(named("", "default")),
            ..Default::default()
        },
        core::Namespace {
            metadata: Some(named("", "kube-system")),
            spec: Some(core::NamespaceSpec {
                finalizers: vec!["kubernetes".into()],
            }),
            ..Default::default()
        },
    ];
    let json = [
        json!({"metadata": {"name": "default"}}),
        json!({"metadata": {"name": "kube-system"}, "spec": {"finalizers": ["kubernetes"]}}),
    ];
    same("NamespaceList", &namespaces, &json, lean::name, lean::name);
}

fn sample_pods() -> (Vec<core::Pod>, Vec<Value>) {
    let bare = core::Pod {
        metadata: Some(meta::ObjectMeta {
            uid: s("u1"),
            deletion_timestamp: at("2026-11-20T10:00:00Z"),
            annotations: map(&[
                ("karpenter.sh/do-not-evict", "true"),
                ("kubernetes.io/config.mirror", "h"),
            ]),
            ..named("default", "p")
        }),
        spec: Some(pod_spec_pb()),
        status: Some(core::PodStatus {
            phase: s("Running"),
            conditions: vec![core::PodCondition {
                r#type: s("Ready"),
                status: s("True"),
                ..Default::default()
            }],
            ..Default::default()
        }),
    };
    let bare_json = json!({"metadata": {"name": "p", "namespace": "default", "uid": "u1",
        "deletionTimestamp": "2026-11-20T10:00:00Z",
        "annotations": {"karpenter.sh/do-not-evict": "true", "kubernetes.io/config.mirror": "h"}},
        "spec": pod_spec_json(),
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
    let owner =
        |api: &str, kind: &str, name: &str, controller: Option<bool>| meta::OwnerReference {
            api_version: s(api),
            kind: s(kind),
            name: s(name),
            uid: s("u"),
            controller,
            block_owner_deletion: None,
        };
    let owned = core::Pod {
        metadata: Some(meta::ObjectMeta {
            labels: map(&[("app", "nginx")]),
            annotations: map(&[("karpenter.sh/do-not-disrupt", "false")]),
            owner_references: vec![
                owner("v1", "Node", "n", None),
                owner("apps/v1", "ReplicaSet", "other", Some(false)),
                owner("apps/v1", "ReplicaSet", "nginx-1", Some(true)),
            ],
            ..named("default", "q")
        }),
        spec: Some(pod_spec_pb()),
        // Go writes an empty phase; its JSON leaves it out.
        status: Some(core::PodStatus {
            phase: s(""),
            conditions: vec![core::PodCondition {
                r#type: s("Ready"),
                status: s("False"),
                ..Default::default()
            }],
            ..Default::default()
        }),
    };
    let owned_json = json!({"metadata": {"name": "q", "namespace": "default", "labels": {"app": "nginx"},
        "annotations": {"karpenter.sh/do-not-disrupt": "false"},
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u"},
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "other", "uid": "u", "controller": false},
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "nginx-1", "uid": "u", "controller": true}]},
        "spec": pod_spec_json(), "status": {"conditions": [{"type": "Ready", "status": "False"}]}});
    (
        vec![bare, owned, core::Pod::default()],
        vec![bare_json, owned_json, json!({})],
    )
}

#[test]
fn pods_match_the_json_page_with_and_without_labels() {
    let (pb, json) = sample_pods();
    same(
        "PodList",
        &pb,
        &json,
        lean::pod::<AllLabels>,
        lean::pod::<AllLabels>,
    );
    same(
        "PodList",
        &pb,
        &json,
        lean::pod::<NoLabels>,
        lean::pod::<NoLabels>,
    );
    // The generated PodList encodes the same page.
    let page = envelope(
        "PodList",
        core::PodList {
            metadata: Some(Default::default()),
            items: pb,
        }
        .encode_to_vec(),
    );
    let (mut all, mut none) = (Vec::new(), Vec::new());
    parse_page(&page, &mut |_| {}, lean::pod::<AllLabels>, &mut all).expect("page");
    parse_page(&page, &mut |_| {}, lean::pod::<NoLabels>, &mut none).expect("page");
    assert_eq!(all[1].labels.get("app").map(String::as_str), Some("nginx"));
    assert_eq!(all[0].phase, "Running");
    assert_eq!(
        all[1].phase, "Unknown",
        "an empty phase is absent, as in JSON"
    );
    assert!(all[0].mirror && all[0].do_not_disrupt && all[0].deleting && all[0].uses_empty_dir);
    assert_eq!(
        all[1].owner.as_ref().map(|o| o.name.as_str()),
        Some("nginx-1")
    );
    let tolerations = &all[0].placement.as_ref().expect("no owner").tolerations;
    assert_eq!(
        tolerations[1].key, None,
        "an empty key is absent, as in JSON"
    );
    assert!(none.iter().all(|p| p.labels.is_empty()));
}

#[test]
fn neighbouring_pods_with_equal_labels_share_one_map() {
    let item = |name: &str, app: &str| core::Pod {
        metadata: Some(meta::ObjectMeta {
            labels: map(&[("app", app)]),
            ..named("n", name)
        }),
        ..Default::default()
    };
    let page = list(
        "PodList",
        Default::default(),
        &[
            item("a-1", "a"),
            item("a-2", "a"),
            item("b-1", "b"),
            item("a-3", "a"),
        ],
    );
    let mut out: Vec<Pod> = Vec::new();
    parse_page(&page, &mut |_| {}, lean::pod::<AllLabels>, &mut out).expect("page");
    let next = list("PodList", Default::default(), &[item("b-2", "b")]);
    parse_page(&next, &mut |_| {}, lean::pod::<AllLabels>, &mut out).expect("page");
    let apps: Vec<&str> = out.iter().map(|p| p.labels["app"].as_str()).collect();
    assert_eq!(apps, ["a", "a", "b", "a", "b"]);
    assert!(std::sync::Arc::ptr_eq(&out[0].labels, &out[1].labels));
    assert!(std::sync::Arc::ptr_eq(&out[0].labels, &out[3].labels));
    assert!(std::sync::Arc::ptr_eq(&out[2].labels, &out[4].labels));
    assert!(!std::sync::Arc::ptr_eq(&out[0].labels, &out[2].labels));
}

fn int_or_string_pb(v: Result<i32, &str>) -> Option<intstr::IntOrString> {
    // Go writes all three fields.
    Some(match v {
        Ok(i) => intstr::IntOrString {
            r#type: Some(0),
            int_val: Some(i),
            str_val: s(""),
        },
        Err(text) => intstr::IntOrString {
            r#type: Some(1),
            int_val: Some(0),
            str_val: s(text),
        },
    })
}

#[test]
fn pdbs_match_the_json_page() {
    let a = policy::PodDisruptionBudget {
        metadata: Some(meta::ObjectMeta {
            annotations: map(&[("note", "x")]),
            ..named("n", "a")
        }),
        spec: Some(policy::PodDisruptionBudgetSpec {
            max_unavailable: int_or_string_pb(Ok(1)),
            selector: Some(meta::LabelSelector {
                match_labels: map(&[("app", "a")]),
                match_expressions: vec![meta::LabelSelectorRequirement {
                    key: s("t"),
                    operator: s("Exists"),
                    values: vec![],
                }],
            }),
            ..Default::default()
        }),
        status: Some(policy::PodDisruptionBudgetStatus {
            current_healthy: Some(3),
            desired_healthy: Some(2),
            disruptions_allowed: Some(1),
            expected_pods: Some(3),
            observed_generation: Some(4),
            ..Default::default()
        }),
    };
    let b = policy::PodDisruptionBudget {
        metadata: Some(named("n", "b")),
        spec: Some(policy::PodDisruptionBudgetSpec {
            min_available: int_or_string_pb(Err("50%")),
            ..Default::default()
        }),
        ..Default::default()
    };
    let json = [
        json!({"metadata": {"name": "a", "namespace": "n", "annotations": {"note": "x"}},
            "spec": {"maxUnavailable": 1,
            "selector": {"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "t", "operator": "Exists"}]}},
            "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3,
                "observedGeneration": 4}}),
        json!({"metadata": {"name": "b", "namespace": "n"}, "spec": {"minAvailable": "50%"}}),
    ];
    same(
        "PodDisruptionBudgetList",
        &[a, b],
        &json,
        lean::pdb,
        lean::pdb,
    );
}

fn template_pb() -> Option<core::PodTemplateSpec> {
    Some(core::PodTemplateSpec {
        metadata: Some(meta::ObjectMeta {
            labels: map(&[("app", "a")]),
            ..Default::default()
        }),
        spec: Some(pod_spec_pb()),
    })
}

fn template_json() -> Value {
    json!({"metadata": {"labels": {"app": "a"}}, "spec": pod_spec_json()})
}

fn workload_meta_pb() -> meta::ObjectMeta {
    meta::ObjectMeta {
        annotations: map(&[("deployment.kubernetes.io/revision", "1")]),
        owner_references: vec![meta::OwnerReference {
            api_version: s("apps/v1"),
            kind: s("Deployment"),
            name: s("a"),
            uid: s("u"),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }],
        ..named("n", "a")
    }
}

fn workload_meta_json() -> Value {
    json!({"name": "a", "namespace": "n", "annotations": {"deployment.kubernetes.io/revision": "1"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "a", "uid": "u",
            "controller": true, "blockOwnerDeletion": true}]})
}

fn scaled_json() -> [Value; 2] {
    [
        json!({"metadata": workload_meta_json(), "spec": {"replicas": 3, "selector": {}, "template": template_json()},
            "status": {"readyReplicas": 2, "replicas": 3}}),
        json!({"metadata": {"name": "z"}, "spec": {"selector": {}, "template": {}}}),
    ]
}

#[test]
fn deployments_statefulsets_and_replicasets_match_the_json_page() {
    let deployments = [
        apps::Deployment {
            metadata: Some(workload_meta_pb()),
            spec: Some(apps::DeploymentSpec {
                replicas: Some(3),
                selector: Some(Default::default()),
                template: template_pb(),
                ..Default::default()
            }),
            status: Some(apps::DeploymentStatus {
                ready_replicas: Some(2),
                replicas: Some(3),
                ..Default::default()
            }),
        },
        apps::Deployment {
            metadata: Some(named("", "z")),
            spec: Some(apps::DeploymentSpec {
                selector: Some(Default::default()),
                template: Some(Default::default()),
                ..Default::default()
            }),
            ..Default::default()
        },
    ];
    same(
        "DeploymentList",
        &deployments,
        &scaled_json(),
        deployment,
        lean::deployment,
    );
    let stateful_sets = [
        apps::StatefulSet {
            metadata: Some(workload_meta_pb()),
            spec: Some(apps::StatefulSetSpec {
                replicas: Some(3),
                selector: Some(Default::default()),
                template: template_pb(),
                service_name: s("s"),
                ..Default::default()
            }),
            status: Some(apps::StatefulSetStatus {
                ready_replicas: Some(2),
                replicas: Some(3),
                ..Default::default()
            }),
        },
        apps::StatefulSet {
            metadata: Some(named("", "z")),
            spec: Some(apps::StatefulSetSpec {
                selector: Some(Default::default()),
                template: Some(Default::default()),
                ..Default::default()
            }),
            ..Default::default()
        },
    ];
    same(
        "StatefulSetList",
        &stateful_sets,
        &scaled_json(),
        stateful_set,
        lean::stateful_set,
    );
    let replica_sets = [
        apps::ReplicaSet {
            metadata: Some(workload_meta_pb()),
            spec: Some(apps::ReplicaSetSpec {
                replicas: Some(3),
                selector: Some(Default::default()),
                template: template_pb(),
                ..Default::default()
            }),
            status: Some(apps::ReplicaSetStatus {
                ready_replicas: Some(2),
                replicas: Some(3),
                ..Default::default()
            }),
        },
        apps::ReplicaSet {
            metadata: Some(named("", "z")),
            spec: Some(apps::ReplicaSetSpec {
                selector: Some(Default::default()),
                template: Some(Default::default()),
                ..Default::default()
            }),
            ..Default::default()
        },
    ];
    same(
        "ReplicaSetList",
        &replica_sets,
        &scaled_json(),
        replica_set,
        lean::replica_set,
    );
    // The ready count comes from each kind's own tag.
    let page = list("StatefulSetList", Default::default(), &stateful_sets);
    let mut out = Vec::new();
    parse_page(&page, &mut |_| {}, stateful_set, &mut out).expect("page");
    assert_eq!((out[0].replicas, out[0].ready_replicas), (Some(3), Some(2)));
    assert_eq!(
        out[0].owner.as_ref().map(|o| o.kind.as_str()),
        Some("Deployment")
    );
}

#[test]
fn daemonsets_jobs_and_cronjobs_match_the_json_page() {
    let ds = apps::DaemonSet {
        metadata: Some(named("kube-system", "d")),
        spec: Some(apps::DaemonSetSpec {
            selector: Some(Default::default()),
            template: template_pb(),
            ..Default::default()
        }),
        status: Some(apps::DaemonSetStatus {
            current_number_scheduled: Some(5),
            desired_number_scheduled: Some(5),
            number_misscheduled: Some(0),
            number_ready: Some(4),
            ..Default::default()
        }),
    };
    let ds_json = json!({"metadata": {"name": "d", "namespace": "kube-system"},
        "spec": {"selector": {}, "template": template_json()},
        "status": {"currentNumberScheduled": 5, "desiredNumberScheduled": 5, "numberMisscheduled": 0, "numberReady": 4}});
    same(
        "DaemonSetList",
        &[ds, apps::DaemonSet::default()],
        &[ds_json, json!({})],
        lean::daemon_set,
        lean::daemon_set,
    );

    let job = |name: &str, active: i32| batch::Job {
        metadata: Some(named("n", name)),
        spec: Some(batch::JobSpec {
            parallelism: Some(2),
            template: template_pb(),
            ..Default::default()
        }),
        // Go writes `active` even when 0; its JSON leaves a 0 out.
        status: Some(batch::JobStatus {
            active: Some(active),
            succeeded: Some(0),
            ..Default::default()
        }),
    };
    let jobs_json = [
        json!({"metadata": {"name": "idle", "namespace": "n"},
            "spec": {"parallelism": 2, "template": template_json()}, "status": {}}),
        json!({"metadata": {"name": "busy", "namespace": "n"},
            "spec": {"parallelism": 2, "template": template_json()}, "status": {"active": 3}}),
    ];
    same(
        "JobList",
        &[job("idle", 0), job("busy", 3)],
        &jobs_json,
        lean::job,
        lean::job,
    );

    let cj = batch::CronJob {
        metadata: Some(named("n", "c")),
        spec: Some(batch::CronJobSpec {
            schedule: s("* * * * *"),
            job_template: Some(batch::JobTemplateSpec {
                metadata: Some(Default::default()),
                spec: Some(batch::JobSpec {
                    parallelism: Some(2),
                    template: template_pb(),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let cj_json = json!({"metadata": {"name": "c", "namespace": "n"}, "spec": {"schedule": "* * * * *",
        "jobTemplate": {"metadata": {}, "spec": {"parallelism": 2, "template": template_json()}}}});
    same(
        "CronJobList",
        &[cj, batch::CronJob::default()],
        &[cj_json, json!({})],
        lean::cron_job,
        lean::cron_job,
    );
}

static CONVERTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn counted(n: LeanNode) -> Node {
    CONVERTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    lean::node(n)
}

#[test]
fn metadata_is_reported_before_items() {
    let list_meta = meta::ListMeta {
        self_link: s(""),
        resource_version: s("12345"),
        r#continue: s("abc"),
        remaining_item_count: Some(7),
    };
    let page = list("NodeList", list_meta, &[node_pb(), node_pb()]);
    let mut out = Vec::new();
    let mut seen = None;
    let got = parse_page(
        &page,
        &mut |m| {
            let converted = CONVERTED.load(std::sync::atomic::Ordering::SeqCst);
            seen = Some((m.continue_.clone(), m.remaining_item_count, converted));
        },
        counted,
        &mut out,
    )
    .expect("page");
    assert_eq!(seen, Some((Some("abc".into()), Some(7), 0)));
    assert_eq!(
        (got.continue_.as_deref(), got.remaining_item_count),
        (Some("abc"), Some(7))
    );
    assert_eq!(out.len(), 2);

    // The shape the list path plugs in, next to the JSON `PageParser`.
    let parser: ProtoParser<Node> = |b, m, o| parse_page(b, m, lean::node, o);
    let mut calls = 0;
    parser(&page, &mut |_| calls += 1, &mut out).expect("page");
    assert_eq!((calls, out.len()), (1, 4));

    // The last page: Go writes an empty `continue`, which ends the paging as JSON's absent one.
    let last = meta::ListMeta {
        r#continue: s(""),
        ..Default::default()
    };
    let page = list::<core::Node>("NodeList", last, &[]);
    let got = parse_page(&page, &mut |_| {}, lean::node, &mut out).expect("page");
    assert_eq!((got.continue_, got.remaining_item_count), (None, None));

    // No metadata at all still reports once.
    let page = envelope("NodeList", Vec::new());
    calls = 0;
    parse_page(&page, &mut |_| calls += 1, lean::node, &mut out).expect("empty list");
    assert_eq!(calls, 1);
    assert_eq!(out.len(), 4);
}

#[test]
fn status_bodies_keep_code_reason_and_message() {
    let expired = meta::Status {
        metadata: Some(Default::default()),
        status: s("Failure"),
        message: s(
            "The provided continue parameter is too old to display a consistent list result.",
        ),
        reason: s("Expired"),
        details: None,
        code: Some(410),
    };
    let got = status(&envelope("Status", expired.encode_to_vec())).expect("status");
    assert_eq!(got.code, 410);
    assert_eq!(got.reason, "Expired");
    assert!(got.message.starts_with("The provided continue parameter"));
    assert_eq!(
        got.status,
        Some(kube::core::response::StatusSummary::Failure)
    );

    let throttled = meta::Status {
        status: s("Failure"),
        message: s("Too many requests, please try again later."),
        reason: s("TooManyRequests"),
        details: Some(meta::StatusDetails {
            kind: s("pods"),
            retry_after_seconds: Some(2),
            causes: vec![meta::StatusCause {
                reason: s("r"),
                message: s("m"),
                field: s("f"),
            }],
            ..Default::default()
        }),
        code: Some(429),
        ..Default::default()
    };
    let got = status(&envelope("Status", throttled.encode_to_vec())).expect("status");
    let details = got.details.expect("details");
    assert_eq!((got.code, details.retry_after_seconds), (429, 2));
    assert_eq!(
        (details.kind.as_str(), details.causes[0].field.as_str()),
        ("pods", "f")
    );

    let err = status(&list::<core::Pod>("PodList", Default::default(), &[])).expect_err("a list");
    assert_eq!(
        err.to_string(),
        "the protobuf body holds a PodList, not a Status"
    );
    assert!(status(b"{\"kind\":\"Status\"}").is_err());
}

#[test]
fn every_truncation_is_an_error_and_no_input_panics() {
    let (pods, _) = sample_pods();
    let page = list(
        "PodList",
        meta::ListMeta {
            r#continue: s("abc"),
            ..Default::default()
        },
        &pods,
    );
    // The envelope ends with the empty contentEncoding and contentType (2 bytes each): any
    // cut before them loses part of the list.
    for n in 0..page.len() - 4 {
        let mut out = Vec::new();
        let r = parse_page(&page[..n], &mut |_| {}, lean::pod::<AllLabels>, &mut out);
        assert!(
            r.is_err(),
            "a page cut at {n} of {} bytes was read",
            page.len()
        );
    }
    let mut out = Vec::new();
    let err = parse_page(
        &page[..page.len() - 10],
        &mut |_| {},
        lean::pod::<AllLabels>,
        &mut out,
    )
    .expect_err("cut");
    assert_eq!(
        err.to_string(),
        "truncated protobuf: the envelope's object ends past the body"
    );
    // Cut inside the list object (its declared length kept): the item names itself.
    let raw = {
        let mut raw = Vec::new();
        prost::encoding::message::encode(1, &meta::ListMeta::default(), &mut raw);
        for p in &pods {
            prost::encoding::message::encode(2, p, &mut raw);
        }
        raw
    };
    // The last pod is empty (2 bytes): cutting 3 cuts the second one.
    let cut = envelope("PodList", raw[..raw.len() - 3].to_vec());
    let mut out = Vec::new();
    let err = parse_page(&cut, &mut |_| {}, lean::pod::<AllLabels>, &mut out).expect_err("cut");
    assert_eq!(
        err.to_string(),
        "truncated protobuf: item 2 of the Pod page ends past the body"
    );
    assert_eq!(out.len(), 1, "the items before the cut were read");

    // Flipped bytes: an error or a page, never a panic.
    for i in 0..page.len() {
        for mask in [0x01, 0x80, 0xff] {
            let mut bad = page.clone();
            bad[i] ^= mask;
            let mut out = Vec::new();
            let _ = parse_page(&bad, &mut |_| {}, lean::pod::<AllLabels>, &mut out);
            let _ = parse_page(&bad, &mut |_| {}, lean::pod::<NoLabels>, &mut out);
        }
    }
    let nodes = list("NodeList", Default::default(), &[node_pb()]);
    let expired = envelope(
        "Status",
        meta::Status {
            status: s("Failure"),
            message: s("too old"),
            reason: s("Expired"),
            details: Some(meta::StatusDetails {
                causes: vec![Default::default()],
                ..Default::default()
            }),
            code: Some(410),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    for n in 0..expired.len() - 4 {
        assert!(
            status(&expired[..n]).is_err(),
            "a Status cut at {n} was read"
        );
    }
    for (body, i) in [&nodes, &expired]
        .into_iter()
        .flat_map(|b| (0..b.len()).map(move |i| (b, i)))
    {
        for mask in [0x01, 0x80, 0xff] {
            let mut bad = body.clone();
            bad[i] ^= mask;
            let mut out = Vec::new();
            let _ = parse_page(&bad, &mut |_| {}, lean::node, &mut out);
            let _ = status(&bad);
        }
    }
}

#[test]
fn bodies_that_are_not_protobuf_lists_are_errors() {
    let mut out: Vec<Node> = Vec::new();
    let json = br#"{"kind":"NodeList","items":[]}"#;
    let err = parse_page(json, &mut |_| {}, lean::node, &mut out).expect_err("json");
    assert_eq!(
        err.to_string(),
        "not a Kubernetes protobuf body (no k8s\\0 magic)"
    );

    let one = envelope("Node", node_pb().encode_to_vec());
    let err = parse_page(&one, &mut |_| {}, lean::node, &mut out).expect_err("not a list");
    assert_eq!(
        err.to_string(),
        "the protobuf body holds a Node, not a list"
    );

    let mut gzipped = MAGIC.to_vec();
    Unknown {
        type_meta: Some(TypeMeta {
            api_version: s("v1"),
            kind: s("NodeList"),
        }),
        raw: Some(Vec::new()),
        content_encoding: s("gzip"),
        content_type: s(""),
    }
    .encode(&mut gzipped)
    .expect("encode");
    let err = parse_page(&gzipped, &mut |_| {}, lean::node, &mut out).expect_err("gzip");
    assert!(
        err.to_string().contains("content encoding \"gzip\""),
        "{err}"
    );

    // An item that is not a message of its kind.
    let garbage = envelope("NodeList", vec![0x12, 0x02, 0x0a, 0x05]);
    let err = parse_page(&garbage, &mut |_| {}, lean::node, &mut out).expect_err("garbage");
    assert!(
        err.to_string()
            .starts_with("invalid protobuf in item 1 of the Node page"),
        "{err}"
    );
}

/// An object both wires must refuse, and the protobuf error naming it.
fn refused<P: Message, T: Item, J: DeserializeOwned, M: Collect>(
    kind: &str,
    pb: P,
    json: Value,
    from_pb: fn(T) -> M,
    from_json: fn(J) -> M,
) -> String {
    let body = serde_json::to_vec(&json!({"items": [json]})).expect("json");
    let mut out = Vec::new();
    assert!(
        lean::parse_page(&body, &mut |_| {}, from_json, &mut out).is_err(),
        "JSON accepts {json}"
    );
    let page = list(kind, Default::default(), &[pb]);
    let mut out = Vec::new();
    match parse_page(&page, &mut |_| {}, from_pb, &mut out) {
        Ok(_) => panic!("protobuf accepts what JSON refuses: {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn what_json_refuses_protobuf_refuses_too() {
    let mut node = node_pb();
    node.spec.as_mut().expect("spec").taints[0].effect = None;
    let mut json = node_json();
    json["spec"]["taints"][0]
        .as_object_mut()
        .expect("taint")
        .remove("effect");
    let err = refused("NodeList", node, json, lean::node, lean::node);
    assert_eq!(err, "Node ip-1 (item 1 of the page): taint without effect");

    let mut node = node_pb();
    node.status.as_mut().expect("status").conditions[1].status = None;
    let mut json = node_json();
    json["status"]["conditions"][1]
        .as_object_mut()
        .expect("condition")
        .remove("status");
    let err = refused("NodeList", node, json, lean::node, lean::node);
    assert_eq!(
        err,
        "Node ip-1 (item 1 of the page): condition without status"
    );

    let mut node = node_pb();
    node.status
        .as_mut()
        .expect("status")
        .node_info
        .as_mut()
        .expect("info")
        .kubelet_version = None;
    let mut json = node_json();
    json["status"]["nodeInfo"]
        .as_object_mut()
        .expect("info")
        .remove("kubeletVersion");
    let err = refused("NodeList", node, json, lean::node, lean::node);
    assert!(err.ends_with("nodeInfo without kubeletVersion"), "{err}");

    let (mut pods, mut json) = sample_pods();
    pods[1].metadata.as_mut().expect("meta").owner_references[2].kind = None;
    json[1]["metadata"]["ownerReferences"][2]
        .as_object_mut()
        .expect("owner")
        .remove("kind");
    let err = refused(
        "PodList",
        pods.swap_remove(1),
        json.swap_remove(1),
        lean::pod::<NoLabels>,
        lean::pod::<NoLabels>,
    );
    assert_eq!(
        err,
        "Pod default/q (item 1 of the page): owner reference without kind or name"
    );

    let (mut pods, mut json) = sample_pods();
    let spec = pods[0].spec.as_mut().expect("spec");
    let sel = spec
        .affinity
        .as_mut()
        .expect("affinity")
        .node_affinity
        .as_mut()
        .expect("na");
    sel.required_during_scheduling_ignored_during_execution
        .as_mut()
        .expect("required")
        .node_selector_terms[0]
        .match_expressions[0]
        .operator = None;
    json[0]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"][0]["matchExpressions"][0]
        .as_object_mut()
        .expect("requirement")
        .remove("operator");
    let err = refused(
        "PodList",
        pods.swap_remove(0),
        json.swap_remove(0),
        lean::pod::<AllLabels>,
        lean::pod::<AllLabels>,
    );
    assert!(
        err.ends_with("selector requirement without operator"),
        "{err}"
    );

    let pdb = policy::PodDisruptionBudget {
        metadata: Some(named("n", "a")),
        status: Some(policy::PodDisruptionBudgetStatus {
            current_healthy: Some(1),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = refused(
        "PodDisruptionBudgetList",
        pdb,
        json!({"metadata": {"name": "a"}, "status": {"currentHealthy": 1}}),
        lean::pdb,
        lean::pdb,
    );
    assert!(
        err.starts_with("PodDisruptionBudget n/a (item 1 of the page): status without"),
        "{err}"
    );

    let ds = apps::DaemonSet {
        status: Some(apps::DaemonSetStatus {
            number_ready: Some(1),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = refused(
        "DaemonSetList",
        ds,
        json!({"status": {"numberReady": 1}}),
        lean::daemon_set,
        lean::daemon_set,
    );
    assert_eq!(
        err,
        "DaemonSet without a name (item 1 of the page): status without desiredNumberScheduled"
    );
}

#[test]
fn malformed_values_name_the_object() {
    let mut out = Vec::new();
    let pdb = policy::PodDisruptionBudget {
        metadata: Some(named("n", "odd")),
        spec: Some(policy::PodDisruptionBudgetSpec {
            min_available: Some(intstr::IntOrString {
                r#type: Some(7),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let page = list("PodDisruptionBudgetList", Default::default(), &[pdb]);
    let err = parse_page(&page, &mut |_| {}, lean::pdb, &mut out).expect_err("type 7");
    assert_eq!(
        err.to_string(),
        "PodDisruptionBudget n/odd (item 1 of the page): IntOrString of unknown type 7"
    );

    // An annotation value that is not UTF-8 (prost checks labels; annotations are read by hand).
    let mut raw_meta = Vec::new();
    prost::encoding::string::encode(1, &"p".to_string(), &mut raw_meta);
    prost::encoding::bytes::encode(12, &vec![0x0a, 0x01, b'k', 0x12, 0x01, 0xff], &mut raw_meta);
    let mut pod = Vec::new();
    prost::encoding::bytes::encode(1, &raw_meta, &mut pod);
    let mut raw = Vec::new();
    prost::encoding::bytes::encode(2, &pod, &mut raw);
    let page = envelope("PodList", raw);
    let mut out = Vec::new();
    let err = parse_page(&page, &mut |_| {}, lean::pod::<AllLabels>, &mut out).expect_err("utf-8");
    assert_eq!(
        err.to_string(),
        "Pod p (item 1 of the page): annotation that is not UTF-8"
    );

    let node = core::Node {
        metadata: Some(meta::ObjectMeta {
            creation_timestamp: Some(meta::Time {
                seconds: Some(i64::MAX),
                nanos: Some(0),
            }),
            ..named("", "n")
        }),
        ..Default::default()
    };
    let page = list("NodeList", Default::default(), &[node]);
    let mut out = Vec::new();
    let err = parse_page(&page, &mut |_| {}, lean::node, &mut out).expect_err("time");
    assert!(err.to_string().contains("out of range"), "{err}");
}
