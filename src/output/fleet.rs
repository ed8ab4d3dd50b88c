//! `kup fleet` output: one row per cluster, most urgent first (the core sorted them).

use comfy_table::{Cell, Color};

use super::{
    Format, JunitSuite, Style, colored, finish_table, kubectl_table, markdown_table, plural,
    render_junit, rendered, write_json, write_yaml,
};
use crate::checks::{FailOn, Family};
use crate::fleet::{EksSupport, FleetReport, FleetRow};
use std::io::{self, Write};

const HEADERS: [&str; 9] = [
    "CONTEXT",
    "CLUSTER",
    "VERSION",
    "TARGET",
    "EKS SUPPORT",
    "NODES BEHIND",
    "ERRORS",
    "WARNINGS",
    "TOP BLOCKER",
];

pub fn render_fleet(
    report: &FleetReport,
    format: Format,
    style: &Style,
    fail_on: FailOn,
) -> String {
    rendered(|out| write_fleet(report, format, style, fail_on, out))
}

/// Writes the fleet report into OUT; JSON and YAML are serialised as they go.
pub fn write_fleet(
    report: &FleetReport,
    format: Format,
    style: &Style,
    fail_on: FailOn,
    out: &mut dyn Write,
) -> io::Result<()> {
    let text = match format {
        Format::Json => return write_json(report, out),
        Format::Yaml => return write_yaml(report, out),
        Format::Table | Format::Wide => table(report, style),
        Format::Markdown => markdown(report),
        Format::Junit => junit(report, fail_on),
    };
    out.write_all(text.as_bytes())
}

fn dash(v: Option<&str>) -> String {
    v.unwrap_or("-").to_string()
}

/// `standard until 2025-11-26`, `extended until 2026-11-26`, `unsupported since ...`.
fn support(s: Option<&EksSupport>) -> String {
    let Some(s) = s else {
        return "-".to_string();
    };
    let day = |d: Option<jiff::civil::Date>| d.map_or("?".to_string(), |d| d.to_string());
    match s.status.as_deref() {
        Some("EXTENDED_SUPPORT") => format!("extended until {}", day(s.end_of_extended_support)),
        Some("UNSUPPORTED") => format!(
            "unsupported since {}",
            day(s.end_of_extended_support.or(s.end_of_standard_support))
        ),
        _ => match (s.end_of_standard_support, s.end_of_extended_support) {
            (None, None) => "-".to_string(),
            (std, None) => format!("standard until {}", day(std)),
            (std, ext) => format!("standard until {} (extended until {})", day(std), day(ext)),
        },
    }
}

fn behind(r: &FleetRow) -> String {
    if r.error.is_some() {
        "-".to_string()
    } else {
        format!("{}/{}", r.nodes_behind, r.nodes)
    }
}

fn blocker(r: &FleetRow) -> String {
    if let Some(e) = &r.error {
        return format!("cannot read: {e}");
    }
    r.top_blocker
        .as_ref()
        .map_or("-".to_string(), |t| format!("{} {}", t.code, t.subject))
}

fn count(r: &FleetRow, n: usize) -> String {
    if r.error.is_some() {
        "-".to_string()
    } else {
        n.to_string()
    }
}

fn row(r: &FleetRow) -> Vec<String> {
    vec![
        r.context.clone(),
        dash(r.cluster.as_deref()),
        dash(r.version.as_deref()),
        dash(r.target.as_deref()),
        support(r.eks_support.as_ref()),
        behind(r),
        count(r, r.errors),
        count(r, r.warnings),
        blocker(r),
    ]
}

fn summary(report: &FleetReport) -> String {
    let s = &report.summary;
    format!(
        "{}: {} unreadable, {}, {}, {} behind",
        plural(s.clusters, "cluster", "clusters"),
        s.unreadable,
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.nodes_behind, "node", "nodes"),
    )
}

