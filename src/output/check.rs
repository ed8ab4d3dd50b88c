//! `kup check` output: control plane, skew summary, findings, counts.

use comfy_table::Cell;

use super::drift::summary_line;
use super::{
    Format, Style, colored, finish_table, kubectl_table, markdown_table, plural, rendered,
    severity_color, to_json, to_yaml, write_json, write_yaml,
};
use crate::checks::Finding;
use crate::eks::{EksInfo, EksSection, NodeGroup, day_or_unknown};
use crate::report::{CheckReport, FindingCounts};
use crate::version::Version;
use std::io::{self, Write};

pub fn render_check(report: &CheckReport, format: Format, style: &Style) -> String {
    rendered(|out| write_check(report, format, style, out))
}

/// Writes the readiness report into OUT; JSON and YAML are serialised as they go.
pub fn write_check(
    report: &CheckReport,
    format: Format,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let text = match format {
        Format::Json => return write_json(report, out),
        Format::Yaml => return write_yaml(report, out),
        Format::Table | Format::Wide => text(report, format == Format::Wide, style),
        Format::Markdown => markdown(report),
        // The command renders JUnit itself, with its --fail-on and context; this is the default.
        Format::Junit => super::render_junit(
            "kup check",
            &[super::JunitSuite::check("kup check", report)],
            crate::checks::FailOn::default(),
        ),
    };
    out.write_all(text.as_bytes())
}

/// Only the findings: a table, or a JSON/YAML array (for sections rendered on their own).
pub fn render_findings(findings: &[Finding], format: Format, style: &Style) -> String {
    match format {
        Format::Json | Format::Junit => to_json(&findings),
        Format::Yaml => to_yaml(&findings),
        Format::Table | Format::Wide => {
            let mut out = findings_table(findings, format == Format::Wide, style);
            out.push('\n');
            out.push_str(&counts_line(&FindingCounts::of(findings)));
            out.push('\n');
            out
        }
        Format::Markdown => {
            let mut out = findings_markdown(findings);
            out.push('\n');
            out.push_str(&counts_line(&FindingCounts::of(findings)));
            out.push('\n');
            out
        }
    }
}

fn counts_line(c: &FindingCounts) -> String {
    if c.error + c.warning + c.info == 0 {
        return "No findings.".to_string();
    }
    format!(
        "{}, {}, {}",
        plural(c.error, "error", "errors"),
        plural(c.warning, "warning", "warnings"),
        plural(c.info, "info", "info")
    )
}

fn control_plane_line(r: &CheckReport) -> String {
    let cp = &r.control_plane;
    let mut details = Vec::new();
    details.push(
        cp.version
            .clone()
            .unwrap_or_else(|| "unparseable".to_string()),
    );
    if let Some(p) = &cp.platform {
        details.push(format!("platform {p}"));
    }
    format!("{} ({})", cp.git_version, details.join(", "))
}

fn target_line(r: &CheckReport) -> String {
    match r.upgrade.steps.len() {
        0 if r.target_differs() => r.target.clone(),
        0 => format!("{} (the control plane's version)", r.target),
        1 => format!("{} (one minor upgrade)", r.target),
        2..=MAX_HOPS_LISTED => format!(
            "{} (one minor at a time: {})",
            r.target,
            r.upgrade.steps.join(", then ")
        ),
        // A far target (`--target 1.99`) would list every minor on one line.
        n => format!(
            "{} ({n} upgrades: {}, {}, …, {})",
            r.target,
            r.upgrade.steps[0],
            r.upgrade.steps[1],
            r.upgrade.steps[n - 1]
        ),
    }
}

/// Past this many hops the target line names the first two and the last.
const MAX_HOPS_LISTED: usize = 5;

