//! Discovery, /version, auth (401/403), faults, gzip, stats and the handle's helpers.

mod common;
use common::*;
use kup_sim::resources::Kind;
use serde_json::json;
use std::time::{Duration, Instant};

const AGG: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

#[tokio::test]
async fn discovery_documents() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let v = get(a, "/version").await.json();
    assert_eq!(v["major"], "1");
    assert!(v["gitVersion"].as_str().unwrap().starts_with('v'));
    let api = get(a, "/api").await.json();
    assert_eq!(api["kind"], "APIVersions");
    assert_eq!(api["versions"], json!(["v1"]));
    let v1 = get(a, "/api/v1").await.json();
    assert_eq!(v1["groupVersion"], "v1");
    let res: Vec<&str> = v1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for want in [
        "namespaces",
        "nodes",
        "nodes/status",
        "pods",
        "pods/binding",
        "pods/eviction",
        "pods/status",
    ] {
        assert!(res.contains(&want), "{want} missing from {res:?}");
    }
    let pods = v1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods")
        .unwrap();
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["categories"], json!(["all"]));
    assert_eq!(pods["singularName"], "pod");
    let apis = get(a, "/apis").await.json();
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "apps",
            "batch",
            "policy",
            "coordination.k8s.io",
            "karpenter.k8s.aws",
            "karpenter.sh"
        ]
    );
    let k = get(a, "/apis/karpenter.sh").await.json();
    assert_eq!(k["kind"], "APIGroup");
    let vs: Vec<&str> = k["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(vs, ["v1", "v1beta1", "v1alpha5"]);
    let apps = get(a, "/apis/apps/v1").await.json();
    let dep = apps["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "deployments/scale")
        .unwrap();
    assert_eq!(dep["group"], "autoscaling");
    assert_eq!(
        get(a, "/apis/karpenter.sh/v1alpha5").await.json()["resources"][0]["name"],
        "provisioners"
    );

    // Aggregated discovery v2 when asked for (what kubectl 1.37 asks first).
    let r = req(a, "GET", "/apis", &[("Accept", AGG)], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    );
    let agg = r.json();
    assert_eq!(agg["kind"], "APIGroupDiscoveryList");
    assert_eq!(agg["apiVersion"], "apidiscovery.k8s.io/v2");
    let karp = agg["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "karpenter.sh")
        .unwrap();
    assert_eq!(karp["versions"][0]["version"], "v1");
    assert_eq!(
        karp["versions"][0]["resources"][0]["responseKind"],
        json!({"group": "karpenter.sh", "version": "v1", "kind": "NodeClaim"})
    );
    let r = req(a, "GET", "/api", &[("Accept", AGG)], b"").await;
    let core = r.json();
    assert_eq!(core["items"][0]["metadata"], json!({}));
    let pods = core["items"][0]["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "pods")
        .unwrap();
    assert_eq!(pods["scope"], "Namespaced");
    let ev = pods["subresources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subresource"] == "eviction")
        .unwrap();
    assert_eq!(
        ev["responseKind"],
        json!({"group": "policy", "version": "v1", "kind": "Eviction"})
    );
    h.shutdown().await;
}

#[tokio::test]
async fn auth_tokens() {
    let (h, _d) = start_empty(Some("admin-t"), Some("ro-t")).await;
    let a = h.addr;
    load(&h, Kind::Pod, vec![pod("shop", "p", json!({}))]);
    // No or a wrong token: 401 (ref 63).
    for hdr in [vec![], vec![("Authorization", "Bearer wrong")]] {
        let r = req(a, "GET", "/api/v1/nodes", &hdr, b"").await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.json(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
        );
    }
    // /version and /sim/* are public.
    assert_eq!(get(a, "/version").await.status, 200);
    assert_eq!(get(a, "/sim/stats").await.status, 200);
    let admin = [("Authorization", "Bearer admin-t"), ("Content-Type", JSON)];
    let ro = [("Authorization", "Bearer ro-t"), ("Content-Type", JSON)];
    assert_eq!(
        req(a, "GET", "/api/v1/nodes", &admin, b"").await.status,
        200
    );
    assert_eq!(
        req(a, "GET", "/api/v1/namespaces/shop/pods", &ro, b"")
            .await
            .status,
        200
    );
    // Read-only token: 403 on writes, message as refs 64-66.
    let r = req(a, "POST", "/api/v1/namespaces/shop/pods/p/eviction", &ro, br#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p","namespace":"shop"}}"#).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "pods \"p\" is forbidden: User \"system:serviceaccount:kup:readonly\" cannot create resource \"pods/eviction\" in API group \"\" in the namespace \"shop\"",
            "reason": "Forbidden", "details": {"name": "p", "kind": "pods"}, "code": 403})
    );
    let r = req(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        &[("Authorization", "Bearer ro-t"), ("Content-Type", SMP)],
        b"{}",
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .ends_with("cannot patch resource \"nodes\" in API group \"\" at the cluster scope")
    );
    let r = req(
        a,
        "POST",
        "/apis/apps/v1/namespaces/shop/deployments",
        &ro,
        b"{}",
    )
    .await;
    assert_eq!(
        r.json()["details"],
        json!({"group": "apps", "kind": "deployments"})
    );
    assert_eq!(get(a, "/api/v1/namespaces/shop/pods/p").await.status, 401);
    let kc = h.kubeconfig_yaml(Some("admin-t"));
    assert!(kc.contains("current-context: \"arn:aws:eks:"));
    assert!(kc.contains(&format!("server: {}", h.url())));
    assert!(kc.contains("token: \"admin-t\""));
    h.shutdown().await;
}

