//! `kup drift` output.

use comfy_table::{Cell, Color};

use super::{
    Format, Style, colored, finish_table, kubectl_table, markdown_table, plural, rendered,
    skew_label, verdict_color, write_json, write_yaml,
};
use crate::report::{DriftReport, DriftRow, SkewSummary};
use std::io::{self, Write};

pub fn render_drift(report: &DriftReport, format: Format, style: &Style) -> String {
    rendered(|out| write_drift(report, format, style, out))
}

/// Writes the drift report into OUT; JSON and YAML are serialised as they go.
pub fn write_drift(
    report: &DriftReport,
    format: Format,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let text = match format {
        // `-o junit` is refused before drift runs (commands::run): only checks have cases.
        Format::Json | Format::Junit => return write_json(report, out),
        Format::Yaml => return write_yaml(report, out),
        Format::Table => table(report, false, style),
        Format::Wide => table(report, true, style),
        Format::Markdown => markdown(report),
    };
    out.write_all(text.as_bytes())
}

fn version_header(report: &DriftReport) -> &'static str {
    if report.target_differs() {
        "TARGET"
    } else {
        "CONTROL PLANE"
    }
}

fn headers(report: &DriftReport, wide: bool) -> Vec<&'static str> {
    let mut h = vec![
        "NAME",
        "POOL",
        "KUBELET",
        version_header(report),
        "SKEW",
        "VERDICT",
        "STATUS",
        "AGE",
        "PODS",
    ];
    if wide {
        h.extend(["INSTANCE-TYPE", "ZONE", "KUBE-PROXY"]);
    }
    h
}

fn rows(report: &DriftReport) -> impl Iterator<Item = &DriftRow> {
    report.pools.iter().flat_map(|p| &p.nodes)
}

fn or_none(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "<none>".to_string())
}

fn age(row: &DriftRow) -> String {
    row.age
        .as_ref()
        .map(|a| a.human())
        .unwrap_or_else(|| "<unknown>".to_string())
}

/// `6 nodes against control plane 1.25.16: 1 current, 5 behind (within policy), 0 beyond policy`.
pub(crate) fn summary_line(s: &SkewSummary, against_what: &str) -> String {
    let mut out = format!(
        "{} against {} {}: {} current, {} behind (within policy), {} beyond policy",
        plural(s.nodes, "node", "nodes"),
        against_what,
        s.against,
        s.current,
        s.behind,
        s.beyond_policy
    );
    // Rare states are named only when present, so the common line stays short.
    if s.newer > 0 {
        out.push_str(&format!(", {} newer than the API server", s.newer));
    }
    if s.ahead_of_target > 0 {
        out.push_str(&format!(", {} ahead of the target", s.ahead_of_target));
    }
    if s.unknown > 0 {
        out.push_str(&format!(", {} with an unparseable version", s.unknown));
    }
    out
}

fn against_what(report: &DriftReport) -> &'static str {
    if report.target_differs() {
        "target"
    } else {
        "control plane"
    }
}

fn table(report: &DriftReport, wide: bool, style: &Style) -> String {
    if report.summary.nodes == 0 {
        return "No nodes found.\n".to_string();
    }
    let mut t = kubectl_table(style);
    t.set_header(headers(report, wide));
    for r in rows(report) {
        let status_color = (!r.status.starts_with("Ready")).then_some(Color::Red);
        let mut cells = vec![
            Cell::new(&r.name),
            Cell::new(r.pool.to_string()),
            Cell::new(&r.kubelet),
            Cell::new(&report.target),
            Cell::new(skew_label(r.skew)),
            colored(r.verdict.label(), verdict_color(r.verdict), style),
            colored(&r.status, status_color, style),
            Cell::new(age(r)),
            Cell::new(pods(r)),
        ];
        if wide {
            cells.extend([
                Cell::new(or_none(&r.instance_type)),
                Cell::new(or_none(&r.zone)),
                Cell::new(or_none(&r.kube_proxy)),
            ]);
        }
        t.add_row(cells);
    }
    // NAME, KUBELET, SKEW, AGE, PODS stay whole; the other columns may wrap.
    let mut out = finish_table(&mut t, &[0, 2, 4, 7, 8]);
    out.push('\n');
    out.push_str(&summary_line(&report.summary, against_what(report)));
    out.push('\n');
    out.push_str(&karpenter_lines(report, ""));
    out
}

/// How each Karpenter NodePool moves, after the table (nothing when Karpenter was not read).
fn karpenter_lines(report: &DriftReport, bullet: &str) -> String {
    let Some(k) = &report.karpenter else {
        return String::new();
    };
    if k.node_pools.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{bullet}Karpenter: {}\n",
        super::karpenter::controller_line(k, &report.target)
    );
    for m in &k.node_pools {
        out.push_str(&format!(
            "{bullet}{}\n",
            super::karpenter::pool_line(m, &report.target)
        ));
    }
    if !k.notes.is_empty() {
        out.push_str(&format!("{bullet}Not read: {}\n", k.notes.join("; ")));
    }
    out
}

