//! Protobuf over HTTP: lists paged with continue (same tokens and counts as JSON), GETs, the
//! envelope, errors as protobuf Statuses, custom resources and watches staying JSON (406 when
//! only protobuf is acceptable), and the protobuf faults.

mod common;
use common::*;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use kup_sim::resources::Kind;
use prost::Message;
use serde_json::{Value, json};
use std::net::SocketAddr;

const KUP: &str = "application/vnd.kubernetes.protobuf, application/json";
const PB: &str = "application/vnd.kubernetes.protobuf";

/// (apiVersion, kind, raw) of an enveloped body.
fn open(body: &[u8]) -> (String, String, Vec<u8>) {
    assert_eq!(&body[..4], b"k8s\x00", "magic number");
    let unk = Unknown::decode(&body[4..]).expect("runtime.Unknown");
    let tm = unk.type_meta.unwrap_or_default();
    (
        tm.api_version.unwrap_or_default(),
        tm.kind.unwrap_or_default(),
        unk.raw.unwrap_or_default(),
    )
}

async fn get_as(a: SocketAddr, path: &str, accept: &str) -> Resp {
    req(
        a,
        "GET",
        path,
        &[("Accept", accept), ("Accept-Encoding", "gzip")],
        b"",
    )
    .await
}

async fn stats(a: SocketAddr) -> Value {
    get(a, "/sim/stats").await.json()
}

async fn faults(a: SocketAddr, v: Value) {
    let r = send_json(a, "PUT", "/sim/faults", "application/json", &v).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

async fn started() -> (kup_sim::SimHandle, tempfile::TempDir) {
    let (h, d) = start_empty(None, None).await;
    let pods = (0..1200)
        .map(|i| {
            pod(
                &format!("ns{}", i % 3),
                &format!("p{i:04}"),
                json!({"app": "web"}),
            )
        })
        .collect();
    load(&h, Kind::Pod, pods);
    (h, d)
}

#[tokio::test]
async fn pods_list_in_protobuf_pages_like_json() {
    let (h, _d) = started().await;
    let a = h.addr;
    let mut pb_names = Vec::new();
    let mut pb_meta = Vec::new();
    let mut path = "/api/v1/pods?limit=500".to_string();
    loop {
        let r = get_as(a, &path, KUP).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(PB));
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        let (av, kind, raw) = open(&r.plain_body());
        assert_eq!((av.as_str(), kind.as_str()), ("v1", "PodList"));
        let list = core::PodList::decode(raw.as_slice()).expect("PodList");
        let m = list.metadata.clone().unwrap_or_default();
        for p in &list.items {
            let md = p.metadata.as_ref().unwrap();
            pb_names.push(format!(
                "{}/{}",
                md.namespace.as_deref().unwrap(),
                md.name.as_deref().unwrap()
            ));
            assert_eq!(
                p.spec.as_ref().unwrap().containers[0].image.as_deref(),
                Some("nginx:1.25")
            );
        }
        let cont = m.r#continue.clone().unwrap_or_default();
        pb_meta.push((list.items.len(), cont.clone(), m.remaining_item_count));
        if cont.is_empty() {
            break;
        }
        path = format!("/api/v1/pods?limit=500&continue={cont}");
    }
    assert_eq!(pb_names.len(), 1200);
    // The JSON path pages the same way: same tokens, same remainingItemCount.
    let mut json_meta = Vec::new();
    let mut json_names = Vec::new();
    let mut path = "/api/v1/pods?limit=500".to_string();
    loop {
        let v = get_as(a, &path, "application/json").await.json();
        let items = v["items"].as_array().unwrap();
        for p in items {
            json_names.push(format!(
                "{}/{}",
                p["metadata"]["namespace"].as_str().unwrap(),
                p["metadata"]["name"].as_str().unwrap()
            ));
        }
        let cont = v["metadata"]["continue"].as_str().unwrap_or("").to_string();
        let rem = v["metadata"]["remainingItemCount"].as_i64();
        json_meta.push((items.len(), cont.clone(), rem));
        if cont.is_empty() {
            break;
        }
        path = format!("/api/v1/pods?limit=500&continue={cont}");
    }
    assert_eq!(pb_names, json_names);
    assert_eq!(pb_meta, json_meta);
    assert_eq!(pb_meta[0].2, Some(700));
    let s = stats(a).await;
    assert_eq!(s["requests"]["by_content_type"][PB], 3);
    assert_eq!(s["requests"]["by_content_type"]["application/json"], 3);
    // Namespaced, and a GET.
    let r = get_as(a, "/api/v1/namespaces/ns1/pods?limit=10", KUP).await;
    let (_, _, raw) = open(&r.plain_body());
    let l = core::PodList::decode(raw.as_slice()).unwrap();
    assert_eq!(l.items.len(), 10);
    assert_eq!(l.metadata.unwrap().remaining_item_count, Some(390));
    let r = get_as(a, "/api/v1/namespaces/ns1/pods/p0001", KUP).await;
    assert_eq!(r.header("content-type"), Some(PB));
    let (av, kind, raw) = open(&r.plain_body());
    assert_eq!((av.as_str(), kind.as_str()), ("v1", "Pod"));
    let p = core::Pod::decode(raw.as_slice()).unwrap();
    let md = p.metadata.unwrap();
    assert_eq!(md.name.as_deref(), Some("p0001"));
    assert_eq!(md.labels.get("app").map(String::as_str), Some("web"));
    assert!(md.creation_timestamp.and_then(|t| t.seconds).is_some());
    // JSON first in Accept: JSON.
    let r = get_as(
        a,
        "/api/v1/namespaces/ns1/pods/p0001",
        "application/json, application/vnd.kubernetes.protobuf",
    )
    .await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    h.shutdown().await;
}

