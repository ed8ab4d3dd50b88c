//! List: label and field selectors (every operator), limit/continue with remainingItemCount,
//! list shapes for built-ins and custom resources, and 5,000 nodes read in pages of 500.

mod common;
use common::*;
use kup_sim::resources::Kind;
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn label_and_field_selectors() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(
        &h,
        Kind::Node,
        vec![
            node("n1", json!({"node-type": "applications", "zone": "a"})),
            node("n2", json!({"node-type": "system", "zone": "b"})),
            node("n3", json!({"zone": "c"})),
        ],
    );
    h.shared
        .lock()
        .unwrap()
        .store
        .update(Kind::Node, "", "n2", &mut |n| {
            n["spec"]["unschedulable"] = json!(true)
        })
        .unwrap();
    let sel =
        |q: &'static str| async move { names(&get(a, &format!("/api/v1/nodes?{q}")).await.json()) };
    assert_eq!(sel("labelSelector=node-type%3Dapplications").await, ["n1"]);
    assert_eq!(sel("labelSelector=node-type%3D%3Dsystem").await, ["n2"]);
    assert_eq!(sel("labelSelector=node-type!%3Dsystem").await, ["n1", "n3"]);
    assert_eq!(sel("labelSelector=zone+in+(a,c)").await, ["n1", "n3"]);
    assert_eq!(sel("labelSelector=zone%20notin%20(a,c)").await, ["n2"]);
    assert_eq!(sel("labelSelector=node-type").await, ["n1", "n2"]);
    assert_eq!(sel("labelSelector=!node-type").await, ["n3"]);
    assert_eq!(
        sel("labelSelector=zone,node-type!%3Dapplications").await,
        ["n2", "n3"]
    );
    assert_eq!(sel("fieldSelector=spec.unschedulable%3Dtrue").await, ["n2"]);
    assert_eq!(
        sel("fieldSelector=spec.unschedulable!%3Dtrue").await,
        ["n1", "n3"]
    );
    assert_eq!(sel("fieldSelector=metadata.name%3D%3Dn3").await, ["n3"]);
    let r = get(a, "/api/v1/nodes?fieldSelector=spec.bogus%3Dx").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    let r = get(a, "/api/v1/nodes?labelSelector=zone+~+x").await;
    assert_eq!(r.status, 400);

    let mut p1 = pod("shop", "p1", json!({"app": "web"}));
    p1["spec"]["nodeName"] = json!("n1");
    load(
        &h,
        Kind::Pod,
        vec![
            p1,
            pod("shop", "p2", json!({"app": "web"})),
            pod("other", "p3", json!({})),
        ],
    );
    h.shared
        .lock()
        .unwrap()
        .store
        .update(Kind::Pod, "shop", "p1", &mut |p| {
            p["status"]["phase"] = json!("Running")
        })
        .unwrap();
    let pods = |q: &'static str| async move { names(&get(a, q).await.json()) };
    assert_eq!(
        pods("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1").await,
        ["p1"]
    );
    assert_eq!(
        pods("/api/v1/pods?fieldSelector=status.phase%3DRunning").await,
        ["p1"]
    );
    assert_eq!(
        pods("/api/v1/pods?fieldSelector=metadata.namespace%3Dother").await,
        ["p3"]
    );
    assert_eq!(
        pods("/api/v1/namespaces/shop/pods?fieldSelector=metadata.name!%3Dp1").await,
        ["p2"]
    );
    assert_eq!(pods("/api/v1/namespaces/shop/pods").await, ["p1", "p2"]);
    h.shutdown().await;
}

#[tokio::test]
async fn list_shapes_builtin_and_custom() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(&h, Kind::Node, vec![node("n1", json!({}))]);
    let r = get(a, "/api/v1/nodes").await;
    let body = r.plain_body();
    assert!(body.starts_with(
        b"{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\""
    ));
    let l = r.json();
    // Built-in list items carry no apiVersion/kind.
    assert!(l["items"][0].get("kind").is_none() && l["items"][0].get("apiVersion").is_none());
    assert!(l["metadata"].get("continue").is_none());

    let np = json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
        "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}}}}});
    let r = send_json(a, "POST", "/apis/karpenter.sh/v1/nodepools", JSON, &np).await;
    assert_eq!(r.status, 201);
    assert!(
        r.plain_body()
            .starts_with(b"{\"apiVersion\":\"karpenter.sh/v1\",\"kind\":\"NodePool\"")
    );
    for v in ["v1", "v1beta1"] {
        let r = get(a, &format!("/apis/karpenter.sh/{v}/nodepools")).await;
        let l = r.json();
        assert_eq!(l["apiVersion"], format!("karpenter.sh/{v}"));
        assert_eq!(l["kind"], "NodePoolList");
        assert_eq!(l["metadata"]["continue"], "");
        // CR list items repeat apiVersion/kind, at the version asked for.
        assert_eq!(l["items"][0]["apiVersion"], format!("karpenter.sh/{v}"));
        assert_eq!(l["items"][0]["kind"], "NodePool");
        assert!(
            r.plain_body().starts_with(
                format!("{{\"apiVersion\":\"karpenter.sh/{v}\",\"items\":[").as_bytes()
            )
        );
        let one = get(a, &format!("/apis/karpenter.sh/{v}/nodepools/default"))
            .await
            .json();
        assert_eq!(one["apiVersion"], format!("karpenter.sh/{v}"));
    }
    let r = get(a, "/apis/karpenter.sh/v1alpha5/provisioners").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["items"], json!([]));
    h.shutdown().await;
}