fn table(report: &FleetReport, style: &Style) -> String {
    let mut t = kubectl_table(style);
    t.set_header(HEADERS);
    for r in &report.clusters {
        let mut cells: Vec<Cell> = row(r).into_iter().map(Cell::new).collect();
        let red = |n: usize| (n > 0).then_some(Color::Red);
        cells[6] = colored(count(r, r.errors), red(r.errors), style);
        let yellow = (r.warnings > 0).then_some(Color::Yellow);
        cells[7] = colored(count(r, r.warnings), yellow, style);
        if r.error.is_some() {
            cells[8] = colored(blocker(r), Some(Color::Red), style);
        }
        t.add_row(cells);
    }
    // Contexts, clusters and versions are copied into the next command: never wrapped.
    let mut out = finish_table(&mut t, &[0, 1, 2, 3]);
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn markdown(report: &FleetReport) -> String {
    let mut out = format!("**kup fleet** · target `{}`\n\n", report.target);
    let rows: Vec<Vec<String>> = report
        .clusters
        .iter()
        .map(|r| {
            let mut cells = row(r);
            if let Some(t) = &r.top_blocker {
                cells[8] = format!("`{}` {}: {}", t.code, t.subject, t.message);
            }
            cells
        })
        .collect();
    out.push_str(&markdown_table(&HEADERS, &rows));
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn junit(report: &FleetReport, fail_on: FailOn) -> String {
    let suites: Vec<JunitSuite<'_>> = report
        .clusters
        .iter()
        .map(|r| match &r.error {
            Some(e) => JunitSuite::unreadable(&r.context, e.clone()),
            None => JunitSuite {
                name: r.context.clone(),
                findings: &r.findings,
                families: &Family::ALL,
                skipped: r
                    .eks_skipped
                    .iter()
                    .map(|why| (Family::Eks, why.clone()))
                    .collect(),
                error: None,
            },
        })
        .collect();
    render_junit("kup fleet", &suites, fail_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Severity;
    use crate::fleet::{TopFinding, fleet_report};

    fn report() -> FleetReport {
        let mut ok = FleetRow::unreadable("prod-eu", String::new());
        ok.error = None;
        ok.cluster = Some("prod-eu".into());
        ok.version = Some("1.29.3".into());
        ok.target = Some("1.30".into());
        ok.eks_support = Some(EksSupport {
            status: Some("STANDARD_SUPPORT".into()),
            end_of_standard_support: Some("2025-03-23".parse().unwrap()),
            end_of_extended_support: Some("2026-03-23".parse().unwrap()),
        });
        ok.nodes = 12;
        ok.nodes_behind = 4;
        ok.errors = 1;
        ok.warnings = 4;
        ok.top_blocker = Some(TopFinding {
            code: "KUP-SKEW-004".into(),
            severity: Severity::Error,
            subject: "controlplane".into(),
            message: "nodes block the upgrade".into(),
        });
        let down = FleetRow::unreadable(
            "lab",
            "cannot reach https://10.0.0.1: connection refused".into(),
        );
        fleet_report(Some(&crate::fleet::FleetTarget::NextMinor), vec![ok, down])
    }

    #[test]
    fn fleet_table() {
        insta::assert_snapshot!(render_fleet(
            &report(),
            Format::Table,
            &Style::default(),
            FailOn::Error
        ));
    }

    #[test]
    fn fleet_markdown() {
        insta::assert_snapshot!(render_fleet(
            &report(),
            Format::Markdown,
            &Style::default(),
            FailOn::Error
        ));
    }

    #[test]
    fn fleet_json_has_the_rows_not_the_findings() {
        let doc: serde_json::Value = serde_json::from_str(&render_fleet(
            &report(),
            Format::Json,
            &Style::default(),
            FailOn::Error,
        ))
        .unwrap();
        assert_eq!(doc["kind"], "FleetReport");
        assert_eq!(doc["target"], "+1");
        assert_eq!(doc["clusters"][0]["context"], "lab");
        assert!(
            doc["clusters"][0]["error"]
                .as_str()
                .unwrap()
                .contains("refused")
        );
        assert_eq!(
            doc["clusters"][1]["eksSupport"]["endOfStandardSupport"],
            "2025-03-23"
        );
        assert_eq!(doc["clusters"][1]["topBlocker"]["code"], "KUP-SKEW-004");
        assert!(doc["clusters"][1].get("findings").is_none());
        assert_eq!(doc["summary"]["unreadable"], 1);
    }
}
