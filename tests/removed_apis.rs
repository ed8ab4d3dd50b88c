//! Removed APIs end to end: `kup check` against kup-sim over HTTP, from each source — Helm
//! release secrets (loaded as a real cluster holds them), the API server's `/metrics` gauge,
//! and EKS insights with their callers — and what happens on 403 and on corrupted secrets.

mod common;

use common::{Sim, SimSpec};
use kup_sim::scenario::helm;
use serde_json::Value;

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
        - userAgent: "argocd-application-controller/v2.4.7"
          requests: 1520
          lastRequest: 2023-11-30T08:00:00Z
"#;

fn workshop(extra: &str) -> String {
    let text = kup_sim::scenario::builtin("workshop").unwrap_or_default();
    format!("{text}\n{extra}")
}

fn at(t: &str) -> jiff::Timestamp {
    t.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// A namespace and a Helm release with two revisions: v1 superseded, v2 deployed; v2's chart
/// still renders a `policy/v1beta1` PodDisruptionBudget (removed in 1.25).
fn helm_manifests() -> String {
    let old = helm::release_secret(
        "shop",
        "web",
        1,
        "superseded",
        ("web", "0.9.0"),
        &helm::manifest("web", true),
        at("2023-01-01T00:00:00Z"),
    );
    let new = helm::release_secret(
        "shop",
        "web",
        2,
        "deployed",
        ("web", "1.0.0"),
        &helm::manifest("web", true),
        at("2023-06-01T00:00:00Z"),
    );
    let clean = helm::release_secret(
        "shop",
        "api",
        1,
        "deployed",
        ("api", "2.0.0"),
        &helm::manifest("api", false),
        at("2023-06-01T00:00:00Z"),
    );
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n{old}\n---\n{new}\n---\n{clean}\n"
    )
}

fn findings(report: &Value, code: &str) -> Vec<Value> {
    report["findings"]
        .as_array()
        .map(|f| f.iter().filter(|f| f["code"] == code).cloned().collect())
        .unwrap_or_default()
}

fn source<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["removedApis"]["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["source"] == name))
        .unwrap_or(&Value::Null)
}

