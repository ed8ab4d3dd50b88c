//! Rendering reports as tables (kubectl-like), JSON, YAML or Markdown, written into the
//! caller's `Write` (JSON and YAML serialised as they go, never built as one string first; only
//! `Progress` draws, on stderr, while a rotation runs); the caller decides colour and width
//! (TTY detection belongs to the shell). It renders what the core made and decides nothing.

mod addons;
mod check;
mod drift;
mod duration;
mod fleet;
mod junit;
mod karpenter;
mod removed_apis;
pub use karpenter::{follow_end, follow_progress};
mod rotate;
mod rotate_run;
mod upgrade;
mod workloads;

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets};
use serde::Serialize;
use std::io::{self, Write};

pub use check::{render_check, render_findings, write_check};
pub use drift::{render_drift, write_drift};
pub use duration::human_duration;
pub use fleet::{render_fleet, write_fleet};
pub use junit::{JunitSuite, render_junit};
pub use rotate::render_rotate_plan;
pub use rotate_run::{Progress, event_line, plan_not_run, run_summary, undo_note};
pub use upgrade::{render_upgrade_plan, upgrade_line, upgrade_summary};
pub use workloads::{render_workloads, write_workloads};

use crate::checks::Severity;
use crate::report::Verdict;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Wide,
    Json,
    Yaml,
    Markdown,
    /// JUnit XML for CI test reporters: `check`, `workloads` and `fleet` only.
    Junit,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours (the shell decides: `--color`, `NO_COLOR`, TTY).
    pub color: bool,
    /// Terminal width to fit tables into; None leaves them at their natural width.
    pub width: Option<u16>,
}

/// Pretty JSON with a trailing newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    rendered(|out| write_json(value, out))
}

pub fn to_yaml<T: Serialize>(value: &T) -> String {
    rendered(|out| write_yaml(value, out))
}

/// Pretty JSON with a trailing newline, serialised straight into OUT as it goes (no document
/// string in between).
pub fn write_json<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// YAML ending with a newline, serialised straight into OUT as it goes.
pub fn write_yaml<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    let mut w = LastByte { out, last: None };
    serde_saphyr::to_io_writer(&mut w, value).map_err(|e| match e {
        serde_saphyr::ser::Error::IO { error } => error,
        other => io::Error::other(other.to_string()),
    })?;
    if w.last != Some(b'\n') {
        w.out.write_all(b"\n")?;
    }
    Ok(())
}

/// What a renderer writes, as a string (for callers that print it elsewhere, and tests).
pub fn rendered(render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    let mut buf = Vec::new();
    match render(&mut buf) {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        // Writing into memory fails only if a report cannot be serialised (a non-string map
        // key): our report types have none, but this must not panic.
        Err(e) => format!("error: {e}\n"),
    }
}

/// Remembers the last byte written, so YAML gets its final newline without being buffered.
struct LastByte<'a> {
    out: &'a mut dyn Write,
    last: Option<u8>,
}

impl Write for LastByte<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Escapes text for a Markdown table cell: `|` would end the cell, a newline the row.
pub fn markdown_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// The README's table of codes (between `<!-- codes:begin -->` and `<!-- codes:end -->`).
pub fn codes_markdown_table() -> String {
    let mut out = String::from("| Code | Severity | Title | Description |\n|---|---|---|---|\n");
    for c in crate::checks::catalogue() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.id,
            c.severity,
            markdown_escape(c.title),
            markdown_escape(c.description)
        ));
    }
    out
}

/// A Markdown table (GitHub flavour) from a header and rows of plain text.
pub(crate) fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    out.push_str("| ");
    out.push_str(
        &header
            .iter()
            .map(|h| markdown_escape(h))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(" |\n|");
    out.push_str(&"---|".repeat(header.len()));
    out.push('\n');
    for row in rows {
        out.push_str("| ");
        out.push_str(
            &row.iter()
                .map(|c| markdown_escape(c))
                .collect::<Vec<_>>()
                .join(" | "),
        );
        out.push_str(" |\n");
    }
    out
}

