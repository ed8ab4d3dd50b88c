//! Removed APIs: what the three sources say is still used (`uses`), judged against the target
//! by the removal table, and the findings made of it. Never the stored version of live
//! objects (the API server converts those on read).

use super::finding::{Code, Finding, Severity};
use crate::apis::removals::{self, Verdict};
use crate::apis::{ApiUsage, ClientStat, Source};
use crate::eks::EksSection;
use crate::model::Snapshot;
use crate::version::Version;
use serde::Serialize;

/// Callers named in a finding's message; the JSON report carries them all.
const CALLERS_SHOWN: usize = 3;

/// Which source says an API is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UseSource {
    Helm,
    Metrics,
    Insights,
}

impl UseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            UseSource::Helm => "helm",
            UseSource::Metrics => "metrics",
            UseSource::Insights => "insights",
        }
    }
}

/// One deprecated or removed API in use, judged at the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiUse {
    pub source: UseSource,
    /// `helm/NAMESPACE/RELEASE` or `api/GROUP/VERSION/RESOURCE`.
    pub subject: String,
    /// `policy/v1beta1 PodDisruptionBudget` or `policy/v1beta1 poddisruptionbudgets`.
    pub api: String,
    pub verdict: Verdict,
    /// `1.25`; None when no removal is scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Helm: the manifest's objects (`PodDisruptionBudget web`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    /// EKS insights: who called in the last 30 days.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub callers: Vec<ClientStat>,
}

fn minor_of(s: &str) -> Option<u32> {
    Version::parse(s)
        .ok()
        .filter(|v| v.major == 1)
        .map(|v| v.minor)
}

/// Judges a REST API by the table, else by the removal release the source gives.
fn judge_resource(
    group: &str,
    version: &str,
    resource: &str,
    removed: Option<&str>,
    target: &Version,
) -> Option<(Verdict, Option<String>, Option<String>)> {
    if let Some(j) = removals::judge_resource(group, version, resource, target) {
        return Some((
            j.verdict,
            j.row.removed.map(|m| format!("1.{m}")),
            Some(j.row.replacement.to_string()),
        ));
    }
    if removals::find_resource(group, version, resource).is_some() {
        return None; // known, not deprecated yet at the target
    }
    // Not in the table (a CRD, a newer removal): the source's own word.
    let removed = removed.filter(|r| !r.is_empty());
    let verdict = match removed.and_then(minor_of) {
        Some(m) if target.major > 1 || target.minor >= m => Verdict::Removed,
        _ => Verdict::Deprecated,
    };
    Some((verdict, removed.map(str::to_string), None))
}

