//! Helm v3 release secrets, decoded one at a time (pure: bytes in, plain data out).
//!
//! Helm's Secrets driver stores `base64(gzip(json(release)))` in `data.release`, and the API
//! serves Secret data base64-encoded again: over raw REST the value is base64 twice
//! (docs/research/upgrade-facts.md §7). Only what the judge needs is kept: the APIs the
//! manifest names that the removal table knows; the decoded bytes are dropped at once.

use super::removals;
use serde::{Deserialize, Serialize};
use std::io::Read as _;

/// The release status Helm gives the revision that is live.
pub const DEPLOYED: &str = "deployed";
/// Largest decompressed release accepted: a chart's release is kilobytes to a few megabytes;
/// more is a corrupt or hostile secret, not a reason to exhaust memory.
const MAX_RELEASE_BYTES: u64 = 64 << 20;

/// The newest deployed revision of one release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub namespace: String,
    pub name: String,
    pub revision: u64,
    /// `NAME-VERSION` of the chart, when the release says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// The manifest's objects whose API the removal table knows.
    pub apis: Vec<ManifestApi>,
}

impl Release {
    pub fn subject(&self) -> String {
        subject(&self.namespace, &self.name)
    }
}

/// One object of a release's manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestApi {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// A release secret that could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unreadable {
    /// `helm/NAMESPACE/RELEASE`.
    pub subject: String,
    pub secret: String,
    pub reason: String,
}

/// `helm/NAMESPACE/RELEASE`.
pub fn subject(namespace: &str, release: &str) -> String {
    format!("helm/{namespace}/{release}")
}

/// The release a secret belongs to: its `name` label, else from the Secret's name
/// (`sh.helm.release.v1.RELEASE.vREVISION`), else the Secret's name.
pub fn release_name<'a>(secret: &'a str, label: Option<&'a str>) -> &'a str {
    if let Some(l) = label.filter(|l| !l.is_empty()) {
        return l;
    }
    secret
        .strip_prefix("sh.helm.release.v1.")
        .and_then(|rest| rest.rsplit_once(".v").map(|(name, _)| name))
        .unwrap_or(secret)
}

#[derive(Deserialize)]
struct ReleaseDoc {
    name: Option<String>,
    namespace: Option<String>,
    version: Option<u64>,
    info: Option<Info>,
    chart: Option<Chart>,
    manifest: Option<String>,
}

#[derive(Deserialize)]
struct Info {
    status: Option<String>,
}

#[derive(Deserialize)]
struct Chart {
    metadata: Option<ChartMeta>,
}

#[derive(Deserialize)]
struct ChartMeta {
    name: Option<String>,
    version: Option<String>,
}

