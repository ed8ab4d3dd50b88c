//! `-o junit`: findings as JUnit XML for CI test reporters (GitLab, Jenkins, GitHub actions
//! that read JUnit). One `<testsuite>` per cluster; in it, every code of the catalogue the
//! command judges is a check: a code with no finding is one passing test case, a code with
//! findings is one test case per finding (`KUP-SKEW-001 node/ip-1`), failed when the finding is
//! at or above `--fail-on`. One failure per test case is what every reporter shows well (some
//! show only the first of several). See docs/output.md.

use crate::checks::{FailOn, Family, Finding, catalogue, exceeds};
use crate::eks::EksSection;
use crate::report::{CheckReport, WorkloadsReport};
use std::fmt::Write;

/// One cluster's results.
#[derive(Clone, Debug)]
pub struct JunitSuite<'a> {
    /// The cluster as the user names it (its context).
    pub name: String,
    pub findings: &'a [Finding],
    /// The families the command judged: their codes are the test cases.
    pub families: &'a [Family],
    /// Families that could not be judged, with why (their codes are skipped test cases).
    pub skipped: Vec<(Family, String)>,
    /// The cluster could not be read at all: one test case in error, nothing else.
    pub error: Option<String>,
}

impl<'a> JunitSuite<'a> {
    /// `kup check`: every family; the EKS family is skipped when EKS was not read.
    pub fn check(name: &str, report: &'a CheckReport) -> JunitSuite<'a> {
        let skipped = match &report.eks {
            EksSection::Skipped { reason } => vec![(Family::Eks, reason.clone())],
            EksSection::Read(_) => Vec::new(),
        };
        JunitSuite {
            name: name.to_string(),
            findings: &report.findings,
            families: &Family::ALL,
            skipped,
            error: None,
        }
    }

    /// `kup workloads`: the placement family.
    pub fn workloads(name: &str, report: &'a WorkloadsReport) -> JunitSuite<'a> {
        JunitSuite {
            name: name.to_string(),
            findings: &report.findings,
            families: &[Family::Placement],
            skipped: Vec::new(),
            error: None,
        }
    }

    /// A cluster that could not be read.
    pub fn unreadable(name: &str, error: String) -> JunitSuite<'static> {
        JunitSuite {
            name: name.to_string(),
            findings: &[],
            families: &[],
            skipped: Vec::new(),
            error: Some(error),
        }
    }
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// The whole document: `<testsuites name=TITLE>` with one `<testsuite>` per suite.
pub fn render_junit(title: &str, suites: &[JunitSuite<'_>], fail_on: FailOn) -> String {
    let mut total = Counts::default();
    let mut body = String::new();
    for suite in suites {
        let (counts, cases) = suite_cases(suite, fail_on);
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            esc(&suite.name),
            counts.tests,
            counts.failures,
            counts.errors,
            counts.skipped
        );
        body.push_str(&cases);
        body.push_str("  </testsuite>\n");
        total.tests += counts.tests;
        total.failures += counts.failures;
        total.errors += counts.errors;
        total.skipped += counts.skipped;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{}\" \
         failures=\"{}\" errors=\"{}\">\n{body}</testsuites>\n",
        esc(title),
        total.tests,
        total.failures,
        total.errors
    )
}

/// `kup.skew` for KUP-SKEW-001: reporters group test cases by this "class".
fn classname(id: &str) -> String {
    format!(
        "kup.{}",
        id.split('-').nth(1).unwrap_or("other").to_ascii_lowercase()
    )
}

fn suite_cases(suite: &JunitSuite<'_>, fail_on: FailOn) -> (Counts, String) {
    let mut c = Counts::default();
    let mut out = String::new();
    if let Some(err) = &suite.error {
        c.tests = 1;
        c.errors = 1;
        let _ = writeln!(
            out,
            "    <testcase classname=\"kup.cluster\" name=\"read the cluster\">\n      \
             <error type=\"unreadable\" message=\"{}\">{}</error>\n    </testcase>",
            esc(&first_line(err)),
            esc(err)
        );
        return (c, out);
    }
    for info in catalogue() {
        let family = info.code.family();
        if !suite.families.contains(&family) {
            continue;
        }
        let class = classname(info.id);
        let of_code: Vec<&Finding> = suite
            .findings
            .iter()
            .filter(|f| f.code == info.code)
            .collect();
        if of_code.is_empty() {
            c.tests += 1;
            let name = format!("{} {}", info.id, info.title);
            match suite.skipped.iter().find(|(f, _)| *f == family) {
                Some((_, why)) => {
                    c.skipped += 1;
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"{class}\" name=\"{}\">\n      \
                         <skipped message=\"{}\"/>\n    </testcase>",
                        esc(&name),
                        esc(why)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    <testcase classname=\"{class}\" name=\"{}\"/>",
                        esc(&name)
                    );
                }
            }
            continue;
        }
        for f in of_code {
            c.tests += 1;
            let name = format!("{} {}", info.id, f.subject);
            let detail = format!(
                "{} {}: {}\nsubject: {}\n{}\nremedy: {}",
                f.severity.as_str(),
                info.id,
                info.title,
                f.subject,
                f.message,
                f.remedy
            );
            if exceeds(std::slice::from_ref(f), fail_on) {
                c.failures += 1;
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{class}\" name=\"{}\">\n      \
                     <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                    esc(&name),
                    info.id,
                    esc(&f.message),
                    esc(&detail)
                );
            } else {
                // Below --fail-on: a passing test that still carries what was found.
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{class}\" name=\"{}\">\n      \
                     <system-out>{}</system-out>\n    </testcase>",
                    esc(&name),
                    esc(&detail)
                );
            }
        }
    }
    (c, out)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// XML 1.0 text and attribute escaping; characters XML 1.0 cannot carry at all (control