/// Every API use the snapshot shows, judged at `target`, sorted (removed first).
pub fn uses(snapshot: &Snapshot, target: &Version) -> Vec<ApiUse> {
    let mut out = Vec::new();
    if let Some(usage) = &snapshot.apis {
        helm_uses(usage, target, &mut out);
        if let Source::Read(series) = &usage.metrics {
            for s in series {
                let Some((verdict, removed_in, replacement)) = judge_resource(
                    &s.group,
                    &s.version,
                    &s.resource,
                    Some(&s.removed_release),
                    target,
                ) else {
                    continue;
                };
                let gv = if s.group.is_empty() {
                    s.version.clone()
                } else {
                    format!("{}/{}", s.group, s.version)
                };
                out.push(ApiUse {
                    source: UseSource::Metrics,
                    subject: s.subject(),
                    api: format!("{gv} {}", s.resource),
                    verdict,
                    removed_in,
                    replacement,
                    objects: Vec::new(),
                    callers: Vec::new(),
                });
            }
        }
    }
    if let EksSection::Read(info) = &snapshot.eks {
        for insight in info.insights.iter().flatten() {
            for d in &insight.deprecations {
                let Some((g, v, r)) = d.api() else { continue };
                let Some((verdict, removed_in, replacement)) =
                    judge_resource(g, v, r, d.stop_serving_version.as_deref(), target)
                else {
                    continue;
                };
                let gv = if g.is_empty() {
                    v.to_string()
                } else {
                    format!("{g}/{v}")
                };
                out.push(ApiUse {
                    source: UseSource::Insights,
                    subject: d.subject(),
                    api: format!("{gv} {r}"),
                    verdict,
                    removed_in,
                    replacement: replacement.or_else(|| d.replaced_with.clone()),
                    objects: Vec::new(),
                    callers: d.clients.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.verdict != Verdict::Removed, a.source, &a.subject, &a.api).cmp(&(
            b.verdict != Verdict::Removed,
            b.source,
            &b.subject,
            &b.api,
        ))
    });
    out.dedup();
    out
}

fn helm_uses(usage: &ApiUsage, target: &Version, out: &mut Vec<ApiUse>) {
    let Source::Read(scan) = &usage.helm else {
        return;
    };
    for r in &scan.releases {
        let mut mine: Vec<ApiUse> = Vec::new();
        for a in &r.apis {
            let Some(j) = removals::judge_kind(&a.api_version, &a.kind, target) else {
                continue;
            };
            let api = format!("{} {}", a.api_version, a.kind);
            let object = format!("{} {}", a.kind, a.name);
            match mine.iter_mut().find(|u| u.api == api) {
                Some(u) => u.objects.push(object),
                None => mine.push(ApiUse {
                    source: UseSource::Helm,
                    subject: r.subject(),
                    api,
                    verdict: j.verdict,
                    removed_in: j.row.removed.map(|m| format!("1.{m}")),
                    replacement: Some(j.row.replacement.to_string()),
                    objects: vec![object],
                    callers: Vec::new(),
                }),
            }
        }
        out.extend(mine);
    }
}

/// What `uses` shows, as findings, plus unreadable release secrets and unread sources.
pub fn findings(snapshot: &Snapshot, target: &Version) -> Vec<Finding> {
    let Some(usage) = &snapshot.apis else {
        return Vec::new();
    };
    let t = target.minor_str();
    let mut out: Vec<Finding> = uses(snapshot, target)
        .iter()
        .map(|u| finding(u, snapshot, &t))
        .collect();
    if let Source::Read(scan) = &usage.helm {
        for u in &scan.unreadable {
            out.push(Finding::new(
                Code::ApiHelmUnreadable,
                &u.subject,
                format!("release secret {} cannot be decoded: {}", u.secret, u.reason),
                "Check the secret with `kubectl get secret -o yaml`; `helm history` shows the release; a revision Helm cannot read either fails `helm upgrade` too.",
            ));
        }
    }
    for (name, source) in [
        ("metrics", not_read(&usage.metrics)),
        ("helm", not_read(&usage.helm)),
    ] {
        if let Some(reason) = source {
            let (what, grant) = match name {
                "metrics" => (
                    "the API server's /metrics (deprecated-API gauge)",
                    "`get` on the non-resource URL /metrics",
                ),
                _ => (
                    "Helm release secrets",
                    "`list` on secrets (kup lists only type=helm.sh/release.v1)",
                ),
            };
            out.push(Finding::new(
                Code::ApiSourceNotRead,
                format!("source/{name}"),
                format!("{what} not read: {reason}"),
                format!("Grant kup {grant} to judge this source."),
            ));
        }
    }
    out
}

fn not_read<T>(s: &Source<T>) -> Option<&str> {
    match s {
        Source::NotRead { reason } => Some(reason),
        Source::Read(_) => None,
    }
}

fn finding(u: &ApiUse, snapshot: &Snapshot, target: &str) -> Finding {
    let replacement = u
        .replacement
        .as_deref()
        .map(|r| format!("use {r}"))
        .unwrap_or_else(|| "use the API version that replaces it".into());
    let fate = match (u.verdict, &u.removed_in) {
        (Verdict::Removed, Some(r)) => format!("removed in {r}, not served by {target}"),
        (Verdict::Removed, None) => format!("not served by {target}"),
        (Verdict::Deprecated, Some(r)) => {
            format!("deprecated, still served by {target}, removed in {r}")
        }
        (Verdict::Deprecated, None) => format!("deprecated, still served by {target}"),
    };
    let code = match (u.verdict, u.source) {
        (Verdict::Deprecated, _) => Code::ApiDeprecated,
        (_, UseSource::Helm) => Code::ApiRemovedInHelm,
        (_, UseSource::Metrics) => Code::ApiRemovedRequested,
        (_, UseSource::Insights) => Code::ApiRemovedCalled,
    };
    let (message, remedy) = match u.source {
        UseSource::Helm => (
            format!("renders {} ({fate}): {}", u.api, u.objects.join(", ")),
            format!(
                "Upgrade the chart to a version whose templates {replacement}, then `helm upgrade` before the control-plane upgrade (after it, rewrite the stored release with the helm-mapkubeapis plugin)."
            ),
        ),
        UseSource::Metrics => {
            let cp = snapshot.control_plane.version();
            let since = cp
                .map(|v| format!(" (a {} server, since it started)", v.minor_str()))
                .unwrap_or_default();
            (
                format!(
                    "requested {} ({fate}): the API server's apiserver_requested_deprecated_apis gauge is set{since}",
                    u.api
                ),
                format!(
                    "Find the client (audit log events annotated k8s.io/deprecated, or the EKS insight's callers) and {replacement}."
                ),
            )
        }
        UseSource::Insights => {
            let mut callers: Vec<String> = u
                .callers
                .iter()
                .take(CALLERS_SHOWN)
                .map(|c| {
                    let last = c
                        .last_request
                        .map(|t| format!(", last {}", t.strftime("%Y-%m-%dT%H:%M:%SZ")))
                        .unwrap_or_default();
                    format!(
                        "{} ({} requests in 30 days{last})",
                        c.user_agent, c.requests_last_30_days
                    )
                })
                .collect();
            if u.callers.len() > CALLERS_SHOWN {
                callers.push(format!("and {} more", u.callers.len() - CALLERS_SHOWN));
            }
            let by = if callers.is_empty() {
                "no caller named".to_string()
            } else {
                format!("called by {}", callers.join(", "))
            };
            (
                format!("EKS insights: {} ({fate}) {by}", u.api),
                format!("Move those clients off it: {replacement}."),
            )
        }
    };
    let mut f = Finding::new(code, &u.subject, message, remedy);
    if u.verdict == Verdict::Deprecated {
        f.severity = Severity::Info;
    }
    f
}

/// The report's "Removed APIs" section: what each source said, and every API use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Section {
    pub sources: Vec<SourceState>,
    pub uses: Vec<ApiUse>,
}

/// One source: read (with what it held) or why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceState {
    pub source: UseSource,
    /// `read` or `notRead`.
    pub state: &'static str,
    /// What was read (`9 release secrets, 3 releases`) or why not.
    pub detail: String,
}