#[tokio::test]
async fn paging_with_continue_and_remaining_count() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(
        &h,
        Kind::Node,
        vec![
            node("a", json!({})),
            node("b", json!({"x": "1"})),
            node("c", json!({})),
            node("d", json!({"x": "1"})),
        ],
    );
    let p1 = get(a, "/api/v1/nodes?limit=1").await.json();
    assert_eq!(names(&p1), ["a"]);
    assert_eq!(p1["metadata"]["remainingItemCount"], 3);
    let tok = p1["metadata"]["continue"].as_str().unwrap().to_string();
    // Upstream form: unpadded base64url JSON with v, rv and start (name + NUL).
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&tok)
        .unwrap();
    let doc: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(doc["v"], "meta.k8s.io/v1");
    assert_eq!(doc["start"], "a\u{0}");
    assert_eq!(
        doc["rv"].as_u64().unwrap().to_string(),
        p1["metadata"]["resourceVersion"].as_str().unwrap()
    );
    let p2 = get(a, &format!("/api/v1/nodes?limit=2&continue={tok}"))
        .await
        .json();
    assert_eq!(names(&p2), ["b", "c"]);
    assert_eq!(p2["metadata"]["remainingItemCount"], 1);
    let tok = p2["metadata"]["continue"].as_str().unwrap().to_string();
    let p3 = get(a, &format!("/api/v1/nodes?limit=2&continue={tok}"))
        .await
        .json();
    assert_eq!(names(&p3), ["d"]);
    // Last page: neither continue nor remainingItemCount.
    assert!(
        p3["metadata"].get("continue").is_none()
            && p3["metadata"].get("remainingItemCount").is_none()
    );
    // With a selector, remainingItemCount counts matching items only.
    let s1 = get(a, "/api/v1/nodes?limit=1&labelSelector=x").await.json();
    assert_eq!(names(&s1), ["b"]);
    assert_eq!(s1["metadata"]["remainingItemCount"], 1);
    let r = get(a, "/api/v1/nodes?limit=1&continue=garbage!").await;
    assert_eq!(r.status, 400);

    // Namespaced lists page by name within the namespace.
    load(
        &h,
        Kind::Pod,
        (0..5)
            .map(|i| pod("shop", &format!("p{i}"), json!({})))
            .collect(),
    );
    load(&h, Kind::Pod, vec![pod("aaa", "first", json!({}))]);
    let mut seen = Vec::new();
    let mut path = "/api/v1/namespaces/shop/pods?limit=2".to_string();
    loop {
        let l = get(a, &path).await.json();
        seen.extend(names(&l));
        match l["metadata"]["continue"].as_str() {
            Some(t) => path = format!("/api/v1/namespaces/shop/pods?limit=2&continue={t}"),
            None => break,
        }
    }
    assert_eq!(seen, ["p0", "p1", "p2", "p3", "p4"]);
    h.shutdown().await;
}

#[tokio::test]
async fn five_thousand_nodes_in_pages_of_500_gzip() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let nodes: Vec<Value> = (0..5000)
        .map(|i| {
            node(
                &format!(
                    "ip-10-{}-{}-{}.ec2.internal",
                    i / 65536,
                    (i / 256) % 256,
                    i % 256
                ),
                json!({"pool": format!("p{}", i % 4)}),
            )
        })
        .collect();
    load(&h, Kind::Node, nodes);
    let r = req(a, "POST", "/sim/stats/reset", &[], b"").await;
    assert_eq!(r.status, 200);
    let mut total = 0;
    let mut pages = 0;
    let mut path = "/api/v1/nodes?limit=500".to_string();
    let mut expected_remaining = 4500i64;
    loop {
        let r = req(a, "GET", &path, &[("Accept-Encoding", "gzip")], b"").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        let l = r.json();
        pages += 1;
        total += l["items"].as_array().unwrap().len();
        match l["metadata"]["continue"].as_str() {
            Some(t) => {
                assert_eq!(l["metadata"]["remainingItemCount"], expected_remaining);
                expected_remaining -= 500;
                path = format!("/api/v1/nodes?limit=500&continue={t}");
            }
            None => break,
        }
    }
    assert_eq!(total, 5000);
    assert_eq!(pages, 10);
    let stats = get(a, "/sim/stats").await.json();
    assert_eq!(stats["requests"]["by_verb_resource"]["list nodes"], 10);
    assert_eq!(stats["requests"]["by_verb"]["list"], 10);
    assert_eq!(stats["requests"]["total"], 10);
    assert_eq!(stats["writes"], 0);
    assert!(stats["bytes_sent"].as_u64().unwrap() > 10_000);
    h.shutdown().await;
}
