//! `GET /metrics`: the Prometheus text exposition of the one metric kup reads,
//! `apiserver_requested_deprecated_apis`, with the series the scenario sets
//! (`apiserver.deprecatedApiRequests`). HELP/TYPE lines and label order (alphabetical) as the
//! real server prints them; a gauge with no series is not printed at all.

use crate::scenario::ApiServerSettings;
use std::fmt::Write as _;

/// The exposition format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn render(settings: &ApiServerSettings) -> String {
    let mut out = String::new();
    let mut series: Vec<String> = settings
        .deprecated_api_requests
        .iter()
        .map(|r| {
            format!(
                "apiserver_requested_deprecated_apis{{group=\"{}\",removed_release=\"{}\",resource=\"{}\",subresource=\"{}\",version=\"{}\"}} 1\n",
                escape(&r.group),
                escape(&r.removed_release),
                escape(&r.resource),
                escape(&r.subresource),
                escape(&r.version)
            )
        })
        .collect();
    series.sort();
    series.dedup();
    if !series.is_empty() {
        out.push_str("# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.\n");
        out.push_str("# TYPE apiserver_requested_deprecated_apis gauge\n");
        for s in series {
            out.push_str(&s);
        }
    }
    // A line every real server has, so an empty gauge is still a well-formed exposition.
    let _ = writeln!(
        out,
        "# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.\n# TYPE apiserver_storage_objects gauge"
    );
    out
}

/// Label values escape `\`, `"` and newlines.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::apiserver::DeprecatedApiRequest;

    #[test]
    fn series_sorted_with_labels_in_order() {
        let req = |g: &str, v: &str, r: &str, rel: &str| DeprecatedApiRequest {
            group: g.into(),
            version: v.into(),
            resource: r.into(),
            subresource: String::new(),
            removed_release: rel.into(),
            replaced_with: String::new(),
            start_serving_replacement_version: String::new(),
            clients: Vec::new(),
        };
        let s = ApiServerSettings {
            deprecated_api_requests: vec![
                req("policy", "v1beta1", "podsecuritypolicies", "1.25"),
                req("", "v1", "componentstatuses", ""),
            ],
            forbidden: Vec::new(),
        };
        let text = render(&s);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("# HELP apiserver_requested_deprecated_apis [STABLE] "));
        assert_eq!(lines[1], "# TYPE apiserver_requested_deprecated_apis gauge");
        assert_eq!(
            lines[2],
            "apiserver_requested_deprecated_apis{group=\"\",removed_release=\"\",resource=\"componentstatuses\",subresource=\"\",version=\"v1\"} 1"
        );
        assert!(lines[3].contains("group=\"policy\",removed_release=\"1.25\""));
        assert!(!render(&ApiServerSettings::default()).contains("deprecated_apis"));
    }
}
