//! kup as a kubectl plugin, with the real kubectl (`KUP_KUBECTL`, installed by
//! scripts/test.sh): a `kubectl-kup` symlink to the kup binary on PATH makes `kubectl kup ...`
//! run kup with the arguments after `kup` as they were typed, and with kubectl's environment.

mod common;

use common::{Run, Sim, clean_command};
use std::path::{Path, PathBuf};

fn kubectl_path() -> PathBuf {
    std::env::var_os("KUP_KUBECTL")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("kubectl"))
                .find(|p| p.is_file())
        })
        .expect(
            "kubectl not found (set KUP_KUBECTL or put kubectl on PATH): run the tests with \
             ./scripts/test.sh, which installs it into .venv/",
        )
}

/// A directory holding only the `kubectl-kup` symlink to the kup binary under test.
fn plugin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_kup"),
        dir.path().join(kup::kubectl_plugin::PLUGIN_FILE),
    )
    .unwrap();
    dir
}

/// `kubectl ARGS` with PATH = the plugin directory first, then kubectl's own directory only
/// (no other `kubectl-kup` can shadow the one under test).
fn kubectl(plugins: &Path, kubeconfig_env: Option<&Path>, args: &[&str]) -> Run {
    let kubectl = kubectl_path();
    let path = std::env::join_paths([plugins, kubectl.parent().unwrap()]).unwrap();
    let mut cmd = clean_command(&kubectl);
    cmd.env("PATH", path).args(args);
    if let Some(k) = kubeconfig_env {
        cmd.env("KUBECONFIG", k);
    }
    Run::from(cmd.output().expect("kubectl runs"))
}

fn node_names(report: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = report["pools"]
        .as_array()
        .expect("pools")
        .iter()
        .flat_map(|p| p["nodes"].as_array().unwrap())
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn kubectl_kup_drift_is_kup_drift_with_kubectls_flags_and_environment() {
    let sim = Sim::builtin("workshop");
    let plugins = plugin_dir();
    let kc = sim.kubeconfig.to_str().unwrap();

    let direct = sim.kup(&["drift", "-o", "json"]);
    assert_eq!(direct.code, 0, "{direct:?}");
    let all = node_names(&direct.json());
    assert!(!all.is_empty());

    // kubectl's flags after the plugin name reach kup verbatim.
    let run = kubectl(
        plugins.path(),
        None,
        &["kup", "drift", "--kubeconfig", kc, "-o", "json"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["kind"], "DriftReport", "{run:?}");
    assert_eq!(node_names(&run.json()), all, "{run:?}");

    // KUBECONFIG from kubectl's environment, --context, -l and -n as kubectl spells them.
    let context = sim.handle.as_ref().unwrap().cluster_arn();
    let args = [
        "drift",
        "--context",
        context.as_str(),
        "-n",
        "default",
        "-l",
        "node-type=applications",
        "-o",
        "json",
    ];
    let direct = common::kup_command()
        .env("KUBECONFIG", &sim.kubeconfig)
        .args(args)
        .output()
        .unwrap();
    let direct = Run::from(direct);
    assert_eq!(direct.code, 0, "{direct:?}");
    let selected = node_names(&direct.json());
    assert!(
        !selected.is_empty() && selected.len() < all.len(),
        "-l narrows the nodes: {selected:?} of {all:?}"
    );
    let mut plugin_args = vec!["kup"];
    plugin_args.extend(args);
    let run = kubectl(plugins.path(), Some(&sim.kubeconfig), &plugin_args);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(node_names(&run.json()), selected, "{run:?}");

    // kup's exit codes come through kubectl (it execs the plugin): an unknown context is 2.
    let run = kubectl(
        plugins.path(),
        Some(&sim.kubeconfig),
        &["kup", "drift", "--context", "nope"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("nope"), "{run:?}");

    // Usage messages name the command as typed.
    let run = kubectl(plugins.path(), None, &["kup", "--bogus"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("Usage: kubectl kup"), "{run:?}");

    // kubectl itself refuses flags before a plugin's name (documented in the README).
    let run = kubectl(plugins.path(), None, &["--kubeconfig", kc, "kup", "drift"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("before plugin name"), "{run:?}");
}