/// Header lines as (label, value).
fn header(r: &CheckReport) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("Control plane", control_plane_line(r)),
        ("Target", target_line(r)),
    ];
    match &r.skew.current {
        Some(cur) if r.target_differs() => {
            h.push(("Node skew now", summary_line(cur, "control plane")));
            h.push((
                "Node skew at target",
                summary_line(&r.skew.target, "target"),
            ));
        }
        Some(cur) => h.push(("Node skew", summary_line(cur, "control plane"))),
        None => h.push(("Node skew", summary_line(&r.skew.target, "target"))),
    }
    if !r.upgrade.blocked_by.is_empty() {
        h.push((
            "Blocking nodes",
            format!(
                "{} must be replaced before the control plane may go to {}",
                plural(r.upgrade.blocked_by.len(), "node", "nodes"),
                r.target
            ),
        ));
    }
    if !r.upgrade.blocked_by_node_groups.is_empty() {
        h.push((
            "Blocking node groups",
            format!(
                "{} must be at {} before EKS upgrades the control plane",
                r.upgrade.blocked_by_node_groups.join(", "),
                r.control_plane
                    .version
                    .as_deref()
                    .and_then(|v| Version::parse(v).ok())
                    .map(|v| v.minor_str())
                    .unwrap_or_else(|| "the cluster version".to_string())
            ),
        ));
    }
    match &r.eks {
        EksSection::Read(info) => {
            h.push(("EKS", eks_line(info)));
            if info.versions.is_some() {
                h.push(("EKS support", support_line(info, &r.target)));
            }
            if !info.insights().is_empty() {
                h.push(("EKS insights", insights_line(info)));
            }
            if !info.unavailable.is_empty() {
                h.push(("EKS not read", info.unavailable.join("; ")));
            }
        }
        EksSection::Skipped { reason } => h.push(("EKS", format!("skipped: {reason}"))),
    }
    if let Some(k) = &r.karpenter {
        let in_use = k.controller.is_some() || !k.node_pools.is_empty();
        if in_use {
            h.push(("Karpenter", super::karpenter::controller_line(k, &r.target)));
        }
        for m in &k.node_pools {
            h.push(("Karpenter pool", super::karpenter::pool_line(m, &r.target)));
        }
        for a in &k.aliases {
            h.push(("Karpenter alias", super::karpenter::alias_line(a)));
        }
        if in_use && !k.notes.is_empty() {
            h.push(("Karpenter not read", k.notes.join("; ")));
        }
    }
    h
}

fn eks_line(info: &EksInfo) -> String {
    let c = &info.cluster;
    let mut parts = vec![c.version.clone()];
    if let Some(p) = &c.platform_version {
        parts.push(format!("platform {p}"));
    }
    parts.push(c.status.clone());
    format!("cluster {} in {} ({})", c.name, c.region, parts.join(", "))
}

/// The support window of the cluster's version (and of the target's, when it differs), and
/// the versions EKS offers.
fn support_line(info: &EksInfo, target: &str) -> String {
    let window = |minor: &str| match info.version(minor) {
        None => format!("{minor}: not among the versions EKS lists"),
        Some(s) => {
            let mut w = format!(
                "{}: standard support until {}, extended until {}",
                s.version,
                day_or_unknown(s.end_of_standard_support),
                day_or_unknown(s.end_of_extended_support)
            );
            if let Some(status) = &s.status {
                w.push_str(&format!(" ({status})"));
            }
            w
        }
    };
    let mut line = window(&info.cluster.version);
    let target_minor = Version::parse(target).map(|v| v.minor_str()).ok();
    if let Some(t) = target_minor.filter(|t| *t != info.cluster.version) {
        line.push_str(&format!("; target {}", window(&t)));
    }
    let offered = info.offered();
    if !offered.is_empty() {
        line.push_str(&format!("; EKS offers {}", offered.join(", ")));
    }
    line
}