#[tokio::test]
async fn faults_gzip_and_stats() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(
        &h,
        Kind::Node,
        (0..40)
            .map(|i| node(&format!("n{i}"), json!({"some-label": "some-value"})))
            .collect(),
    );
    // gzip only when asked and big enough.
    let r = req(
        a,
        "GET",
        "/api/v1/nodes",
        &[("Accept-Encoding", "gzip, deflate")],
        b"",
    )
    .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 40);
    let r = get(a, "/api/v1/nodes").await;
    assert!(r.header("content-encoding").is_none());
    let r = req(
        a,
        "GET",
        "/api/v1/nodes/n1",
        &[("Accept-Encoding", "gzip")],
        b"",
    )
    .await;
    assert!(
        r.header("content-encoding").is_none(),
        "small bodies stay plain"
    );

    let put = |body: serde_json::Value| async move {
        send_json(a, "PUT", "/sim/faults", JSON, &body).await
    };
    // 429 with Retry-After.
    assert_eq!(
        put(json!({"rate_429": 1.0, "retry_after_seconds": 7}))
            .await
            .status,
        200
    );
    let r = get(a, "/api/v1/nodes").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.json()["reason"], "TooManyRequests");
    // /sim/* never faults.
    assert_eq!(get(a, "/sim/stats").await.status, 200);
    // 500 and 503.
    put(json!({"rate_500": 1.0})).await;
    let r = get(a, "/api/v1/nodes").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["reason"], "InternalError");
    put(json!({"rate_503": 1.0})).await;
    assert_eq!(get(a, "/api/v1/nodes").await.status, 503);
    // Partial rates: some requests fail, some don't (seeded, so reproducible).
    put(json!({"rate_500": 0.5})).await;
    let mut codes = Vec::new();
    for _ in 0..40 {
        codes.push(get(a, "/api/v1/nodes/n1").await.status);
    }
    assert!(codes.contains(&500) && codes.contains(&200), "{codes:?}");
    // Latency.
    put(json!({"latency_ms": 300})).await;
    let t = Instant::now();
    assert_eq!(get(a, "/api/v1/nodes/n1").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    // Watch cut after N events.
    put(json!({"watch_cut_after_events": 3})).await;
    let mut w = Watch::open(a, "/api/v1/nodes?watch=true", &[]).await;
    for _ in 0..3 {
        assert_eq!(
            w.next(Duration::from_secs(20)).await.expect("event")["type"],
            "ADDED"
        );
    }
    assert!(
        w.next(Duration::from_secs(20)).await.is_none(),
        "stream cut after 3 events"
    );
    let r = put(json!({"rate_429": 3})).await;
    assert_eq!(r.status, 400);
    put(json!({})).await;
    let cfg = get(a, "/sim/faults").await.json();
    assert_eq!(cfg["rate_429"], 0.0);

    // Stats: reset, then count exactly.
    assert_eq!(
        req(a, "POST", "/sim/stats/reset", &[], b"").await.status,
        200
    );
    get(a, "/api/v1/nodes").await;
    get(a, "/api/v1/nodes/n1").await;
    get(a, "/apis").await;
    send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        MERGE,
        &json!({"metadata": {"labels": {"x": "y"}}}),
    )
    .await;
    req(a, "DELETE", "/api/v1/nodes/n2", &[], b"").await;
    let s = get(a, "/sim/stats").await.json();
    assert_eq!(s["requests"]["total"], 5);
    assert_eq!(
        s["requests"]["by_verb"],
        json!({"delete": 1, "get": 1, "list": 1, "patch": 1})
    );
    assert_eq!(s["requests"]["by_resource"]["nodes"], 4);
    assert_eq!(s["requests"]["by_verb_resource"]["patch nodes"], 1);
    assert_eq!(s["writes"], 2);
    for f in [
        "pdb_violations",
        "pods_lost",
        "max_unschedulable_nodes",
        "min_ready_by_pdb",
        "evictions",
    ] {
        assert!(s.get(f).is_some(), "{f} missing");
    }
    assert_eq!(h.stats()["requests"]["total"], 5);
    let t = get(a, "/sim/time").await.json();
    assert!(t["now"].as_str().unwrap().ends_with('Z'));
    assert_eq!(get(a, "/sim/nope").await.status, 404);
    h.shutdown().await;
}
