//! What kup reads about removed APIs, over HTTP: `/metrics` with the deprecated-API gauge,
//! v1 Secrets (Helm release secrets from `--manifests` and the generator, the `type=` field
//! selector), a scenario's RBAC denial (403), and the EKS insight's `deprecationDetails`.

mod common;

use common::{Resp, get, req};
use kup_sim::scenario::{ScenarioSource, builtin, helm};
use kup_sim::{SimHandle, SimOptions, start};
use serde_json::Value;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";
const CLUSTER: &str = "eks-upgrades-workshop";

const APISERVER: &str = r#"
apiserver:
  deprecatedApiRequests:
    - group: autoscaling
      version: v2beta2
      resource: horizontalpodautoscalers
      removedRelease: "1.26"
      replacedWith: /apis/autoscaling/v2/horizontalpodautoscalers
      startServingReplacementVersion: "1.23"
      clients:
        - userAgent: "kube-controller-manager/v1.25.16"
          requests: 1520
          lastRequest: 2023-11-30T08:00:00Z
    - group: policy
      version: v1beta1
      resource: podsecuritypolicies
      removedRelease: "1.25"
    - version: v1
      resource: componentstatuses
"#;

async fn sim(extra: &str, manifests: Option<&std::path::Path>) -> SimHandle {
    let text = builtin("workshop").unwrap_or_else(|| panic!("no workshop"));
    let opts = SimOptions {
        source: ScenarioSource {
            text: Some(("test".into(), format!("{text}\n{extra}"))),
            manifests: manifests.map(std::path::Path::to_path_buf),
            ..Default::default()
        },
        listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        token: None,
        readonly_token: None,
        noaccess_token: None,
    };
    start(opts).await.unwrap_or_else(|e| panic!("start: {e}"))
}

fn text(r: &Resp) -> String {
    String::from_utf8_lossy(&r.plain_body()).into_owned()
}

#[tokio::test]
async fn metrics_serve_the_deprecated_api_gauge() {
    let h = sim(APISERVER, None).await;
    let r = get(h.addr, "/metrics").await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let body = text(&r);
    let series: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("apiserver_requested_deprecated_apis{"))
        .collect();
    assert_eq!(
        series,
        [
            "apiserver_requested_deprecated_apis{group=\"\",removed_release=\"\",resource=\"componentstatuses\",subresource=\"\",version=\"v1\"} 1",
            "apiserver_requested_deprecated_apis{group=\"autoscaling\",removed_release=\"1.26\",resource=\"horizontalpodautoscalers\",subresource=\"\",version=\"v2beta2\"} 1",
            "apiserver_requested_deprecated_apis{group=\"policy\",removed_release=\"1.25\",resource=\"podsecuritypolicies\",subresource=\"\",version=\"v1beta1\"} 1",
        ]
    );
    assert!(body.contains("# TYPE apiserver_requested_deprecated_apis gauge\n"));
    h.shutdown().await;
}

