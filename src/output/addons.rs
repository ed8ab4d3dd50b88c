//! The add-on table of `kup check`: each EKS add-on (or core component running without one)
//! with its version, status, EKS's default at the target and the verdict.

use super::{Style, finish_table, kubectl_table, markdown_table};
use crate::addons::AddonVerdict;
use crate::checks::addons::AddonRow;

fn verdict(v: &AddonVerdict) -> String {
    match v {
        AddonVerdict::Current => "current".into(),
        AddonVerdict::Behind { .. } => "behind default".into(),
        AddonVerdict::Incompatible { .. } => "incompatible".into(),
        AddonVerdict::KubeProxyTooNew => "newer than target".into(),
        AddonVerdict::KubeProxyTooOld { max_lag } => format!("lags > {max_lag} minors"),
        AddonVerdict::Unknown => "unknown".into(),
    }
}

fn header(target_minor: &str) -> [String; 5] {
    [
        "ADD-ON".into(),
        "VERSION".into(),
        "STATUS".into(),
        format!("DEFAULT AT {target_minor}"),
        "VERDICT".into(),
    ]
}

fn rows(addons: &[AddonRow]) -> Vec<Vec<String>> {
    addons
        .iter()
        .map(|a| {
            let status = match (&a.status, a.health_issues.len()) {
                (Some(s), 0) => s.clone(),
                (Some(s), n) => format!("{s} ({n} issue{})", if n == 1 { "" } else { "s" }),
                (None, _) => "self-managed".into(),
            };
            vec![
                if a.managed {
                    a.name.clone()
                } else {
                    a.subject.clone()
                },
                a.version.clone().unwrap_or_else(|| "?".into()),
                status,
                a.target_default.clone().unwrap_or_else(|| "-".into()),
                verdict(&a.verdict),
            ]
        })
        .collect()
}

pub(super) fn addons_table(addons: &[AddonRow], target_minor: &str, style: &Style) -> String {
    if addons.is_empty() {
        return String::new();
    }
    let mut t = kubectl_table(style);
    t.set_header(header(target_minor).to_vec());
    for row in rows(addons) {
        t.add_row(row);
    }
    finish_table(&mut t, &[0, 1, 2, 3, 4])
}

pub(super) fn addons_markdown(addons: &[AddonRow], target_minor: &str) -> String {
    if addons.is_empty() {
        return String::new();
    }
    let h = header(target_minor);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = rows(addons)
        .into_iter()
        .map(|mut r| {
            r[0] = format!("`{}`", r[0]);
            r
        })
        .collect();
    markdown_table(&h, &rows)
}

#[cfg(test)]
mod tests {
    use crate::checks::addons::tests::upgrade_to_1_33;
    use crate::checks::{Config, Family, Run};
    use crate::output::{Format, Style, render_check};
    use crate::version::Version;

    /// The add-on and EKS families (skew's are the same for every node here).
    fn report() -> crate::report::CheckReport {
        let target = Version::parse("1.33").unwrap_or_else(|e| panic!("{e}"));
        let s = upgrade_to_1_33();
        let run = Run {
            target: &target,
            families: &[Family::Eks, Family::Addon],
            skew_nodes: None,
        };
        let findings = crate::checks::run(&s, &Config::default(), &run);
        crate::report::check_report(&s, &target, findings)
    }

    #[test]
    fn check_table_with_addons() {
        let out = render_check(&report(), Format::Table, &Style::default());
        assert!(out.contains("DEFAULT AT 1.33"), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn check_markdown_with_addons() {
        let out = render_check(&report(), Format::Markdown, &Style::default());
        assert!(out.contains("| `vpc-cni` |"), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn check_json_carries_the_addons() {
        let r = report();
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["addons"][3]["name"], "vpc-cni");
        assert_eq!(json["addons"][3]["verdict"], "incompatible");
        assert_eq!(json["addons"][3]["targetDefault"], "v1.19.2-eksbuild.1");
        assert_eq!(json["eks"]["addons"][1]["status"], "DEGRADED");
        insta::assert_json_snapshot!(json["addons"]);
    }
}