/// One manifest document's head; anything else in it is skipped unread.
#[derive(Deserialize)]
#[serde(untagged)]
enum Doc {
    Object {
        #[serde(rename = "apiVersion")]
        api_version: Option<String>,
        kind: Option<String>,
        metadata: Option<DocMeta>,
    },
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct DocMeta {
    name: Option<String>,
}

/// Decodes one release secret's `data.release` as the API serves it. `Ok(None)`: a revision
/// that is not the deployed one (superseded, failed, ...), which the judge ignores.
pub fn decode(
    namespace: &str,
    secret: &str,
    label_name: Option<&str>,
    data_release: &str,
) -> Result<Option<Release>, Unreadable> {
    let release = release_name(secret, label_name);
    let fail = |reason: String| Unreadable {
        subject: subject(namespace, release),
        secret: secret.to_string(),
        reason,
    };
    let doc = decode_json(data_release).map_err(fail)?;
    if doc.info.as_ref().and_then(|i| i.status.as_deref()) != Some(DEPLOYED) {
        return Ok(None);
    }
    let apis = match doc.manifest.as_deref() {
        Some(m) => manifest_apis(m).map_err(|e| fail(format!("its manifest is not YAML: {e}")))?,
        None => Vec::new(),
    };
    let chart = doc
        .chart
        .and_then(|c| c.metadata)
        .and_then(|m| match (m.name, m.version) {
            (Some(n), Some(v)) => Some(format!("{n}-{v}")),
            (n, _) => n,
        });
    Ok(Some(Release {
        namespace: doc.namespace.unwrap_or_else(|| namespace.to_string()),
        name: doc.name.unwrap_or_else(|| release.to_string()),
        revision: doc.version.unwrap_or(0),
        chart,
        apis,
    }))
}

fn decode_json(data_release: &str) -> Result<ReleaseDoc, String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let helm_text = b64
        .decode(data_release.trim())
        .map_err(|e| format!("data.release is not base64: {e}"))?;
    let mut bytes = b64
        .decode(trim_ascii(&helm_text))
        .map_err(|e| format!("data.release is not Helm's base64 encoding: {e}"))?;
    drop(helm_text);
    // Helm skips decompression when the gzip magic is absent (releases stored uncompressed).
    if bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut json = Vec::new();
        let read = flate2::read::GzDecoder::new(bytes.as_slice())
            .take(MAX_RELEASE_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|e| format!("data.release is not valid gzip: {e}"))?;
        if read as u64 > MAX_RELEASE_BYTES {
            return Err(format!(
                "the release is larger than {} MiB uncompressed",
                MAX_RELEASE_BYTES >> 20
            ));
        }
        bytes = json;
    } else if bytes.first() != Some(&b'{') {
        return Err("data.release is neither gzip nor JSON".into());
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("the release is not JSON: {e}"))
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// The objects of a multi-document manifest whose API the removal table knows.
fn manifest_apis(manifest: &str) -> Result<Vec<ManifestApi>, String> {
    let docs: Vec<Option<Doc>> =
        serde_saphyr::from_str_multiple(manifest).map_err(|e| first_line(&e.to_string()))?;
    let mut out = Vec::new();
    for doc in docs.into_iter().flatten() {
        let Doc::Object {
            api_version: Some(api_version),
            kind: Some(kind),
            metadata,
        } = doc
        else {
            continue;
        };
        let known = removals::REMOVALS
            .iter()
            .any(|r| r.kind == kind && r.api_version() == api_version);
        if known {
            out.push(ManifestApi {
                api_version,
                kind,
                name: metadata.and_then(|m| m.name).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// Keeps the newest revision of each release (by namespace and name), sorted.
pub fn newest_per_release(mut releases: Vec<Release>) -> Vec<Release> {
    releases.sort_by(|a, b| {
        (a.namespace.as_str(), a.name.as_str())
            .cmp(&(b.namespace.as_str(), b.name.as_str()))
            .then(b.revision.cmp(&a.revision))
    });
    releases
        .dedup_by(|later, first| later.namespace == first.namespace && later.name == first.name);
    releases
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use std::io::Write as _;

    /// What the API serves for a release Helm stored: base64(base64(gzip(json))).
    pub(crate) fn served(json: &str) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(json.as_bytes()).unwrap();
        let helm = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        base64::engine::general_purpose::STANDARD.encode(helm)
    }

    fn twice(bytes: &[u8]) -> String {
        let b = base64::engine::general_purpose::STANDARD;
        b.encode(b.encode(bytes))
    }

    const MANIFEST: &str = "---\n# Source: web/templates/cron.yaml\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\n# Source: web/templates/empty.yaml\n---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n";

    fn release_json(status: &str, manifest: &str) -> String {
        serde_json::json!({
            "name": "web", "namespace": "shop", "version": 3,
            "info": {"status": status, "first_deployed": "2024-01-01T00:00:00Z"},
            "chart": {"metadata": {"name": "web", "version": "1.2.0"}},
            "config": {}, "manifest": manifest,
        })
        .to_string()
    }

    #[test]
    fn decodes_a_deployed_release_and_keeps_only_known_apis() {
        let data = served(&release_json("deployed", MANIFEST));
        let r = decode("shop", "sh.helm.release.v1.web.v3", Some("web"), &data)
            .unwrap()
            .unwrap();
        assert_eq!((r.name.as_str(), r.revision), ("web", 3));
        assert_eq!(r.chart.as_deref(), Some("web-1.2.0"));
        let apis: Vec<(&str, &str, &str)> = r
            .apis
            .iter()
            .map(|a| (a.api_version.as_str(), a.kind.as_str(), a.name.as_str()))
            .collect();
        assert_eq!(
            apis,
            [
                ("batch/v1beta1", "CronJob", "nightly"),
                ("policy/v1beta1", "PodDisruptionBudget", "web")
            ]
        );
        assert_eq!(r.subject(), "helm/shop/web");
    }

    #[test]
    fn superseded_revisions_are_not_judged() {
        let data = served(&release_json("superseded", MANIFEST));
        assert_eq!(
            decode("shop", "sh.helm.release.v1.web.v2", None, &data),
            Ok(None)
        );
    }

    #[test]
    fn uncompressed_releases_are_read_as_helm_reads_them() {
        let data = twice(release_json("deployed", "").as_bytes());
        let r = decode("shop", "sh.helm.release.v1.web.v3", None, &data).unwrap();
        assert_eq!(r.map(|r| r.apis.len()), Some(0));
    }

    #[test]
    fn bad_input_names_the_release_and_why() {
        let reason = |data: &str| {
            decode("shop", "sh.helm.release.v1.web.v3", None, data)
                .unwrap_err()
                .reason
        };
        assert!(reason("%%% not base64").starts_with("data.release is not base64"));
        let once = base64::engine::general_purpose::STANDARD.encode("%%%");
        assert!(reason(&once).starts_with("data.release is not Helm's base64"));
        assert!(reason(&twice(b"plain text")).contains("neither gzip nor JSON"));
        assert!(reason(&twice(&[0x1f, 0x8b, 0x08, 0, 1, 2, 3])).contains("not valid gzip"));
        assert!(reason(&served("{\"name\": ")).starts_with("the release is not JSON"));
        let bad_yaml = served(&release_json("deployed", "a: [unclosed\n"));
        assert!(reason(&bad_yaml).starts_with("its manifest is not YAML"));
        let err = decode("shop", "sh.helm.release.v1.web.v3", None, "!").unwrap_err();
        assert_eq!(err.subject, "helm/shop/web");
        assert_eq!(err.secret, "sh.helm.release.v1.web.v3");
    }

    #[test]
    fn release_names_from_labels_or_the_secret_name() {
        assert_eq!(
            release_name("sh.helm.release.v1.my.app.v12", None),
            "my.app"
        );
        assert_eq!(
            release_name("sh.helm.release.v1.web.v3", Some("web")),
            "web"
        );
        assert_eq!(release_name("odd", None), "odd");
    }

    #[test]
    fn newest_revision_wins() {
        let r = |ns: &str, name: &str, rev| Release {
            namespace: ns.into(),
            name: name.into(),
            revision: rev,
            chart: None,
            apis: Vec::new(),
        };
        let kept = newest_per_release(vec![
            r("b", "x", 1),
            r("a", "x", 2),
            r("a", "x", 5),
            r("a", "y", 1),
        ]);
        let got: Vec<(&str, &str, u64)> = kept
            .iter()
            .map(|r| (r.namespace.as_str(), r.name.as_str(), r.revision))
            .collect();
        assert_eq!(got, [("a", "x", 5), ("a", "y", 1), ("b", "x", 1)]);
    }
}
