//! `-o junit` against kup-sim: the documents validate against the JUnit schema CI reporters
//! read (tests/data/junit.xsd, checked with xmllint from libxml2-utils, which .ci/run installs),
//! their counts add up, and the failures are the findings at or above `--fail-on`.

mod common;

use common::Sim;
use common::xmllint::validate;

/// The value of ATTR on the first element that starts with OPEN (`<testsuites`).
fn attr(xml: &str, open: &str, attr: &str) -> usize {
    let start = xml.find(open).unwrap_or_else(|| panic!("no {open}: {xml}"));
    let tag = &xml[start..start + xml[start..].find('>').unwrap()];
    let key = format!(" {attr}=\"");
    let v = &tag[tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {attr} in {tag}"))
        + key.len()..];
    v[..v.find('"').unwrap()].parse().unwrap()
}

#[test]
fn the_schema_rejects_what_reporters_reject() {
    validate("<testsuites><testsuite name=\"a\" tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"x\"/></testsuite></testsuites>")
        .expect("a minimal report is valid");
    for bad in [
        // a test case without a name
        "<testsuites><testsuite name=\"a\" tests=\"1\" failures=\"0\" errors=\"0\"><testcase/></testsuite></testsuites>",
        // a suite without its counts
        "<testsuites><testsuite name=\"a\"><testcase name=\"x\"/></testsuite></testsuites>",
        // a count that is not a number
        "<testsuites><testsuite name=\"a\" tests=\"many\" failures=\"0\" errors=\"0\"/></testsuites>",
        // an element reporters do not know
        "<testsuites><testsuite name=\"a\" tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"x\"><oops/></testcase></testsuite></testsuites>",
    ] {
        assert!(validate(bad).is_err(), "accepted: {bad}");
    }
}

#[test]
fn check_and_workloads_write_valid_junit_with_a_failure_per_finding_at_fail_on() {
    let sim = Sim::builtin("workshop");
    let json = sim
        .kup(&["check", "--fail-on", "never", "-o", "json"])
        .json();
    let findings = json["findings"].as_array().unwrap();
    let at_least = |levels: &[&str]| {
        findings
            .iter()
            .filter(|f| levels.contains(&f["severity"].as_str().unwrap()))
            .count()
    };

    let run = sim.kup(&["check", "--fail-on", "warning", "-o", "junit"]);
    assert_eq!(run.code, 1, "lagging nodes are warnings: {run:?}");
    validate(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
    let failures = at_least(&["error", "warning"]);
    assert!(failures > 0);
    assert_eq!(run.stdout.matches("<failure ").count(), failures, "{run:?}");
    assert_eq!(attr(&run.stdout, "<testsuites", "failures"), failures);
    assert_eq!(
        attr(&run.stdout, "<testsuites", "tests"),
        run.stdout.matches("<testcase ").count()
    );
    assert!(
        run.stdout.contains("<failure type=\"KUP-SKEW-001\""),
        "{run:?}"
    );
    // The suite is the context; without AWS the EKS checks are skipped, not passed.
    let context = sim.handle.as_ref().unwrap().cluster_arn();
    assert!(
        run.stdout
            .contains(&format!("<testsuite name=\"{context}\"")),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("classname=\"kup.eks\"") && run.stdout.contains("<skipped "),
        "{run:?}"
    );

    // At the default --fail-on error, warnings are passing cases that still say what was found.
    let run = sim.kup(&["check", "-o", "junit"]);
    validate(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
    assert_eq!(
        run.stdout.matches("<failure ").count(),
        at_least(&["error"]),
        "{run:?}"
    );
    assert_eq!(run.code, i32::from(at_least(&["error"]) > 0), "{run:?}");
    assert!(
        run.stdout.contains("<system-out>warning KUP-SKEW-001"),
        "{run:?}"
    );

    let run = sim.kup(&["workloads", "--fail-on", "warning", "-o", "junit"]);
    validate(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}", run.stdout));
    assert!(run.stdout.contains("classname=\"kup.place\""), "{run:?}");
    assert!(!run.stdout.contains("classname=\"kup.skew\""), "{run:?}");

    // Commands without checks refuse it (usage, exit 2).
    let run = sim.kup(&["drift", "-o", "junit"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("-o junit"), "{run:?}");
}