#[tokio::test]
async fn errors_custom_resources_tables_and_watches() {
    let (h, _d) = started().await;
    let a = h.addr;
    // A 404 is a protobuf Status when protobuf is negotiated.
    let r = get_as(a, "/api/v1/namespaces/ns1/pods/nope", KUP).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some(PB));
    let (av, kind, raw) = open(&r.plain_body());
    assert_eq!((av.as_str(), kind.as_str()), ("v1", "Status"));
    let st = meta::Status::decode(raw.as_slice()).unwrap();
    assert_eq!(st.code, Some(404));
    assert_eq!(st.reason.as_deref(), Some("NotFound"));
    assert_eq!(st.message.as_deref(), Some("pods \"nope\" not found"));
    // A write answered in protobuf (kubectl cordon's PATCH asks so).
    let r = req(
        a,
        "PATCH",
        "/api/v1/namespaces/ns1/pods/p0001",
        &[
            ("Accept", KUP),
            ("Content-Type", "application/merge-patch+json"),
        ],
        br#"{"metadata":{"labels":{"patched":"yes"}}}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(PB));
    let (_, kind, raw) = open(&r.plain_body());
    assert_eq!(kind, "Pod");
    let p = core::Pod::decode(raw.as_slice()).unwrap();
    assert_eq!(p.metadata.unwrap().labels["patched"], "yes");
    // Custom resources: JSON when JSON is acceptable...
    let r = get_as(a, "/apis/karpenter.sh/v1/nodepools", KUP).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["kind"], "NodePoolList");
    // ...else 406, whose Status is itself written in protobuf (ErrorNegotiated).
    let r = get_as(a, "/apis/karpenter.sh/v1/nodepools", PB).await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), Some(PB));
    let (_, _, raw) = open(&r.plain_body());
    let st = meta::Status::decode(raw.as_slice()).unwrap();
    assert_eq!(st.reason.as_deref(), Some("NotAcceptable"));
    assert_eq!(
        st.message.as_deref(),
        Some(
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"
        )
    );
    // Nothing servable at all: indented JSON.
    let r = get_as(a, "/api/v1/pods", "text/html").await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(String::from_utf8_lossy(&r.plain_body()).contains("\n  \"kind\": \"Status\""));
    // kubectl get's Table request keeps its Table JSON.
    let r = get_as(
        a,
        "/api/v1/namespaces/ns1/pods?limit=2",
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
    )
    .await;
    assert_eq!(r.json()["kind"], "Table");
    // Watches stay JSON when JSON is acceptable; protobuf-only: 406.
    let mut w = Watch::open(
        a,
        "/api/v1/namespaces/ns1/pods?watch=true",
        &[("Accept", KUP)],
    )
    .await;
    assert_eq!(w.status, 200);
    let ev = w
        .next(std::time::Duration::from_secs(5))
        .await
        .expect("an event");
    assert_eq!(ev["type"], "ADDED");
    let r = get_as(a, "/api/v1/namespaces/ns1/pods?watch=true", PB).await;
    assert_eq!(r.status, 406);
    h.shutdown().await;
}

