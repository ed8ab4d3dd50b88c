//! Reports are streamed to stdout (issue 18): a reader that stops early (`kup drift -o json |
//! head -1`) ends the command quietly, with the exit code it would have had.

mod common;

use common::{Sim, SimSpec};
use std::process::Stdio;

/// Runs `kup ARGS` with stdout a pipe whose reading end is closed before kup writes a byte.
fn with_closed_stdout(sim: &Sim, args: &[&str]) -> (i32, String) {
    let mut child = common::kup_command()
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kup runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("kup ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_a_report_quietly_with_its_own_exit_code() {
    let sim = Sim::start(SimSpec {
        generate: Some("nodes=400,pods=2000,deployments=40,pools=4,versions=3,pdbs=true"),
        ..Default::default()
    });
    for args in [
        &["drift", "-o", "json"][..],
        &["check", "-o", "yaml"],
        &["workloads", "-o", "json"],
        &["drift"],
    ] {
        let full = sim.kup(args);
        // A pipe without a reader fails the first write (EPIPE), however short the report.
        assert!(!full.stdout.is_empty(), "{args:?}: {full:?}");
        let (code, stderr) = with_closed_stdout(&sim, args);
        assert_eq!(code, full.code, "{args:?}: {stderr}");
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}
