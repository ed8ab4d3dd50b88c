//! Helm v3 release secrets as Helm's Secrets driver writes them (helm/helm
//! `pkg/storage/driver/secrets.go`, `util.go`; docs/research/upgrade-facts.md §7): named
//! `sh.helm.release.v1.RELEASE.vREVISION`, type `helm.sh/release.v1`, labels `name`, `owner=helm`,
//! `status`, `version`, `createdAt`, and `data.release` = base64(gzip(release JSON)) — which
//! the API then serves base64-encoded again, as for any Secret data.

use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::io::Write as _;

/// One release revision's Secret. `manifest` is the rendered multi-document YAML.
pub fn release_secret(
    namespace: &str,
    release: &str,
    revision: u64,
    status: &str,
    chart: (&str, &str),
    manifest: &str,
    created: Timestamp,
) -> Value {
    let t = created.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let body = json!({
        "name": release,
        "info": {
            "first_deployed": t, "last_deployed": t, "deleted": "",
            "description": if revision == 1 { "Install complete" } else { "Upgrade complete" },
            "status": status,
        },
        "chart": {
            "metadata": {"name": chart.0, "version": chart.1, "apiVersion": "v2", "appVersion": chart.1, "type": "application"},
            "lock": null, "templates": [], "values": {}, "schema": null, "files": [],
        },
        "config": {},
        "manifest": manifest,
        "version": revision,
        "namespace": namespace,
    });
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(body.to_string().as_bytes());
    let helm = b64.encode(gz.finish().unwrap_or_default());
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": format!("sh.helm.release.v1.{release}.v{revision}"),
            "namespace": namespace,
            "labels": {
                "createdAt": created.as_second().to_string(),
                "name": release,
                "owner": "helm",
                "status": status,
                "version": revision.to_string(),
            },
            "creationTimestamp": t,
        },
        // The value as the API serves it: the bytes Helm stored, base64-encoded.
        "data": {"release": b64.encode(helm)},
        "type": "helm.sh/release.v1",
    })
}

/// A small chart's manifest: a Deployment, and for `legacy` releases a PodDisruptionBudget at
/// `policy/v1beta1` (removed in 1.25), as charts written before 1.21 render it.
pub fn manifest(release: &str, legacy: bool) -> String {
    let mut m = format!(
        "---\n# Source: {release}/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {release}\n  labels:\n    app.kubernetes.io/name: {release}\n    app.kubernetes.io/managed-by: Helm\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {release}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {release}\n    spec:\n      containers:\n      - name: app\n        image: public.ecr.aws/nginx/nginx:1.27\n        ports:\n        - containerPort: 8080\n"
    );
    if legacy {
        m.push_str(&format!(
            "---\n# Source: {release}/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: {release}\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: {release}\n"
        ));
    }
    m
}
