//! `kup workloads` output: one row per workload, then its placement findings.

use comfy_table::{Cell, Color};

use super::{
    Format, Style, colored, finish_table, kubectl_table, markdown_table, render_findings, rendered,
    severity_color, write_json, write_yaml,
};
use crate::checks::WorkloadVerdict;
use crate::model::{PoolKind, PoolRef};
use crate::report::WorkloadsReport;
use std::io::{self, Write};

const HEADERS: [&str; 7] = [
    "NAMESPACE",
    "KIND",
    "NAME",
    "REPLICAS",
    "POOLS IT FITS",
    "WHERE IT RUNS NOW",
    "VERDICT",
];

pub fn render_workloads(report: &WorkloadsReport, format: Format, style: &Style) -> String {
    rendered(|out| write_workloads(report, format, style, out))
}

/// Writes the workloads report into OUT; JSON and YAML are serialised as they go.
pub fn write_workloads(
    report: &WorkloadsReport,
    format: Format,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let text = match format {
        Format::Json => return write_json(report, out),
        Format::Yaml => return write_yaml(report, out),
        Format::Table | Format::Wide => table(report, format, style),
        Format::Markdown => markdown(report),
        // The command renders JUnit itself, with its --fail-on and context; this is the default.
        Format::Junit => super::render_junit(
            "kup workloads",
            &[super::JunitSuite::workloads("kup workloads", report)],
            crate::checks::FailOn::default(),
        ),
    };
    out.write_all(text.as_bytes())
}

fn pool(p: &PoolRef) -> String {
    match p.kind {
        PoolKind::None => "no pool".to_string(),
        _ => p.to_string(),
    }
}

fn replicas(w: &WorkloadVerdict) -> String {
    w.replicas
        .map(|r| r.to_string())
        .unwrap_or_else(|| "-".to_string())
}

/// Pools, or the nodes when it fits nodes of no pool it fits.
fn fits(w: &WorkloadVerdict) -> String {
    if !w.fits_pools.is_empty() {
        return w.fits_pools.iter().map(pool).collect::<Vec<_>>().join(", ");
    }
    match w.fits_nodes.len() {
        0 => "<none>".to_string(),
        1 => "1 node only".to_string(),
        n => format!("{n} nodes only"),
    }
}

/// `provisioner/default (2), 1 pending, 3 terminating`.
fn runs(w: &WorkloadVerdict) -> String {
    let mut parts: Vec<String> = w
        .runs_on
        .iter()
        .map(|r| format!("{} ({})", pool(&r.pool), r.pods))
        .collect();
    if w.pending > 0 {
        parts.push(format!("{} pending", w.pending));
    }
    if w.terminating > 0 {
        parts.push(format!("{} terminating", w.terminating));
    }
    if parts.is_empty() {
        "<none>".to_string()
    } else {
        parts.join(", ")
    }
}

fn verdict_color(w: &WorkloadVerdict) -> Option<Color> {
    match w.severity {
        None => Some(Color::Green),
        Some(s) => severity_color(s),
    }
}

fn row(w: &WorkloadVerdict) -> Vec<String> {
    vec![
        w.namespace.clone(),
        w.kind.as_str().to_string(),
        w.name.clone(),
        replicas(w),
        fits(w),
        runs(w),
        w.verdict.clone(),
    ]
}

fn table(report: &WorkloadsReport, format: Format, style: &Style) -> String {
    if report.workloads.is_empty() {
        return "No workloads found.\n".to_string();
    }
    let mut t = kubectl_table(style);
    t.set_header(HEADERS);
    for w in &report.workloads {
        let mut cells: Vec<Cell> = row(w).into_iter().map(Cell::new).collect();
        cells[6] = colored(&w.verdict, verdict_color(w), style);
        t.add_row(cells);
    }
    // NAMESPACE, KIND, NAME, REPLICAS stay whole; pools and verdict may wrap.
    let mut out = finish_table(&mut t, &[0, 1, 2, 3]);
    out.push('\n');
    out.push_str(&render_findings(&report.findings, format, style));
    out
}

fn markdown(report: &WorkloadsReport) -> String {
    let mut out = format!("**kup workloads** · target `{}`\n\n", report.target);
    if report.workloads.is_empty() {
        out.push_str("No workloads found.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = report
        .workloads
        .iter()
        .map(|w| {
            let mut r = row(w);
            r[2] = format!("`{}`", r[2]);
            r
        })
        .collect();
    out.push_str(&markdown_table(&HEADERS, &rows));
    out.push('\n');
    out.push_str(&render_findings(
        &report.findings,
        Format::Markdown,
        &Style::default(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Config;
    use crate::checks::placement::tests::placement_workshop;
    use crate::report::workloads_report;
    use crate::version::Version;

    fn report() -> WorkloadsReport {
        let target = Version::parse("1.25").unwrap_or_else(|e| panic!("{e}"));
        let s = placement_workshop();
        let verdicts = crate::checks::workload_verdicts(&s, &target, &Config::default());
        workloads_report(&s, &target, verdicts)
    }

    #[test]
    fn workloads_table() {
        let out = render_workloads(&report(), Format::Table, &Style::default());
        let header = out.lines().next().unwrap_or_default();
        for h in HEADERS {
            assert!(header.contains(h), "{h} missing from {header}");
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn workloads_markdown() {
        insta::assert_snapshot!(render_workloads(
            &report(),
            Format::Markdown,
            &Style::default()
        ));
    }

    #[test]
    fn workloads_json_is_a_versioned_document() {
        let json = render_workloads(&report(), Format::Json, &Style::default());
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(v["apiVersion"], "kup/v1");
        assert_eq!(v["kind"], "WorkloadsReport");
        assert_eq!(v["workloads"][0]["name"], "nginx");
        assert_eq!(v["workloads"][0]["verdict"], "ok");
        assert_eq!(v["workloads"][1]["codes"][0], "KUP-PLACE-002");
        assert!(
            v["workloads"][0].get("findings").is_none(),
            "listed once, at top level"
        );
        assert_eq!(v["findings"][0]["severity"], "error");
        insta::assert_json_snapshot!(v);
    }

    #[test]
    fn empty_report() {
        let r = workloads_report(
            &crate::model::Snapshot::default(),
            &Version::new(1, 30, None),
            Vec::new(),
        );
        assert_eq!(
            render_workloads(&r, Format::Table, &Style::default()),
            "No workloads found.\n"
        );
        let yaml = render_workloads(&r, Format::Yaml, &Style::default());
        assert!(yaml.contains("kind: WorkloadsReport"), "{yaml}");
    }
}