fn insights_line(info: &EksInfo) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for i in info.insights() {
        *counts.entry(i.status.as_str()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(status, n)| format!("{n} {}", status.to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Minors a node group lags the cluster, as the tables show it.
fn node_group_lag(info: &EksInfo, g: &NodeGroup) -> String {
    let cluster = Version::parse(&info.cluster.version).ok();
    let group = g.version.as_deref().and_then(|v| Version::parse(v).ok());
    match (cluster, group) {
        (Some(c), Some(g)) if c.major == g.major && c.minor > g.minor => {
            plural((c.minor - g.minor) as usize, "minor", "minors")
        }
        (Some(c), Some(g)) if c.major == g.major && c.minor == g.minor => "-".to_string(),
        (Some(_), Some(_)) => "ahead".to_string(),
        _ => "unknown".to_string(),
    }
}

fn node_group_rows(info: &EksInfo) -> Vec<Vec<String>> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let num = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_else(|| "?".to_string());
    info.node_groups()
        .iter()
        .map(|g| {
            let max_unavailable = match (g.max_unavailable, g.max_unavailable_percentage) {
                (Some(n), _) => n.to_string(),
                (None, Some(p)) => format!("{p}%"),
                (None, None) => "1".to_string(),
            };
            vec![
                g.name.clone(),
                opt(&g.version),
                node_group_lag(info, g),
                opt(&g.release_version),
                opt(&g.ami_type),
                g.status.clone(),
                format!(
                    "{}/{}/{}",
                    num(g.min_size),
                    num(g.desired_size),
                    num(g.max_size)
                ),
                max_unavailable,
            ]
        })
        .collect()
}

const NODE_GROUP_HEADER: [&str; 8] = [
    "NODE GROUP",
    "VERSION",
    "LAG",
    "RELEASE",
    "AMI",
    "STATUS",
    "MIN/DESIRED/MAX",
    "MAX UNAVAILABLE",
];

fn node_groups_table(r: &CheckReport, style: &Style) -> String {
    let EksSection::Read(info) = &r.eks else {
        return String::new();
    };
    if info.node_groups().is_empty() {
        return String::new();
    }
    let mut t = kubectl_table(style);
    t.set_header(NODE_GROUP_HEADER.to_vec());
    for row in node_group_rows(info) {
        t.add_row(row);
    }
    finish_table(&mut t, &[0, 1, 2, 5, 6, 7])
}

/// Below this many columns for MESSAGE (and REMEDY), a table is unreadable: findings are
/// printed as blocks instead, message and remedy indented under their row.
const MIN_MESSAGE_WIDTH: usize = 30;
const GAP: usize = 3;

fn findings_table(findings: &[Finding], wide: bool, style: &Style) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let fixed = fixed_widths(findings);
    let fixed_total: usize = fixed.iter().map(|w| w + GAP).sum();
    let text_columns = if wide { 2 } else { 1 };
    if let Some(width) = style.width {
        let room = usize::from(width).saturating_sub(fixed_total + GAP * (text_columns - 1));
        // MESSAGE never cuts a word (a node name), so it needs at least the longest one.
        let longest_word = findings
            .iter()
            .flat_map(|f| {
                f.message
                    .split_whitespace()
                    .chain(f.remedy.split_whitespace())
            })
            .map(|w| w.chars().count() + 2)
            .max()
            .unwrap_or(0);
        if room / text_columns < MIN_MESSAGE_WIDTH.max(longest_word) {
            return findings_blocks(findings, &fixed, usize::from(width), style);
        }
    }
    let mut t = kubectl_table(style);
    let mut head = vec!["SEVERITY", "CODE", "SUBJECT", "MESSAGE"];
    if wide {
        head.push("REMEDY");
    }
    t.set_header(head);
    for f in findings {
        let mut cells = vec![
            colored(f.severity, severity_color(f.severity), style),
            Cell::new(f.code),
            Cell::new(&f.subject),
        ];
        if wide {
            cells.push(Cell::new(&f.message));
            cells.push(Cell::new(&f.remedy));
        } else {
            // The remedy stays visible without `-o wide`, on its own line under the message.
            cells.push(Cell::new(format!("{}\n→ {}", f.message, f.remedy)));
        }
        t.add_row(cells);
    }
    // SEVERITY, CODE and SUBJECT stay whole; MESSAGE and REMEDY wrap.
    finish_table(&mut t, &[0, 1, 2])
}

/// Widths of SEVERITY, CODE and SUBJECT (header included).
fn fixed_widths(findings: &[Finding]) -> [usize; 3] {
    let mut w = ["SEVERITY".len(), "CODE".len(), "SUBJECT".len()];
    for f in findings {
        w[0] = w[0].max(f.severity.as_str().len());
        w[1] = w[1].max(f.code.as_str().len());
        w[2] = w[2].max(f.subject.chars().count());
    }
    w
}

/// The narrow layout: one aligned line per finding, message and remedy wrapped under it.
fn findings_blocks(
    findings: &[Finding],
    fixed: &[usize; 3],
    width: usize,
    style: &Style,
) -> String {
    const INDENT: &str = "    ";
    let text_width = width.saturating_sub(INDENT.len()).max(MIN_MESSAGE_WIDTH);
    let mut out = format!(
        "{:<w0$}{gap}{:<w1$}{gap}SUBJECT\n",
        "SEVERITY",
        "CODE",
        w0 = fixed[0],
        w1 = fixed[1],
        gap = " ".repeat(GAP)
    );
    for f in findings {
        let severity = format!("{:<w$}", f.severity.as_str(), w = fixed[0]);
        out.push_str(&paint(&severity, f.severity, style));
        out.push_str(&format!(
            "{gap}{:<w1$}{gap}{}\n",
            f.code.as_str(),
            f.subject,
            w1 = fixed[1],
            gap = " ".repeat(GAP)
        ));
        for line in wrap(&f.message, text_width) {
            out.push_str(&format!("{INDENT}{line}\n"));
        }
        for line in wrap(&format!("→ {}", f.remedy), text_width) {
            out.push_str(&format!("{INDENT}{line}\n"));
        }
    }
    out
}

fn paint(text: &str, severity: crate::checks::Severity, style: &Style) -> String {
    use crate::checks::Severity;
    if !style.color {
        return text.to_string();
    }
    let code = match severity {
        Severity::Error => "31",
        Severity::Warning => "33",
        Severity::Info => "34",
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

/// Greedy word wrap; a word longer than the width (a node name) gets a line of its own rather
/// than being cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn text(r: &CheckReport, wide: bool, style: &Style) -> String {
    let h = header(r);
    let label_width = h.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    // Header values wrap under themselves when a width is given.
    let value_width = style
        .width
        .map(|w| {
            usize::from(w)
                .saturating_sub(label_width + 2)
                .max(MIN_MESSAGE_WIDTH)
        })
        .unwrap_or(usize::MAX);
    for (label, value) in &h {
        let mut lines = wrap(value, value_width).into_iter();
        let first = lines.next().unwrap_or_default();
        out.push_str(&format!("{:<label_width$}  {first}\n", format!("{label}:")));
        for line in lines {
            out.push_str(&format!("{:label_width$}  {line}\n", ""));
        }
    }
    out.push('\n');
    let groups = node_groups_table(r, style);
    if !groups.is_empty() {
        out.push_str(&groups);
        out.push('\n');
    }
    let addons = super::addons::addons_table(&r.addons, &target_minor(r), style);
    if !addons.is_empty() {
        out.push_str(&addons);
        out.push('\n');
    }
    if let Some(section) = &r.removed_apis {
        out.push_str(&super::removed_apis::text(section, style));
        out.push('\n');
    }
    let table = findings_table(&r.findings, wide, style);
    if !table.is_empty() {
        out.push_str(&table);
        out.push('\n');
    }
    out.push_str(&counts_line(&r.summary));
    out.push('\n');
    out
}

/// `1.33` of the target (the add-on table's default column).
fn target_minor(r: &CheckReport) -> String {
    Version::parse(&r.target)
        .map(|v| v.minor_str())
        .unwrap_or_else(|_| r.target.clone())
}

fn findings_markdown(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            vec![
                f.severity.to_string(),
                format!("`{}`", f.code),
                format!("`{}`", f.subject),
                f.message.clone(),
                f.remedy.clone(),
            ]
        })
        .collect();
    markdown_table(&["Severity", "Code", "Subject", "Message", "Remedy"], &rows)
}