#[tokio::test]
async fn an_object_that_cannot_be_encoded_is_a_500_naming_it() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let mut bad = pod("test", "odd", json!({}));
    bad["spec"]["containers"][0]["ports"] = json!([{"containerPort": "eighty"}]);
    load(&h, Kind::Pod, vec![bad]);
    let r = get_as(a, "/api/v1/namespaces/test/pods", KUP).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some(PB));
    let (_, _, raw) = open(&r.plain_body());
    let st = meta::Status::decode(raw.as_slice()).unwrap();
    assert_eq!(st.reason.as_deref(), Some("InternalError"));
    assert_eq!(
        st.message.as_deref(),
        Some(
            "unable to encode Pod test/odd as application/vnd.kubernetes.protobuf: spec.containers[0].ports[0].containerPort: expected a 32-bit integer"
        )
    );
    let r = get_as(a, "/api/v1/namespaces/test/pods/odd", KUP).await;
    assert_eq!(r.status, 500);
    // JSON still serves it as stored.
    let r = get_as(a, "/api/v1/namespaces/test/pods", "application/json").await;
    assert_eq!(r.status, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn protobuf_eviction_and_delete_options() {
    let (h, _d) = started().await;
    let a = h.addr;
    let pb_ct = [("Content-Type", PB), ("Accept", KUP)];
    let envelope = |av: &str, kind: &str, raw: Vec<u8>| {
        let unk = Unknown {
            type_meta: Some(k8s_pb::apimachinery::pkg::runtime::TypeMeta {
                api_version: Some(av.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        [b"k8s\x00".to_vec(), unk.encode_to_vec()].concat()
    };
    let ev = k8s_pb::api::policy::v1::Eviction {
        metadata: Some(meta::ObjectMeta {
            name: Some("p0004".into()),
            namespace: Some("ns1".into()),
            ..Default::default()
        }),
        delete_options: Some(meta::DeleteOptions {
            dry_run: vec!["All".into()],
            ..Default::default()
        }),
    };
    let body = envelope("policy/v1", "Eviction", ev.encode_to_vec());
    let r = req(
        a,
        "POST",
        "/api/v1/namespaces/ns1/pods/p0004/eviction",
        &pb_ct,
        &body,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("content-type"), Some(PB));
    assert_eq!(
        stats(a).await["dry_run_writes"],
        1,
        "the protobuf body's dryRun is read"
    );
    assert_eq!(
        get(a, "/api/v1/namespaces/ns1/pods/p0004").await.status,
        200
    );
    let opts = meta::DeleteOptions {
        preconditions: Some(meta::Preconditions {
            uid: Some("not-the-uid".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let body = envelope("meta.k8s.io/v1", "DeleteOptions", opts.encode_to_vec());
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/ns1/pods/p0004",
        &pb_ct,
        &body,
    )
    .await;
    assert_eq!(
        r.status, 409,
        "the precondition is read from the protobuf body"
    );
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/ns1/pods/p0004",
        &pb_ct,
        b"junk",
    )
    .await;
    assert_eq!(r.status, 400);
    h.shutdown().await;
}

#[tokio::test]
async fn protobuf_faults() {
    let (h, _d) = started().await;
    let a = h.addr;
    // A proxy that refuses protobuf: JSON Status, whatever Accept says.
    faults(a, json!({"protobuf_refuse": 406})).await;
    let r = get_as(a, "/api/v1/pods?limit=5", KUP).await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["reason"], "NotAcceptable");
    let r = get_as(a, "/api/v1/pods?limit=5", "application/json").await;
    assert_eq!(r.status, 200);
    faults(a, json!({"protobuf_refuse": 415})).await;
    let r = get_as(a, "/api/v1/pods?limit=5", KUP).await;
    assert_eq!(r.status, 415);
    assert_eq!(r.json()["reason"], "UnsupportedMediaType");
    let r = send_json(
        a,
        "PUT",
        "/sim/faults",
        "application/json",
        &json!({"protobuf_refuse": 500}),
    )
    .await;
    assert_eq!(r.status, 400);
    // The next protobuf page is cut in half; Content-Length matches what is sent.
    faults(a, json!({"corrupt_protobuf_pages": 1})).await;
    let r = req(a, "GET", "/api/v1/pods?limit=500", &[("Accept", KUP)], b"").await;
    assert_eq!(r.status, 200);
    let len: usize = r.header("content-length").unwrap().parse().unwrap();
    assert_eq!(len, r.body.len());
    let whole = get_as(a, "/api/v1/pods?limit=500", KUP).await.plain_body();
    // About half (the world may have written a pod status in between).
    assert!(
        r.body.len() < whole.len() * 3 / 4,
        "{} of {}",
        r.body.len(),
        whole.len()
    );
    assert!(
        Unknown::decode(&r.body[4..]).is_err() || {
            let (_, _, raw) = open(&r.body);
            core::PodList::decode(raw.as_slice()).is_err()
        }
    );
    let (_, _, raw) = open(&whole);
    let l = core::PodList::decode(raw.as_slice()).unwrap();
    assert_eq!(l.items.len(), 500);
    assert_eq!(stats(a).await["requests"]["protobuf_pages_cut"], 1);
    // An expired continue token: 410 as a protobuf Status.
    let cont = l.metadata.unwrap().r#continue.unwrap();
    faults(a, json!({"expire_next_continue": 1})).await;
    let r = get_as(a, &format!("/api/v1/pods?limit=500&continue={cont}"), KUP).await;
    assert_eq!(r.status, 410);
    assert_eq!(r.header("content-type"), Some(PB));
    let (_, _, raw) = open(&r.plain_body());
    let st = meta::Status::decode(raw.as_slice()).unwrap();
    assert_eq!(st.reason.as_deref(), Some("Expired"));
    h.shutdown().await;
}
