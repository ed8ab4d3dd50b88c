//! Get/create/replace/delete, subresources and every Status error shape, over HTTP.

mod common;
use common::*;
use kup_sim::resources::Kind;
use serde_json::json;

#[tokio::test]
async fn create_get_and_error_statuses() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let node = node("ip-10-0-0-1.ec2.internal", json!({"a": "b"}));
    let r = send_json(a, "POST", "/api/v1/nodes", JSON, &node).await;
    assert_eq!(r.status, 201);
    let created = r.json();
    assert_eq!(created["kind"], "Node");
    assert!(created["metadata"]["uid"].is_string());
    // Built-ins keep upstream's key order: kind first.
    assert!(
        r.plain_body()
            .starts_with(b"{\"kind\":\"Node\",\"apiVersion\":\"v1\"")
    );

    let r = get(a, "/api/v1/nodes/ip-10-0-0-1.ec2.internal").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["metadata"]["name"], "ip-10-0-0-1.ec2.internal");
    assert!(r.body.ends_with(b"}\n"));

    // 409 AlreadyExists (ref 61)
    let r = send_json(a, "POST", "/api/v1/nodes", JSON, &node).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "nodes \"ip-10-0-0-1.ec2.internal\" already exists", "reason": "AlreadyExists",
            "details": {"name": "ip-10-0-0-1.ec2.internal", "kind": "nodes"}, "code": 409})
    );

    // 404 NotFound (ref 60), with group for non-core kinds
    let r = get(a, "/api/v1/nodes/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["details"],
        json!({"name": "nope", "kind": "nodes"})
    );
    assert_eq!(r.json()["message"], "nodes \"nope\" not found");
    let r = get(a, "/apis/apps/v1/namespaces/test/deployments/nope").await;
    assert_eq!(
        r.json()["details"],
        json!({"name": "nope", "group": "apps", "kind": "deployments"})
    );
    assert_eq!(r.json()["message"], "deployments.apps \"nope\" not found");

    // 422 Invalid (ref 62): details.kind is the Kind
    let bad = pod("test", "Invalid_Name", json!({}));
    let r = send_json(a, "POST", "/api/v1/namespaces/test/pods", JSON, &bad).await;
    assert_eq!(r.status, 422);
    let s = r.json();
    assert_eq!(s["reason"], "Invalid");
    assert_eq!(s["details"]["kind"], "Pod");
    assert_eq!(s["details"]["causes"][0]["field"], "metadata.name");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .starts_with("Pod \"Invalid_Name\" is invalid: metadata.name: Invalid value")
    );
    let mut nocont = pod("test", "ok", json!({}));
    nocont["spec"]["containers"] = json!([]);
    let r = send_json(a, "POST", "/api/v1/namespaces/test/pods", JSON, &nocont).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["details"]["causes"][0]["field"], "spec.containers");

    // 400 malformed JSON (ref 67)
    let r = req(
        a,
        "POST",
        "/api/v1/namespaces/test/pods",
        &[("Content-Type", JSON)],
        b"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("unexpected end of JSON input")
    );

    // 415 (ref 68)
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/ip-10-0-0-1.ec2.internal",
        JSON,
        &json!({"spec": {}}),
    )
    .await;
    assert_eq!(r.status, 415);
    assert_eq!(
        r.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "415: Unsupported Media Type", "reason": "UnsupportedMediaType", "details": {}, "code": 415})
    );

    // 405 for a verb the resource doesn't have
    let r = send_json(
        a,
        "POST",
        "/api/v1/nodes/ip-10-0-0-1.ec2.internal",
        JSON,
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["reason"], "MethodNotAllowed");
    let r = req(
        a,
        "PUT",
        "/api/v1/namespaces/test/pods/x/eviction",
        &[],
        b"{}",
    )
    .await;
    assert_eq!(r.status, 405);

    // Unknown paths: Kubernetes-style 404
    for p in [
        "/api/v1/widgets",
        "/apis/nope.io/v1",
        "/whatever",
        "/api/v1/nodes/a/b/c/d",
        "/apis/karpenter.sh/v1alpha5/nodepools",
    ] {
        let r = get(a, p).await;
        assert_eq!(r.status, 404, "{p}");
        assert_eq!(
            r.json(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "the server could not find the requested resource", "reason": "NotFound", "details": {}, "code": 404})
        );
    }
    h.shutdown().await;
}