fn apis_count(n: usize) -> String {
    format!("{n} deprecated API{}", if n == 1 { "" } else { "s" })
}

/// The section, when the command read API usage (`kup check`).
pub fn section(snapshot: &Snapshot, target: &Version) -> Option<Section> {
    let usage = snapshot.apis.as_ref()?;
    let state = |source, s: Option<&str>, read: String| match s {
        Some(reason) => SourceState {
            source,
            state: "notRead",
            detail: reason.to_string(),
        },
        None => SourceState {
            source,
            state: "read",
            detail: read,
        },
    };
    let helm = match &usage.helm {
        Source::Read(scan) => {
            let mut d = format!(
                "{} release secrets, {} releases",
                scan.secrets,
                scan.releases.len()
            );
            if !scan.unreadable.is_empty() {
                d.push_str(&format!(", {} unreadable", scan.unreadable.len()));
            }
            d
        }
        Source::NotRead { .. } => String::new(),
    };
    let metrics = match &usage.metrics {
        Source::Read(series) => format!("{} requested", apis_count(series.len())),
        Source::NotRead { .. } => String::new(),
    };
    let insights = match &snapshot.eks {
        EksSection::Read(info) => match &info.insights {
            Some(list) => SourceState {
                source: UseSource::Insights,
                state: "read",
                detail: format!(
                    "{} called",
                    apis_count(list.iter().map(|i| i.deprecations.len()).sum::<usize>())
                ),
            },
            None => SourceState {
                source: UseSource::Insights,
                state: "notRead",
                detail: "ListInsights failed (see the EKS section)".into(),
            },
        },
        EksSection::Skipped { .. } => SourceState {
            source: UseSource::Insights,
            state: "notRead",
            detail: "EKS not read".into(),
        },
    };
    Some(Section {
        sources: vec![
            state(UseSource::Helm, not_read(&usage.helm), helm),
            state(UseSource::Metrics, not_read(&usage.metrics), metrics),
            insights,
        ],
        uses: uses(snapshot, target),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::helm::{ManifestApi, Release, Unreadable};
    use crate::apis::metrics::DeprecatedRequest;
    use crate::apis::{HelmScan, InsightDeprecation};

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn snapshot() -> Snapshot {
        let mut s = crate::checks::fixtures::workshop();
        s.eks = EksSection::Read(Box::new(crate::checks::fixtures::workshop_eks()));
        let release = Release {
            namespace: "shop".into(),
            name: "web".into(),
            revision: 4,
            chart: Some("web-1.0.0".into()),
            apis: vec![
                ManifestApi {
                    api_version: "policy/v1beta1".into(),
                    kind: "PodDisruptionBudget".into(),
                    name: "web".into(),
                },
                ManifestApi {
                    api_version: "autoscaling/v2beta2".into(),
                    kind: "HorizontalPodAutoscaler".into(),
                    name: "web".into(),
                },
            ],
        };
        s.apis = Some(ApiUsage {
            metrics: Source::Read(vec![DeprecatedRequest {
                group: "batch".into(),
                version: "v1beta1".into(),
                resource: "cronjobs".into(),
                subresource: String::new(),
                removed_release: "1.25".into(),
            }]),
            helm: Source::Read(HelmScan {
                secrets: 5,
                releases: vec![release],
                unreadable: vec![Unreadable {
                    subject: "helm/shop/broken".into(),
                    secret: "sh.helm.release.v1.broken.v1".into(),
                    reason: "the release is not JSON: EOF".into(),
                }],
            }),
        });
        if let EksSection::Read(info) = &mut s.eks
            && let Some(i) = info.insights.as_mut().and_then(|i| i.first_mut())
        {
            i.deprecations = vec![InsightDeprecation {
                usage: "/apis/autoscaling/v2beta2/horizontalpodautoscalers".into(),
                replaced_with: Some("/apis/autoscaling/v2/horizontalpodautoscalers".into()),
                stop_serving_version: Some("1.26".into()),
                start_serving_replacement_version: Some("1.23".into()),
                clients: vec![ClientStat {
                    user_agent: "argocd/v2.4".into(),
                    requests_last_30_days: 1520,
                    last_request: "2023-11-30T08:00:00Z".parse().ok(),
                }],
            }];
        }
        s
    }

    fn pairs(f: &[Finding]) -> Vec<(&str, Severity, &str)> {
        f.iter()
            .map(|f| (f.code.as_str(), f.severity, f.subject.as_str()))
            .collect()
    }

    #[test]
    fn each_source_at_the_workshops_next_minor() {
        let f = findings(&snapshot(), &v("1.25"));
        assert_eq!(
            pairs(&f),
            [
                ("KUP-API-001", Severity::Error, "helm/shop/web"),
                ("KUP-API-002", Severity::Error, "api/batch/v1beta1/cronjobs"),
                ("KUP-API-004", Severity::Info, "helm/shop/web"),
                (
                    "KUP-API-004",
                    Severity::Info,
                    "api/autoscaling/v2beta2/horizontalpodautoscalers"
                ),
                ("KUP-API-005", Severity::Warning, "helm/shop/broken"),
            ]
        );
        assert!(
            f[0].message.contains("policy/v1beta1 PodDisruptionBudget"),
            "{}",
            f[0].message
        );
        assert!(f[0].remedy.contains("policy/v1"), "{}", f[0].remedy);
        assert!(
            f[3].message
                .contains("argocd/v2.4 (1520 requests in 30 days, last 2023-11-30T08:00:00Z)"),
            "{}",
            f[3].message
        );
    }

    #[test]
    fn a_later_target_removes_more() {
        let f = findings(&snapshot(), &v("1.26"));
        let codes: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "KUP-API-001",
                "KUP-API-001",
                "KUP-API-002",
                "KUP-API-003",
                "KUP-API-005"
            ]
        );
        assert!(
            f[3].message.contains("called by argocd/v2.4"),
            "{}",
            f[3].message
        );
        assert!(f[3].remedy.contains("autoscaling/v2"));
    }

    #[test]
    fn unread_sources_say_so_and_nothing_else_is_judged() {
        let mut s = snapshot();
        s.apis = Some(ApiUsage {
            metrics: Source::NotRead {
                reason: "forbidden (403): no".into(),
            },
            helm: Source::NotRead {
                reason: "forbidden (403): no".into(),
            },
        });
        s.eks = EksSection::default();
        let f = findings(&s, &v("1.30"));
        assert_eq!(
            pairs(&f),
            [
                ("KUP-API-006", Severity::Info, "source/metrics"),
                ("KUP-API-006", Severity::Info, "source/helm"),
            ]
        );
        s.apis = None;
        assert!(findings(&s, &v("1.30")).is_empty());
    }

    #[test]
    fn apis_unknown_to_the_table_use_the_sources_removal_release() {
        let mut s = snapshot();
        s.apis = Some(ApiUsage {
            metrics: Source::Read(vec![DeprecatedRequest {
                group: "example.com".into(),
                version: "v1alpha1".into(),
                resource: "widgets".into(),
                subresource: String::new(),
                removed_release: "1.31".into(),
            }]),
            helm: Source::Read(HelmScan::default()),
        });
        let verdict = |t: &str| {
            uses(&s, &v(t))
                .iter()
                .find(|u| u.source == UseSource::Metrics)
                .map(|u| u.verdict)
        };
        assert_eq!(verdict("1.30"), Some(Verdict::Deprecated));
        assert_eq!(verdict("1.31"), Some(Verdict::Removed));
    }
}