#[tokio::test]
async fn rbac_denials_are_403_as_the_real_server_words_them() {
    let h = sim("apiserver:\n  forbidden: [secrets, /metrics]\n", None).await;
    let r = get(h.addr, "/metrics").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "forbidden: User \"kubernetes-admin\" cannot get path \"/metrics\""
    );
    let r = get(
        h.addr,
        "/api/v1/secrets?fieldSelector=type%3Dhelm.sh%2Frelease.v1",
    )
    .await;
    assert_eq!(r.status, 403);
    let s = r.json();
    assert_eq!(s["reason"], "Forbidden");
    assert_eq!(
        s["message"],
        "secrets is forbidden: User \"kubernetes-admin\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
    );
    // Other resources stay readable.
    assert_eq!(get(h.addr, "/api/v1/nodes").await.status, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn helm_release_secrets_from_manifests_and_the_type_selector() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let t: jiff::Timestamp = "2023-11-01T00:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let release = helm::release_secret(
        "shop",
        "web",
        2,
        "deployed",
        ("web", "1.0.0"),
        &helm::manifest("web", true),
        t,
    );
    let opaque = serde_json::json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"}, "data": {"password": "aHVudGVyMg=="}});
    std::fs::write(
        dir.path().join("secrets.yaml"),
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n{release}\n---\n{opaque}\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let h = sim("", Some(dir.path())).await;
    let r = get(
        h.addr,
        "/api/v1/secrets?fieldSelector=type%3Dhelm.sh%2Frelease.v1&limit=500",
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let list = r.json();
    assert_eq!(list["kind"], "SecretList");
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["metadata"]["name"], "sh.helm.release.v1.web.v2");
    assert_eq!(items[0]["metadata"]["labels"]["owner"], "helm");
    assert_eq!(items[0]["type"], "helm.sh/release.v1");
    assert_eq!(items[0]["data"]["release"], release["data"]["release"]);
    // A Secret without a type is Opaque, as the API defaults it.
    let r = get(h.addr, "/api/v1/namespaces/shop/secrets/db").await;
    assert_eq!(r.json()["type"], "Opaque");
    let r = get(h.addr, "/api/v1/secrets?fieldSelector=type%3DOpaque").await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));
    h.shutdown().await;
}

#[tokio::test]
async fn the_deprecated_api_insight_names_its_callers() {
    let h = sim(APISERVER, None).await;
    let list = req(
        h.addr,
        "POST",
        &format!("/clusters/{CLUSTER}/insights"),
        &[
            ("Authorization", AUTH),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(list.status, 200, "{}", text(&list));
    let insights = list.json()["insights"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dep = insights
        .iter()
        .find(|i| i["name"] == "Deprecated APIs removed in Kubernetes v1.26")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(dep["insightStatus"]["status"], "ERROR", "{dep}");
    let id = dep["id"].as_str().unwrap_or_default();
    let r = req(
        h.addr,
        "GET",
        &format!("/clusters/{CLUSTER}/insights/{id}"),
        &[("Authorization", AUTH)],
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let details = r.json()["insight"]["categorySpecificSummary"]["deprecationDetails"].clone();
    let d = &details[0];
    assert_eq!(details.as_array().map(Vec::len), Some(1), "{details}");
    assert_eq!(
        d["usage"],
        "/apis/autoscaling/v2beta2/horizontalpodautoscalers"
    );
    assert_eq!(
        d["replacedWith"],
        "/apis/autoscaling/v2/horizontalpodautoscalers"
    );
    assert_eq!(d["stopServingVersion"], "1.26");
    assert_eq!(d["startServingReplacementVersion"], "1.23");
    let c = &d["clientStats"][0];
    assert_eq!(c["userAgent"], "kube-controller-manager/v1.25.16");
    assert_eq!(c["numberOfRequestsLast30Days"], 1520);
    assert_eq!(c["lastRequestTime"].as_f64(), Some(1_701_331_200.0));
    h.shutdown().await;
}

#[test]
fn the_generator_writes_helm_revisions() {
    let src = ScenarioSource {
        generate: Some("nodes=4,pods=40,deployments=4,helm=9".into()),
        now: "2026-01-01T00:00:00Z".parse().ok(),
        ..Default::default()
    };
    let sc = kup_sim::scenario::load(&src).unwrap_or_else(|e| panic!("{e}"));
    let secrets: Vec<&Value> = sc
        .objects
        .iter()
        .filter(|o| o["kind"] == "Secret")
        .collect();
    assert_eq!(secrets.len(), 9);
    let deployed: Vec<&str> = secrets
        .iter()
        .filter(|s| s["metadata"]["labels"]["status"] == "deployed")
        .filter_map(|s| s["metadata"]["name"].as_str())
        .collect();
    // Four revisions per release; the last release has only one.
    assert_eq!(
        deployed,
        [
            "sh.helm.release.v1.app-0.v4",
            "sh.helm.release.v1.app-1.v4",
            "sh.helm.release.v1.app-2.v1"
        ]
    );
}
