//! Fidelity (every stored object survives JSON -> protobuf -> JSON), envelope and decoding.

use super::*;
use crate::state::SimState;
use std::collections::BTreeSet;

/// Where `got` differs from `want`, as a JSON path; null, `[]` and `{}` count as absent
/// (protobuf cannot tell them apart, and Go's JSON encoder omits them).
fn diff(want: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    fn empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(m) => m.is_empty(),
            _ => false,
        }
    }
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let none = Value::Null;
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let (x, y) = (a.get(k).unwrap_or(&none), b.get(k).unwrap_or(&none));
                diff(x, y, &format!("{path}.{k}"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) if empty(a) && empty(b) => {}
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: stored {a} but protobuf gives {b}")),
    }
}

/// Every built-in object of the state: encode, decode, compare. Returns the failures.
fn check_state(label: &str, st: &SimState, seen: &mut BTreeSet<Kind>) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut n = 0;
    for kind in Kind::ALL.into_iter().filter(|k| supports(*k)) {
        for (key, s) in st.store.scan(kind, None, None) {
            n += 1;
            seen.insert(kind);
            let want: Value = serde_json::from_slice(&s.body).unwrap_or_default();
            let what = format!("{label}: {} {key}", kind.name());
            let raw = match encode_item(kind, &s.body) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{what}: cannot encode: {e}"));
                    continue;
                }
            };
            let got = match decode_item(kind, &raw) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{what}: cannot decode: {e}"));
                    continue;
                }
            };
            let mut d = Vec::new();
            diff(&want, &got, "", &mut d);
            failures.extend(d.into_iter().map(|d| format!("{what} {d}")));
        }
    }
    (n, failures)
}

fn state_of(src: crate::scenario::ScenarioSource) -> SimState {
    let sc = crate::scenario::load(&src).unwrap_or_else(|e| panic!("{e}"));
    let mut st = crate::server::build_state(sc, None).unwrap_or_else(|e| panic!("{e}"));
    // Let the world run a few simulated minutes (pods start, controllers write status).
    for _ in 0..40 {
        st.clock.advance(std::time::Duration::from_secs(15));
        crate::world::step(&mut st);
    }
    st
}

#[test]
fn every_object_of_every_builtin_scenario_survives_protobuf() {
    let mut all = Vec::new();
    let mut total = 0;
    let mut seen = BTreeSet::new();
    for name in crate::scenario::BUILTIN_NAMES {
        let text = crate::scenario::builtin(name).unwrap_or_default();
        let st = state_of(crate::scenario::ScenarioSource {
            text: Some((format!("builtin:{name}"), text.to_string())),
            ..Default::default()
        });
        let (n, f) = check_state(name, &st, &mut seen);
        total += n;
        all.extend(f);
    }
    assert!(total > 50, "only {total} objects checked");
    for k in [
        Kind::Pod,
        Kind::Node,
        Kind::Namespace,
        Kind::Deployment,
        Kind::ReplicaSet,
    ] {
        assert!(seen.contains(&k), "no {} checked", k.name());
    }
    assert!(
        all.is_empty(),
        "{} differences:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn every_object_of_a_generated_cluster_survives_protobuf() {
    let st = state_of(crate::scenario::ScenarioSource {
        generate: Some(
            "nodes=12,pods=150,deployments=6,pools=2,daemonsets=4,pdbs=true,helm=2".into(),
        ),
        seed: 7,
        ..Default::default()
    });
    let mut seen = BTreeSet::new();
    let (n, all) = check_state("generated", &st, &mut seen);
    for k in [Kind::DaemonSet, Kind::PodDisruptionBudget, Kind::Secret] {
        assert!(seen.contains(&k), "no {} checked", k.name());
    }
    assert!(n > 150, "only {n} objects checked");
    assert!(
        all.is_empty(),
        "{} differences:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn the_differ_names_a_lost_field() {
    let pod =
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "bogus": 1}]}});
    let raw = encode_value(Kind::Pod, &pod).unwrap();
    let got = decode_item(Kind::Pod, &raw).unwrap();
    let mut d = Vec::new();
    diff(&pod, &got, "", &mut d);
    assert_eq!(
        d,
        vec![".spec.containers[0].bogus: stored 1 but protobuf gives null"]
    );
}

