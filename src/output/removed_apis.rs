//! The "Removed APIs" section of `kup check`: one line per source (read, or why not), then
//! one row per deprecated or removed API in use, with where it is used or who calls it.

use super::{Style, finish_table, kubectl_table, markdown_table};
use crate::apis::removals::Verdict;
use crate::checks::apis::{ApiUse, Section, UseSource};

const HEADER: [&str; 5] = ["SOURCE", "API", "REMOVED", "WHERE / CALLERS", "USE INSTEAD"];

fn sources_line(s: &Section) -> String {
    let parts: Vec<String> = s
        .sources
        .iter()
        .map(|src| {
            let name = match src.source {
                UseSource::Helm => "Helm",
                UseSource::Metrics => "API server metrics",
                UseSource::Insights => "EKS insights",
            };
            match src.state {
                "read" => format!("{name}: {}", src.detail),
                _ => format!("{name}: not read ({})", src.detail),
            }
        })
        .collect();
    parts.join("; ")
}

fn row(u: &ApiUse) -> Vec<String> {
    let removed = match (&u.removed_in, u.verdict) {
        (Some(r), Verdict::Removed) => r.clone(),
        (Some(r), Verdict::Deprecated) => format!("{r} (later)"),
        (None, _) => "-".into(),
    };
    let mut place = u.subject.clone();
    if !u.objects.is_empty() {
        place = format!("{place}: {}", u.objects.join(", "));
    }
    for c in &u.callers {
        place.push_str(&format!(
            "\n{} ({} req/30d)",
            c.user_agent, c.requests_last_30_days
        ));
    }
    vec![
        u.source.as_str().to_string(),
        u.api.clone(),
        removed,
        place,
        u.replacement.clone().unwrap_or_else(|| "-".into()),
    ]
}

/// The section as text: a heading line, then the table when anything is in use.
pub fn text(s: &Section, style: &Style) -> String {
    let mut out = format!("Removed APIs: {}\n", sources_line(s));
    if s.uses.is_empty() {
        out.push_str("No deprecated or removed API in use.\n");
        return out;
    }
    let mut t = kubectl_table(style);
    t.set_header(HEADER.to_vec());
    for u in &s.uses {
        t.add_row(row(u));
    }
    out.push_str(&finish_table(&mut t, &[0, 1, 2]));
    out
}

pub fn markdown(s: &Section) -> String {
    let mut out = format!(
        "**Removed APIs:** {}\n\n",
        super::markdown_escape(&sources_line(s))
    );
    if !s.uses.is_empty() {
        let rows: Vec<Vec<String>> = s
            .uses
            .iter()
            .map(|u| row(u).into_iter().map(|c| c.replace('\n', "; ")).collect())
            .collect();
        out.push_str(&markdown_table(&HEADER, &rows));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::ClientStat;
    use crate::checks::apis::SourceState;

    fn section() -> Section {
        Section {
            sources: vec![
                SourceState {
                    source: UseSource::Helm,
                    state: "read",
                    detail: "9 release secrets, 3 releases".into(),
                },
                SourceState {
                    source: UseSource::Metrics,
                    state: "notRead",
                    detail: "forbidden (403): no".into(),
                },
                SourceState {
                    source: UseSource::Insights,
                    state: "read",
                    detail: "1 deprecated API called".into(),
                },
            ],
            uses: vec![
                ApiUse {
                    source: UseSource::Helm,
                    subject: "helm/shop/web".into(),
                    api: "policy/v1beta1 PodDisruptionBudget".into(),
                    verdict: Verdict::Removed,
                    removed_in: Some("1.25".into()),
                    replacement: Some("policy/v1".into()),
                    objects: vec!["PodDisruptionBudget web".into()],
                    callers: vec![],
                },
                ApiUse {
                    source: UseSource::Insights,
                    subject: "api/autoscaling/v2beta2/horizontalpodautoscalers".into(),
                    api: "autoscaling/v2beta2 horizontalpodautoscalers".into(),
                    verdict: Verdict::Deprecated,
                    removed_in: Some("1.26".into()),
                    replacement: Some("autoscaling/v2".into()),
                    objects: vec![],
                    callers: vec![ClientStat {
                        user_agent: "argocd/v2.4".into(),
                        requests_last_30_days: 1520,
                        last_request: None,
                    }],
                },
            ],
        }
    }

    #[test]
    fn removed_apis_section() {
        insta::assert_snapshot!(text(&section(), &Style::default()));
    }

    #[test]
    fn removed_apis_markdown() {
        insta::assert_snapshot!(markdown(&section()));
    }

    #[test]
    fn nothing_in_use_says_so() {
        let mut s = section();
        s.uses.clear();
        assert!(text(&s, &Style::default()).ends_with("No deprecated or removed API in use.\n"));
    }
}