#[tokio::test]
async fn generate_name_defaults_replace_and_conflict() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let mut p = pod("test", "", json!({"app": "x"}));
    p["metadata"].as_object_mut().unwrap().remove("name");
    p["metadata"]["generateName"] = json!("web-");
    let r = send_json(a, "POST", "/api/v1/namespaces/test/pods", JSON, &p).await;
    assert_eq!(r.status, 201);
    let created = r.json();
    let name = created["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("web-") && name.len() == 9);
    assert_eq!(created["status"]["phase"], "Pending");
    assert_eq!(created["spec"]["terminationGracePeriodSeconds"], 30);

    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    let r = send_json(
        a,
        "POST",
        "/apis/apps/v1/namespaces/test/deployments",
        JSON,
        &d,
    )
    .await;
    assert_eq!(r.status, 201);
    let dep = r.json();
    assert_eq!(dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
    assert_eq!(dep["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(dep["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(dep["metadata"]["namespace"], "test");
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "Always"
    );

    // Namespace in the body must match the URL.
    let mut wrong = d.clone();
    wrong["metadata"]["namespace"] = json!("other");
    wrong["metadata"]["name"] = json!("web2");
    let r = send_json(
        a,
        "POST",
        "/apis/apps/v1/namespaces/test/deployments",
        JSON,
        &wrong,
    )
    .await;
    assert_eq!(r.status, 400);

    // PUT with a stale resourceVersion: 409 Conflict
    let mut stale = dep.clone();
    stale["spec"]["replicas"] = json!(0);
    stale["metadata"]["resourceVersion"] = json!("1");
    let r = send_json(
        a,
        "PUT",
        "/apis/apps/v1/namespaces/test/deployments/web",
        JSON,
        &stale,
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["reason"], "Conflict");
    assert_eq!(r.json()["details"]["kind"], "deployments");
    // current resourceVersion: accepted, spec change bumps generation, status untouched by PUT
    let current = get(a, "/apis/apps/v1/namespaces/test/deployments/web")
        .await
        .json();
    let mut upd = current.clone();
    upd["spec"]["paused"] = json!(true);
    upd["status"] = json!({"replicas": 99});
    let r = send_json(
        a,
        "PUT",
        "/apis/apps/v1/namespaces/test/deployments/web",
        JSON,
        &upd,
    )
    .await;
    assert_eq!(r.status, 200);
    let out = r.json();
    assert_eq!(out["spec"]["paused"], true);
    assert_eq!(
        out["metadata"]["generation"],
        current["metadata"]["generation"].as_i64().unwrap() + 1
    );
    assert_ne!(out["status"]["replicas"], 99);

    // /status: only status changes
    let mut st = get(a, "/apis/apps/v1/namespaces/test/deployments/web")
        .await
        .json();
    st["status"] = json!({"observedGeneration": 42});
    st["spec"]["paused"] = json!(false);
    let r = send_json(
        a,
        "PUT",
        "/apis/apps/v1/namespaces/test/deployments/web/status",
        JSON,
        &st,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"]["observedGeneration"], 42);
    assert_eq!(r.json()["spec"]["paused"], true);

    // /scale
    let r = get(a, "/apis/apps/v1/namespaces/test/deployments/web/scale").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["kind"], "Scale");
    let r = send_json(
        a,
        "PATCH",
        "/apis/apps/v1/namespaces/test/deployments/web/scale",
        MERGE,
        &json!({"spec": {"replicas": 0}}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["spec"]["replicas"], 0);
    h.shutdown().await;
}

#[tokio::test]
async fn delete_grace_finalizers_binding_and_eviction() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(&h, Kind::Node, vec![node("n1", json!({}))]);
    let mut bound = pod("test", "bound", json!({}));
    bound["spec"]["nodeName"] = json!("n1");
    load(
        &h,
        Kind::Pod,
        vec![
            bound,
            pod("test", "loose", json!({})),
            pod("test", "evictme", json!({})),
        ],
    );

    // Unbound pod: gone at once.
    let r = req(a, "DELETE", "/api/v1/namespaces/test/pods/loose", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        get(a, "/api/v1/namespaces/test/pods/loose").await.status,
        404
    );

    // Bound pod: deletionTimestamp + grace, stays.
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/test/pods/bound",
        &[("Content-Type", JSON)],
        br#"{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":600}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    let p = r.json();
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 600);
    assert!(p["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(
        get(a, "/api/v1/namespaces/test/pods/bound").await.status,
        200
    );
    // uid precondition
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/test/pods/bound",
        &[],
        br#"{"preconditions":{"uid":"nope"}}"#,
    )
    .await;
    assert_eq!(r.status, 409);
    // Force delete with grace 0 (query form).
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/test/pods/bound?gracePeriodSeconds=0",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        get(a, "/api/v1/namespaces/test/pods/bound").await.status,
        404
    );

    // Finalizers keep a node until they are removed.
    let n = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n2", "finalizers": ["example.com/hold"]}});
    assert_eq!(
        send_json(a, "POST", "/api/v1/nodes", JSON, &n).await.status,
        201
    );
    let r = req(a, "DELETE", "/api/v1/nodes/n2", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.json()["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(get(a, "/api/v1/nodes/n2").await.status, 200);
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n2",
        MERGE,
        &json!({"metadata": {"finalizers": null}}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(get(a, "/api/v1/nodes/n2").await.status, 404);

    // Binding (ref 23).
    let b = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "evictme", "namespace": "test"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"}});
    let r = send_json(
        a,
        "POST",
        "/api/v1/namespaces/test/pods/evictme/binding",
        JSON,
        &b,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
    );
    assert_eq!(
        get(a, "/api/v1/namespaces/test/pods/evictme").await.json()["spec"]["nodeName"],
        "n1"
    );

    // Eviction of a missing pod: 404 (ref 50); of an existing one: 201 (ref 44).
    let ev = |n: &str| json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": n, "namespace": "test"}});
    let r = send_json(
        a,
        "POST",
        "/api/v1/namespaces/test/pods/missing/eviction",
        JSON,
        &ev("missing"),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["details"],
        json!({"name": "missing", "kind": "pods"})
    );
    let r = send_json(
        a,
        "POST",
        "/api/v1/namespaces/test/pods/evictme/eviction",
        JSON,
        &ev("evictme"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
    );
    let r = req(
        a,
        "POST",
        "/api/v1/namespaces/test/pods/evictme/eviction",
        &[("Content-Type", JSON)],
        b"{",
    )
    .await;
    assert_eq!(r.status, 400);
    let stats = h.stats();
    assert_eq!(
        stats["requests"]["by_verb_resource"]["create pods/eviction"],
        3
    );
    h.shutdown().await;
}