/// characters other than tab and newline) become U+FFFD, and newlines in attributes stay
/// newlines (`&#10;`).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Code, Severity};

    fn finding(code: Code, severity: Severity, subject: &str) -> Finding {
        Finding {
            code,
            severity,
            subject: subject.to_string(),
            message: "a <message> & \"quotes\"\nsecond line\u{1b}".to_string(),
            remedy: "do it".to_string(),
        }
    }

    #[test]
    fn one_case_per_code_and_per_finding_failures_at_fail_on() {
        let findings = [
            finding(Code::SkewBehind, Severity::Warning, "node/a"),
            finding(Code::SkewBehind, Severity::Warning, "node/b"),
            finding(Code::SkewBeyondPolicy, Severity::Error, "node/c"),
        ];
        let families = [Family::Skew];
        let suite = JunitSuite {
            name: "prod".into(),
            findings: &findings,
            families: &families,
            skipped: Vec::new(),
            error: None,
        };
        let skew_codes = catalogue()
            .iter()
            .filter(|c| c.code.family() == Family::Skew)
            .count();
        // Two codes fired: SKEW-001 twice, SKEW-002 once; the others pass once each.
        let tests = skew_codes - 2 + 3;
        let xml = render_junit("kup check", std::slice::from_ref(&suite), FailOn::Error);
        assert!(
            xml.contains(&format!(
                "<testsuite name=\"prod\" tests=\"{tests}\" failures=\"1\" errors=\"0\""
            )),
            "{xml}"
        );
        assert_eq!(xml.matches("<testcase ").count(), tests, "{xml}");
        assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
        assert!(
            xml.contains("name=\"KUP-SKEW-002 node/c\">\n      <failure type=\"KUP-SKEW-002\""),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase classname=\"kup.skew\" name=\"KUP-SKEW-003 kubelet newer"),
            "{xml}"
        );
        // Escaped, control character replaced, newline kept in the attribute.
        assert!(
            xml.contains(
                "message=\"a &lt;message&gt; &amp; &quot;quotes&quot;&#10;second line\u{FFFD}\""
            ),
            "{xml}"
        );
        let warn = render_junit("kup check", &[suite], FailOn::Warning);
        assert_eq!(warn.matches("<failure ").count(), 3, "{warn}");
        assert!(warn.contains("failures=\"3\""), "{warn}");
    }

    #[test]
    fn skipped_families_and_unreadable_clusters() {
        let families = [Family::Eks];
        let suites = [
            JunitSuite {
                name: "a".into(),
                findings: &[],
                families: &families,
                skipped: vec![(Family::Eks, "no EKS".into())],
                error: None,
            },
            JunitSuite::unreadable("b", "connection refused\nmore".into()),
        ];
        let xml = render_junit("kup fleet", &suites, FailOn::Error);
        let eks_codes = catalogue()
            .iter()
            .filter(|c| c.code.family() == Family::Eks)
            .count();
        assert_eq!(xml.matches("<skipped ").count(), eks_codes, "{xml}");
        assert!(
            xml.contains("<error type=\"unreadable\" message=\"connection refused\">"),
            "{xml}"
        );
        assert!(
            xml.contains(&format!(
                "<testsuites name=\"kup fleet\" tests=\"{}\" failures=\"0\" errors=\"1\">",
                eks_codes + 1
            )),
            "{xml}"
        );
    }
}
