//! The API server's `apiserver_requested_deprecated_apis` gauge, read from `/metrics`
//! (Prometheus text format). The server sets a series to 1 when a deprecated API is requested,
//! per server process, since it started (docs/research/upgrade-facts.md §6.3).

use serde::Serialize;

pub const METRIC: &str = "apiserver_requested_deprecated_apis";

/// One series: a deprecated API some client requested.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeprecatedRequest {
    /// "" for the core group.
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: String,
    /// `1.25`; "" when no removal is scheduled.
    pub removed_release: String,
}

impl DeprecatedRequest {
    /// `api/GROUP/VERSION/RESOURCE` (`core` for the core group).
    pub fn subject(&self) -> String {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        format!("api/{group}/{}/{}", self.version, self.resource)
    }
}

/// The series of the deprecated-API gauge whose value is not 0, sorted, one per API (the
/// subresource is kept but does not make another API).
pub fn parse(text: &str) -> Vec<DeprecatedRequest> {
    let mut out: Vec<DeprecatedRequest> = text
        .lines()
        .filter_map(|line| line.strip_prefix(METRIC)?.strip_prefix('{'))
        .filter_map(series)
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.group == b.group && a.version == b.version && a.resource == b.resource);
    out
}

/// `k="v",...} VALUE [TIMESTAMP]` after the opening brace.
fn series(rest: &str) -> Option<DeprecatedRequest> {
    let mut r = DeprecatedRequest::default();
    let mut chars = rest.char_indices().peekable();
    loop {
        // Label name up to '=' (or the closing brace).
        let start = chars.peek()?.0;
        let mut name_end = None;
        for (i, c) in chars.by_ref() {
            match c {
                '=' => {
                    name_end = Some(i);
                    break;
                }
                '}' if rest[start..i].trim_matches([',', ' ']).is_empty() => break,
                _ => {}
            }
        }
        let Some(name_end) = name_end else {
            break;
        };
        let name = rest[start..name_end].trim_matches([',', ' ']);
        if chars.next()?.1 != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()?.1 {
                '"' => break,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                c => value.push(c),
            }
        }
        match name {
            "group" => r.group = value,
            "version" => r.version = value,
            "resource" => r.resource = value,
            "subresource" => r.subresource = value,
            "removed_release" => r.removed_release = value,
            _ => {}
        }
        // After a value: ',' then another label, or '}'.
        match chars.peek().map(|(_, c)| *c) {
            Some(',') => {
                chars.next();
                if chars.peek().map(|(_, c)| *c) == Some('}') {
                    chars.next();
                    break;
                }
            }
            Some('}') => {
                chars.next();
                break;
            }
            _ => return None,
        }
    }
    let value = chars
        .map(|(_, c)| c)
        .collect::<String>()
        .split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()?;
    (value != 0.0 && !r.version.is_empty() && !r.resource.is_empty()).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.\n\
# TYPE apiserver_requested_deprecated_apis gauge\n\
apiserver_requested_deprecated_apis{group=\"\",removed_release=\"\",resource=\"componentstatuses\",subresource=\"\",version=\"v1\"} 1\n\
apiserver_requested_deprecated_apis{group=\"policy\",removed_release=\"1.25\",resource=\"podsecuritypolicies\",subresource=\"\",version=\"v1beta1\"} 1\n\
apiserver_requested_deprecated_apis{group=\"policy\",removed_release=\"1.25\",resource=\"podsecuritypolicies\",subresource=\"status\",version=\"v1beta1\"} 1\n\
apiserver_requested_deprecated_apis{group=\"x\",removed_release=\"1.9\",resource=\"ys\",subresource=\"\",version=\"v1\"} 0\n\
apiserver_requested_deprecated_apis_other{group=\"a\"} 1\n\
apiserver_request_total{code=\"200\",resource=\"pods\",verb=\"LIST\"} 1042\n";

    #[test]
    fn reads_the_gauge_and_nothing_else() {
        let got = parse(TEXT);
        let subjects: Vec<(String, &str)> = got
            .iter()
            .map(|r| (r.subject(), r.removed_release.as_str()))
            .collect();
        assert_eq!(
            subjects,
            [
                ("api/core/v1/componentstatuses".to_string(), ""),
                ("api/policy/v1beta1/podsecuritypolicies".to_string(), "1.25"),
            ]
        );
    }

    #[test]
    fn escapes_any_label_order_and_junk() {
        let got = parse(
            "apiserver_requested_deprecated_apis{version=\"v1beta1\",resource=\"a\\\"b\",group=\"g\",} 1 1700000000000\n\
             apiserver_requested_deprecated_apis{group=\"g\" 1\n\
             apiserver_requested_deprecated_apis{group=\"g\",version=\"v1\",resource=\"r\"} NaNx\n\
             apiserver_requested_deprecated_apis 1\n",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].resource, "a\"b");
        assert_eq!(got[0].group, "g");
        assert!(parse("").is_empty());
    }
}