/// A borderless table like kubectl's: upper-case headers, columns three spaces apart.
pub(crate) fn kubectl_table(style: &Style) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    // Output must not depend on where the test or the caller's stdout points.
    t.force_no_tty();
    if style.color {
        t.enforce_styling();
    }
    match style.width {
        Some(w) => {
            t.set_width(w);
            t.set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t
}

/// Sets kubectl's spacing once the columns exist, and renders without trailing blanks.
/// Columns in `never_wrap` hold identifiers people copy (node names, codes): when the table
/// must shrink to the width, only the other columns wrap.
pub(crate) fn finish_table(t: &mut Table, never_wrap: &[usize]) -> String {
    let n = t.column_count();
    // The other columns wrap between words only, never inside one (a pool or version).
    let longest_word: Vec<u16> = (0..n)
        .map(|i| {
            t.column_cells_with_header_iter(i)
                .flatten()
                .flat_map(|c| {
                    c.content()
                        .split_whitespace()
                        .map(|w| w.chars().count())
                        .collect::<Vec<_>>()
                })
                .max()
                .unwrap_or(0)
        })
        .map(|w| u16::try_from(w).unwrap_or(u16::MAX))
        .collect();
    for (i, col) in t.column_iter_mut().enumerate() {
        let gap = if i + 1 == n { 0 } else { 3 };
        col.set_padding((0, gap));
        let constraint = if never_wrap.contains(&i) {
            ColumnConstraint::ContentWidth
        } else {
            // comfy-table's fixed widths include the padding.
            ColumnConstraint::LowerBoundary(Width::Fixed(longest_word[i].saturating_add(gap)))
        };
        col.set_constraint(constraint);
    }
    let mut out = t
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

pub(crate) fn colored(text: impl ToString, color: Option<Color>, style: &Style) -> Cell {
    let cell = Cell::new(text);
    match (style.color, color) {
        (true, Some(c)) => cell.fg(c),
        _ => cell,
    }
}

pub(crate) fn severity_color(s: Severity) -> Option<Color> {
    Some(match s {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Blue,
    })
}

pub(crate) fn verdict_color(v: Verdict) -> Option<Color> {
    match v {
        Verdict::Current => Some(Color::Green),
        Verdict::Behind | Verdict::AheadOfTarget => Some(Color::Yellow),
        Verdict::BeyondPolicy | Verdict::NewerThanApiServer => Some(Color::Red),
        Verdict::Unknown => Some(Color::DarkGrey),
    }
}

/// `-1`, `0`, `+1` for the SKEW column; `?` when unknown.
pub fn skew_label(skew: Option<i64>) -> String {
    match skew {
        Some(s) if s > 0 => format!("+{s}"),
        Some(s) => s.to_string(),
        None => "?".to_string(),
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_pipes_and_newlines() {
        assert_eq!(markdown_escape("a|b\nc"), "a\\|b<br>c");
        assert_eq!(markdown_escape(r"x\|"), r"x\\\|");
    }

    #[test]
    fn markdown_table_lists_every_code() {
        let t = codes_markdown_table();
        assert_eq!(t.lines().count(), crate::checks::catalogue().len() + 2);
        assert!(t.contains("| `KUP-SKEW-004` | error | control-plane upgrade blocked by nodes |"));
        insta::assert_snapshot!(t);
    }

    #[test]
    fn skew_labels_are_signed() {
        assert_eq!(skew_label(Some(-1)), "-1");
        assert_eq!(skew_label(Some(0)), "0");
        assert_eq!(skew_label(Some(1)), "+1");
        assert_eq!(skew_label(None), "?");
    }

    #[test]
    fn json_and_yaml_end_with_a_newline() {
        let v = serde_json::json!({"a": [1, 2]});
        assert!(to_json(&v).ends_with("]\n}\n"));
        assert_eq!(to_yaml(&v).lines().next(), Some("a:"));
        assert!(to_yaml(&v).ends_with('\n'));
    }
}