#[test]
fn pod_fields_survive() {
    let pod = json!({
        "metadata": {"name": "p", "namespace": "shop", "uid": "u-1", "resourceVersion": "42",
            "generation": 1, "creationTimestamp": "2026-01-02T03:04:05Z",
            "deletionTimestamp": "2026-01-02T03:05:05Z", "deletionGracePeriodSeconds": 30,
            "labels": {"app": "web"}, "annotations": {"a": "b"}, "finalizers": ["f"],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                "uid": "u-0", "controller": true, "blockOwnerDeletion": true}],
            "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]},
        "spec": {
            "containers": [{"name": "c", "image": "nginx",
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1"}},
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 10},
                "env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
            "initContainers": [{"name": "i", "image": "busybox", "restartPolicy": "Always"}],
            "nodeName": "n1", "nodeSelector": {"pool": "a"},
            "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}],
                    "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}},
                "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
                    "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                        "topologyKey": "kubernetes.io/hostname"}}]}},
            "volumes": [{"name": "e", "emptyDir": {}}, {"name": "cm", "configMap": {"name": "x", "defaultMode": 420}},
                {"name": "s", "secret": {"secretName": "y"}}, {"name": "pvc", "persistentVolumeClaim": {"claimName": "z"}},
                {"name": "h", "hostPath": {"path": "/var", "type": ""}},
                {"name": "t", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            "priority": 1000, "priorityClassName": "high", "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "schedulerName": "default-scheduler",
            "securityContext": {"runAsUser": 1000, "fsGroup": 2000}, "overhead": {"cpu": "10m"}},
        "status": {"phase": "Running", "qosClass": "Burstable", "hostIP": "10.0.0.1",
            "hostIPs": [{"ip": "10.0.0.1"}], "podIP": "10.1.0.1", "podIPs": [{"ip": "10.1.0.1"}],
            "startTime": "2026-01-02T03:04:06Z",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-02T03:04:10Z"}],
            "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0, "image": "nginx",
                "imageID": "", "started": true, "state": {"running": {"startedAt": "2026-01-02T03:04:08Z"}}}]}
    });
    let raw = encode_value(Kind::Pod, &pod).unwrap();
    let got = decode_item(Kind::Pod, &raw).unwrap();
    let mut d = Vec::new();
    diff(&pod, &got, "", &mut d);
    assert!(d.is_empty(), "{d:#?}");
    // `emptyDir: {}` is a present (empty) message, not nothing.
    assert_eq!(got["spec"]["volumes"][0]["emptyDir"], json!({}));
    assert_eq!(got["spec"]["volumes"][1]["configMap"]["name"], "x");
}

