//! The kup-sim binary refuses bad input: it names the file, the line and what is wrong, and
//! exits non-zero (never a panic).

use std::process::Command;

fn kup_sim(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kup-sim"))
        .args(args)
        .output()
        .expect("run kup-sim");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_scenario_names_file_line_and_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "cluster:\n  name: x\nworkloads:\n  - kind: Deployment\n    name: a\n    replica: 3\n",
    )
    .expect("write");
    let (ok, stderr) = kup_sim(&["--scenario", path.to_str().unwrap_or_default()]);
    assert!(!ok);
    assert!(
        stderr.contains("bad.yaml:6:5:") && stderr.contains("replica"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_manifest_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n").expect("write");
    let (ok, stderr) = kup_sim(&["--manifests", dir.path().to_str().unwrap_or_default()]);
    assert!(!ok);
    assert!(
        stderr.contains("a.yaml:5:1:") && stderr.contains("ConfigMap"),
        "{stderr}"
    );
}

#[test]
fn bad_generate_spec_is_refused() {
    let (ok, stderr) = kup_sim(&["--generate", "nodes=10,replicas=3"]);
    assert!(!ok);
    assert!(stderr.contains("unknown key \"replicas\""), "{stderr}");
}

#[test]
fn missing_scenario_file_is_named() {
    let (ok, stderr) = kup_sim(&["--scenario", "/nonexistent/scenario.yaml"]);
    assert!(!ok);
    assert!(stderr.contains("/nonexistent/scenario.yaml"), "{stderr}");
}
