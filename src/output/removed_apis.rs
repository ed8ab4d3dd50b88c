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