#[test]
fn pdb_and_node_fields_survive() {
    let pdb = json!({"metadata": {"name": "p", "namespace": "shop"},
        "spec": {"minAvailable": "50%", "maxUnavailable": 1, "selector": {"matchExpressions": [
            {"key": "app", "operator": "In", "values": ["web"]}]}, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
        "status": {"disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 2, "expectedPods": 3,
            "observedGeneration": 1, "disruptedPods": {"web-1": "2026-01-02T03:04:05Z"},
            "conditions": [{"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                "message": "", "observedGeneration": 1, "lastTransitionTime": "2026-01-02T03:04:05Z"}]}});
    let raw = encode_value(Kind::PodDisruptionBudget, &pdb).unwrap();
    let got = decode_item(Kind::PodDisruptionBudget, &raw).unwrap();
    // disruptionsAllowed 0 stays 0 (an int32 that is present), not absent.
    assert_eq!(got["status"]["disruptionsAllowed"], 0);
    let mut d = Vec::new();
    diff(&pdb, &got, "", &mut d);
    assert!(d.is_empty(), "{d:#?}");
    let node = json!({"metadata": {"name": "n"},
        "spec": {"taints": [{"key": "k", "effect": "NoSchedule", "timeAdded": "2026-01-02T03:04:05Z"}],
            "unschedulable": true, "providerID": "aws:///us-east-1a/i-1", "podCIDR": "10.1.0.0/24"},
        "status": {"capacity": {"cpu": "2", "pods": "29"}, "allocatable": {"cpu": "1930m"},
            "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2026-01-02T03:04:05Z"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
            "nodeInfo": {"kubeletVersion": "v1.30.0", "osImage": "Amazon Linux 2", "architecture": "amd64"},
            "images": [{"names": ["nginx"], "sizeBytes": 1000}]}});
    let raw = encode_value(Kind::Node, &node).unwrap();
    let got = decode_item(Kind::Node, &raw).unwrap();
    let mut d = Vec::new();
    diff(&node, &got, "", &mut d);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn a_field_of_the_wrong_type_is_named() {
    let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c",
        "ports": [{"containerPort": "eighty"}]}]}});
    let e = encode_value(Kind::Pod, &pod).unwrap_err();
    assert_eq!(e.path, "spec.containers[0].ports[0].containerPort");
    let api = encode_error(Kind::Pod, "shop", "p", &e);
    assert_eq!(api.code, 500);
    assert!(
        api.message
            .contains("Pod shop/p as application/vnd.kubernetes.protobuf: spec.containers[0].ports[0].containerPort: expected a 32-bit integer"),
        "{}",
        api.message
    );
    assert!(encode_value(Kind::NodePool, &json!({})).is_err());
}

#[test]
fn envelope_and_list_round_trip() {
    let ns = encode_value(Kind::Namespace, &json!({"metadata": {"name": "a"}})).unwrap();
    let body = envelope("v1", "Namespace", &ns);
    assert_eq!(&body[..4], b"k8s\x00");
    let unk = Unknown::decode(&body[4..]).unwrap();
    let tm = unk.type_meta.clone().unwrap();
    assert_eq!(tm.api_version.as_deref(), Some("v1"));
    assert_eq!(tm.kind.as_deref(), Some("Namespace"));
    assert_eq!(unk.content_type.as_deref(), Some(""));
    assert_eq!(unk.content_encoding.as_deref(), Some(""));
    assert_eq!(unk.raw.as_deref(), Some(ns.as_slice()));
    let meta = meta::ListMeta {
        resource_version: Some("7".into()),
        r#continue: Some("tok".into()),
        remaining_item_count: Some(3),
        ..Default::default()
    };
    let b = encode_value(Kind::Namespace, &json!({"metadata": {"name": "b"}})).unwrap();
    let list = list_envelope("v1", "NamespaceList", &meta, &[ns.clone(), b]);
    let (av, kind, raw) = unwrap(&list).unwrap();
    assert_eq!((av.as_str(), kind.as_str()), ("v1", "NamespaceList"));
    let l = core::v1::NamespaceList::decode(raw.as_slice()).unwrap();
    assert_eq!(l.metadata, Some(meta));
    let names: Vec<_> = l
        .items
        .iter()
        .map(|n| n.metadata.as_ref().unwrap().name.clone().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert!(unwrap(b"{}").is_err());
}

#[test]
fn status_and_request_bodies() {
    let st = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "pods \"x\" not found", "reason": "NotFound",
        "details": {"name": "x", "kind": "pods"}, "code": 404});
    let (av, kind, raw) = unwrap(&status_bytes(&st)).unwrap();
    assert_eq!((av.as_str(), kind.as_str()), ("v1", "Status"));
    let s = meta::Status::decode(raw.as_slice()).unwrap();
    assert_eq!(s.code, Some(404));
    assert_eq!(s.reason.as_deref(), Some("NotFound"));
    assert_eq!(s.details.unwrap().name.as_deref(), Some("x"));
    // A kubectl-style create body.
    let dep = json!({"metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}}}});
    let body = envelope(
        "apps/v1",
        "Deployment",
        &encode_value(Kind::Deployment, &dep).unwrap(),
    );
    let v = decode_body(Kind::Deployment, &body).unwrap();
    assert_eq!(v["kind"], "Deployment");
    assert_eq!(v["apiVersion"], "apps/v1");
    assert_eq!(v["spec"]["replicas"], 0);
    assert_eq!(
        v["spec"]["template"]["spec"]["containers"][0]["resources"],
        json!({})
    );
    assert_eq!(
        decode_body(Kind::Deployment, b"garbage").unwrap_err().code,
        400
    );
    assert_eq!(decode_body(Kind::NodePool, &body).unwrap_err().code, 415);
    // An eviction on pods/eviction.
    let ev = policy::v1::Eviction {
        metadata: Some(meta::ObjectMeta {
            name: Some("p".into()),
            namespace: Some("shop".into()),
            ..Default::default()
        }),
        delete_options: Some(meta::DeleteOptions {
            dry_run: vec!["All".into()],
            ..Default::default()
        }),
    };
    let body = envelope("policy/v1", "Eviction", &ev.encode_to_vec());
    let v = decode_body(Kind::Pod, &body).unwrap();
    assert_eq!(v["kind"], "Eviction");
    assert_eq!(v["deleteOptions"]["dryRun"], json!(["All"]));
}