#[test]
fn a_helm_release_that_renders_a_removed_api_blocks() {
    let manifests = helm_manifests();
    let sim = Sim::start(SimSpec {
        yaml: Some(&workshop("")),
        manifests: &[("helm.yaml", &manifests)],
        ..Default::default()
    });
    let run = sim.kup(&["check", "--target", "1.25", "-o", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let r = run.json();
    let f = findings(&r, "KUP-API-001");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["subject"], "helm/shop/web");
    assert_eq!(f[0]["severity"], "error");
    let message = f[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("policy/v1beta1 PodDisruptionBudget"),
        "{message}"
    );
    assert!(
        f[0]["remedy"]
            .as_str()
            .unwrap_or_default()
            .contains("policy/v1")
    );
    // One secret not decoded (superseded), two releases judged, the clean one silent.
    assert_eq!(source(&r, "helm")["state"], "read");
    assert_eq!(
        source(&r, "helm")["detail"],
        "3 release secrets, 2 releases"
    );
    let uses = r["removedApis"]["uses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(uses.len(), 1, "{uses:?}");
    assert_eq!(uses[0]["objects"][0], "PodDisruptionBudget web");

    // Human output: the section names the source and the release.
    let run = sim.kup(&["check", "--target", "1.25"]);
    assert!(
        run.stdout
            .contains("Removed APIs: Helm: 3 release secrets, 2 releases"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("helm/shop/web: PodDisruptionBudget web"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_metrics_gauge_names_a_removed_api_requested() {
    let sim = Sim::start(SimSpec {
        yaml: Some(&workshop(APISERVER)),
        ..Default::default()
    });
    // Before the removal: deprecated, info only.
    let r = sim.kup(&["check", "--target", "1.25", "-o", "json"]).json();
    let info = findings(&r, "KUP-API-004");
    assert_eq!(info.len(), 1, "{r}");
    assert_eq!(
        info[0]["subject"],
        "api/autoscaling/v2beta2/horizontalpodautoscalers"
    );
    assert!(findings(&r, "KUP-API-002").is_empty());
    // At the removal: an error naming the API and the replacement.
    let r = sim.kup(&["check", "--target", "1.26", "-o", "json"]).json();
    let f = findings(&r, "KUP-API-002");
    assert_eq!(f.len(), 1, "{r}");
    assert_eq!(
        f[0]["subject"],
        "api/autoscaling/v2beta2/horizontalpodautoscalers"
    );
    assert!(
        f[0]["remedy"]
            .as_str()
            .unwrap_or_default()
            .contains("autoscaling/v2")
    );
    assert_eq!(
        source(&r, "metrics")["detail"],
        "1 deprecated API requested"
    );
    // Without AWS credentials the insights are not read, and say so.
    assert_eq!(source(&r, "insights")["state"], "notRead");
}

#[test]
fn eks_insights_name_who_still_calls() {
    let sim = Sim::start(SimSpec {
        yaml: Some(&workshop(APISERVER)),
        ..Default::default()
    });
    let run = sim.kup_eks(&["check", "--target", "1.26", "-o", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let r = run.json();
    let f = findings(&r, "KUP-API-003");
    assert_eq!(f.len(), 1, "{r}");
    let message = f[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("called by argocd-application-controller/v2.4.7 (1520 requests in 30 days, last 2023-11-30T08:00:00Z)"),
        "{message}"
    );
    let uses = r["removedApis"]["uses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let from_insights: Vec<&Value> = uses.iter().filter(|u| u["source"] == "insights").collect();
    assert_eq!(from_insights.len(), 1);
    assert_eq!(from_insights[0]["callers"][0]["requestsLast30Days"], 1520);
    assert_eq!(
        from_insights[0]["callers"][0]["lastRequest"],
        "2023-11-30T08:00:00Z"
    );
    // Not a second time as a plain insight finding.
    let plain: Vec<Value> = findings(&r, "KUP-EKS-007")
        .into_iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Deprecated APIs")
        })
        .collect();
    assert!(plain.is_empty(), "{plain:?}");
    // The EKS section keeps the details too.
    let insights = r["eks"]["insights"].as_array().cloned().unwrap_or_default();
    assert!(
        insights.iter().any(|i| i["deprecations"][0]["usage"]
            == "/apis/autoscaling/v2beta2/horizontalpodautoscalers")
    );
}

#[test]
fn forbidden_secrets_and_metrics_are_not_read_not_a_failure() {
    let manifests = helm_manifests();
    let sim = Sim::start(SimSpec {
        yaml: Some(&workshop("apiserver:\n  forbidden: [secrets, /metrics]\n")),
        manifests: &[("helm.yaml", &manifests)],
        ..Default::default()
    });
    let run = sim.kup(&["check", "--target", "1.25", "-o", "json"]);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    let r = run.json();
    assert_eq!(source(&r, "helm")["state"], "notRead");
    assert!(
        source(&r, "helm")["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("forbidden (403)")
    );
    assert_eq!(source(&r, "metrics")["state"], "notRead");
    let not_read = findings(&r, "KUP-API-006");
    let subjects: Vec<&str> = not_read
        .iter()
        .filter_map(|f| f["subject"].as_str())
        .collect();
    assert_eq!(subjects, ["source/helm", "source/metrics"]);
    assert!(not_read.iter().all(|f| f["severity"] == "info"));
    assert!(findings(&r, "KUP-API-001").is_empty());
}

#[test]
fn corrupted_release_secrets_are_named_never_fatal() {
    let secret = |name: &str, data: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1.{name}.v1\n  namespace: shop\n  labels: {{name: {name}, owner: helm, status: deployed, version: \"1\"}}\ntype: helm.sh/release.v1\ndata:\n  release: {data}\n"
        )
    };
    // "bm90IGJhc2U2NCE=" is base64 of "not base64!", which Helm's decoding rejects.
    let manifests = format!(
        "{}---\n{}---\n{}",
        helm_manifests(),
        secret("broken", "bm90IGJhc2U2NCE="),
        secret("plain", "aGVsbG8=") // "hello": base64 inside, neither gzip nor JSON
    );
    let sim = Sim::start(SimSpec {
        yaml: Some(&workshop("")),
        manifests: &[("helm.yaml", &manifests)],
        ..Default::default()
    });
    let run = sim.kup(&["check", "--target", "1.25", "-o", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let r = run.json();
    let bad = findings(&r, "KUP-API-005");
    let subjects: Vec<&str> = bad.iter().filter_map(|f| f["subject"].as_str()).collect();
    assert_eq!(subjects, ["helm/shop/broken", "helm/shop/plain"], "{bad:?}");
    assert!(
        bad[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not Helm's base64")
    );
    // The good releases are still judged.
    assert_eq!(findings(&r, "KUP-API-001").len(), 1);
}