/// `5`, or `2 (+3 terminating)`: pods being deleted are leaving, not running there.
fn pods(r: &DriftRow) -> String {
    match r.terminating {
        0 => r.pods.to_string(),
        t => format!("{} (+{t} terminating)", r.pods),
    }
}

fn markdown(report: &DriftReport) -> String {
    let mut out = format!(
        "**kup drift** · control plane `{}`",
        report.control_plane.git_version
    );
    if report.target_differs() {
        out.push_str(&format!(" · target `{}`", report.target));
    }
    out.push_str("\n\n");
    if report.summary.nodes == 0 {
        out.push_str("No nodes found.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = rows(report)
        .map(|r| {
            vec![
                format!("`{}`", r.name),
                r.pool.to_string(),
                r.kubelet.clone(),
                report.target.clone(),
                skew_label(r.skew),
                r.verdict.label().to_string(),
                r.status.clone(),
                age(r),
                pods(r),
            ]
        })
        .collect();
    out.push_str(&markdown_table(&headers(report, false), &rows));
    out.push('\n');
    out.push_str(&summary_line(&report.summary, against_what(report)));
    out.push('\n');
    out.push_str(&karpenter_lines(report, "- "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::workshop;
    use crate::output::render_check;
    use crate::report::drift_report;
    use crate::version::Version;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn plain() -> Style {
        Style::default()
    }

    #[test]
    fn drift_table() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        insta::assert_snapshot!(render_drift(&r, Format::Table, &plain()));
    }

    #[test]
    fn drift_table_against_a_target() {
        let r = drift_report(&workshop(), &v("1.26"));
        let out = render_drift(&r, Format::Table, &plain());
        assert!(out.lines().next().unwrap_or_default().contains("TARGET"));
        assert!(!out.contains("CONTROL PLANE"));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn drift_wide() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        insta::assert_snapshot!(render_drift(&r, Format::Wide, &plain()));
    }

    #[test]
    fn drift_markdown() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        insta::assert_snapshot!(render_drift(&r, Format::Markdown, &plain()));
    }

    #[test]
    fn drift_json_is_the_report() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        let out = render_drift(&r, Format::Json, &plain());
        assert!(out.ends_with("}\n"));
        let back: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(back["apiVersion"], "kup/v1");
        assert_eq!(back["kind"], "DriftReport");
        assert_eq!(back["pools"][1]["nodes"][0]["skew"], -1);
        assert_eq!(back["pools"][1]["pool"]["kind"], "Provisioner");
        assert_eq!(back["summary"]["behind"], 5);
    }

    #[test]
    fn drift_yaml() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        let out = render_drift(&r, Format::Yaml, &plain());
        assert!(
            out.starts_with("apiVersion: kup/v1\nkind: DriftReport\n"),
            "{out}"
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn width_shrinks_between_words_only() {
        let r = drift_report(&workshop(), &v("1.26"));
        let natural = render_drift(&r, Format::Table, &plain());
        let roomy = Style {
            color: false,
            width: Some(400),
        };
        assert_eq!(render_drift(&r, Format::Table, &roomy), natural);
        let narrow = Style {
            color: false,
            width: Some(150),
        };
        let out = render_drift(&r, Format::Table, &narrow);
        // Names, pools, versions and statuses are copied into the next command: never cut.
        for whole in [
            "ip-192-168-101-21.us-west-2.compute.internal",
            "provisioner/default",
            "v1.24.17-eks-a59e1f0",
            "NotReady,SchedulingDisabled",
        ] {
            assert!(out.contains(whole), "{whole} cut:\n{out}");
        }
        assert!(
            out.lines().count() > natural.lines().count(),
            "nothing wrapped:\n{out}"
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn tiny_widths_do_not_panic() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        let c = crate::report::checked(&workshop(), &v("1.27"));
        for width in [0, 1, 10, 40] {
            let style = Style {
                color: true,
                width: Some(width),
            };
            for format in [Format::Table, Format::Wide] {
                assert!(render_drift(&r, format, &style).contains("legacy-worker-1"));
                assert!(render_check(&c, format, &style).contains("KUP-SKEW-004"));
            }
        }
    }

    #[test]
    fn colour_only_when_asked() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        let plain_out = render_drift(&r, Format::Table, &plain());
        assert!(!plain_out.contains('\u{1b}'));
        let col = render_drift(
            &r,
            Format::Table,
            &Style {
                color: true,
                width: None,
            },
        );
        assert!(col.contains('\u{1b}'), "{col}");
    }

    #[test]
    fn empty_cluster() {
        let mut s = workshop();
        s.nodes.clear();
        let r = drift_report(&s, &v("1.25.16"));
        assert_eq!(
            render_drift(&r, Format::Table, &plain()),
            "No nodes found.\n"
        );
        assert!(render_drift(&r, Format::Markdown, &plain()).ends_with("No nodes found.\n"));
    }

    #[test]
    fn markdown_escapes_cells() {
        let mut s = workshop();
        s.nodes[0].kubelet_version = "v1.24|x".into();
        let r = drift_report(&s, &v("1.25.16"));
        let out = render_drift(&r, Format::Markdown, &plain());
        assert!(out.contains("v1.24\\|x"), "{out}");
    }
}