fn markdown(r: &CheckReport) -> String {
    let mut out = String::from("### kup check\n\n");
    for (label, value) in header(r) {
        out.push_str(&format!(
            "- **{label}:** {}\n",
            super::markdown_escape(&value)
        ));
    }
    out.push('\n');
    if let EksSection::Read(info) = &r.eks
        && !info.node_groups().is_empty()
    {
        let rows: Vec<Vec<String>> = node_group_rows(info)
            .into_iter()
            .map(|mut row| {
                row[0] = format!("`{}`", row[0]);
                row
            })
            .collect();
        out.push_str(&markdown_table(&NODE_GROUP_HEADER, &rows));
        out.push('\n');
    }
    let addons = super::addons::addons_markdown(&r.addons, &target_minor(r));
    if !addons.is_empty() {
        out.push_str(&addons);
        out.push('\n');
    }
    if let Some(section) = &r.removed_apis {
        out.push_str(&super::removed_apis::markdown(section));
    }
    let table = findings_markdown(&r.findings);
    if !table.is_empty() {
        out.push_str(&table);
        out.push('\n');
    }
    out.push_str(&format!("**{}**\n", counts_line(&r.summary)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::workshop;
    use crate::report::checked;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn check_table() {
        let r = checked(&workshop(), &v("1.25.16"));
        insta::assert_snapshot!(render_check(&r, Format::Table, &Style::default()));
    }

    #[test]
    fn check_table_two_minors_ahead() {
        let r = checked(&workshop(), &v("1.27"));
        let out = render_check(&r, Format::Table, &Style::default());
        assert!(out.ends_with("\n7 errors, 1 warning, 1 info\n"), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn a_far_target_names_the_first_hops_and_the_last() {
        let line = |t: &str| target_line(&checked(&workshop(), &v(t)));
        assert_eq!(
            line("1.30"),
            "1.30 (one minor at a time: 1.26, then 1.27, then 1.28, then 1.29, then 1.30)"
        );
        assert_eq!(line("1.31"), "1.31 (6 upgrades: 1.26, 1.27, …, 1.31)");
        assert_eq!(line("1.99"), "1.99 (74 upgrades: 1.26, 1.27, …, 1.99)");
    }

    #[test]
    fn check_wide_has_a_remedy_column() {
        let r = checked(&workshop(), &v("1.26"));
        let out = render_check(&r, Format::Wide, &Style::default());
        assert!(out.contains("REMEDY"));
        insta::assert_snapshot!(out);
    }

    fn with_eks(target: &str) -> CheckReport {
        let mut s = workshop();
        s.eks = EksSection::Read(Box::new(crate::checks::fixtures::workshop_eks()));
        s.taken_at = "2025-01-15T12:00:00Z".parse().ok();
        checked(&s, &v(target))
    }

    #[test]
    fn check_markdown() {
        insta::assert_snapshot!(render_check(
            &with_eks("1.26"),
            Format::Markdown,
            &Style::default()
        ));
    }

    #[test]
    fn check_table_with_eks() {
        let out = render_check(&with_eks("1.26"), Format::Table, &Style::default());
        assert!(out.contains("EKS:"), "{out}");
        assert!(out.contains("mng-1 "), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn check_fits_80_columns() {
        let r = checked(&workshop(), &v("1.27"));
        let out = render_check(
            &r,
            Format::Table,
            &Style {
                color: false,
                width: Some(80),
            },
        );
        insta::assert_snapshot!(out);
        for line in out.lines() {
            assert!(
                line.chars().count() <= 80,
                "{} chars: {line}",
                line.chars().count()
            );
        }
    }

    #[test]
    fn wide_enough_terminals_get_the_message_column() {
        let r = checked(&workshop(), &v("1.26"));
        let out = render_check(
            &r,
            Format::Table,
            &Style {
                color: false,
                width: Some(140),
            },
        );
        assert!(out.contains("MESSAGE"));
        for line in out.lines().skip_while(|l| !l.starts_with("SEVERITY")) {
            assert!(line.chars().count() <= 140, "{line}");
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn wrap_keeps_long_words_whole() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(
            wrap("x averyveryverylongword y", 5),
            ["x", "averyveryverylongword", "y"]
        );
        assert!(wrap("  ", 5).is_empty());
    }

    #[test]
    fn clean_cluster_says_no_findings() {
        let mut s = workshop();
        for n in &mut s.nodes {
            n.kubelet_version = "v1.25.16-eks-3025e55".into();
        }
        let r = checked(&s, &v("1.25.16"));
        let out = render_check(&r, Format::Table, &Style::default());
        assert!(out.ends_with("\nNo findings.\n"), "{out}");
        assert!(!out.contains("SEVERITY"));
    }

    #[test]
    fn findings_alone() {
        let r = checked(&workshop(), &v("1.26"));
        let json = render_findings(&r.findings, Format::Json, &Style::default());
        let back: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back[0]["code"], "KUP-SKEW-002");
        let table = render_findings(&r.findings, Format::Table, &Style::default());
        assert!(table.starts_with("SEVERITY"));
        assert!(table.ends_with("3 errors, 4 warnings, 1 info\n"), "{table}");
    }
}
