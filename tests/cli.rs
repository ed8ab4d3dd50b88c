//! End to end: the `kup` binary against kup-sim over real HTTP — drift, check, exit codes,
//! error paths, paging.

mod common;

use common::{Sim, SimSpec, kup_with_kubeconfig};
use serde_json::Value;

fn codes_of(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn nodes_of(report: &Value) -> Vec<&Value> {
    report["pools"]
        .as_array()
        .expect("pools array")
        .iter()
        .flat_map(|p| p["nodes"].as_array().unwrap().iter())
        .collect()
}

#[test]
fn drift_lists_lagging_nodes_of_the_workshop_grouped_by_pool() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup(&["drift"]);
    assert_eq!(run.code, 0, "{run:?}");
    for header in [
        "NAME",
        "POOL",
        "KUBELET",
        "CONTROL PLANE",
        "SKEW",
        "VERDICT",
        "STATUS",
        "AGE",
        "PODS",
    ] {
        assert!(
            run.stdout.contains(header),
            "missing column {header}: {run:?}"
        );
    }
    assert!(run.stdout.contains("v1.24.17"), "{run:?}");
    assert!(run.stdout.contains("-1"), "skew -1 shown: {run:?}");
    assert!(
        run.stdout.contains("default"),
        "Provisioner pool `default` named: {run:?}"
    );

    let json = sim.kup(&["drift", "-o", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let doc = json.json();
    assert_eq!(doc["apiVersion"], "kup/v1");
    assert_eq!(doc["kind"], "DriftReport");
    assert!(
        doc["controlPlane"]["gitVersion"]
            .as_str()
            .unwrap()
            .starts_with("v1.25.")
    );
    let nodes = nodes_of(&doc);
    assert!(!nodes.is_empty());
    // Every workshop node still runs 1.24: one minor behind the 1.25 control plane.
    for n in &nodes {
        assert!(n["kubelet"].as_str().unwrap().starts_with("v1.24."), "{n}");
        assert_eq!(n["skew"], -1, "{n}");
    }
    // The Karpenter node(s) of the `default` Provisioner are grouped under their pool.
    let pools: Vec<(&str, &str)> = doc["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["pool"]["kind"].as_str().unwrap(),
                p["pool"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(pools.contains(&("Provisioner", "default")), "{pools:?}");
    assert!(pools.iter().any(|(k, _)| *k == "NodeGroup"), "{pools:?}");
    // The nginx pods are counted on the Karpenter nodes.
    let karpenter_pods: u64 = doc["pools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pool"]["kind"] == "Provisioner")
        .flat_map(|p| p["nodes"].as_array().unwrap())
        .map(|n| n["pods"].as_u64().unwrap())
        .sum();
    assert!(
        karpenter_pods >= 3,
        "3 nginx pods on the Karpenter nodes: {doc}"
    );

    let yaml = sim.kup(&["drift", "-o", "yaml"]);
    assert_eq!(yaml.code, 0, "{yaml:?}");
    assert!(yaml.stdout.contains("kind: DriftReport"), "{yaml:?}");
    let md = sim.kup(&["drift", "-o", "markdown"]);
    assert!(md.stdout.contains("| NAME"), "{md:?}");
}

#[test]
fn drift_selector_and_wide() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup(&["drift", "-l", "node-type=applications", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    let nodes = nodes_of(&doc);
    assert!(!nodes.is_empty());
    assert!(
        nodes.iter().all(|n| n["pool"]["kind"] == "Provisioner"),
        "{doc}"
    );
    let wide = sim.kup(&["drift", "-o", "wide"]);
    for header in ["INSTANCE-TYPE", "ZONE", "KUBE-PROXY"] {
        assert!(wide.stdout.contains(header), "{wide:?}");
    }
}

#[test]
fn check_gates_on_fail_on() {
    let sim = Sim::builtin("workshop");
    let warn = sim.kup(&["check", "--fail-on", "warning"]);
    assert_eq!(warn.code, 1, "lagging nodes are warnings: {warn:?}");
    assert!(warn.stdout.contains("KUP-SKEW-001"), "{warn:?}");
    let default = sim.kup(&["check"]);
    assert_eq!(
        default.code, 0,
        "1 minor behind is within policy, no error: {default:?}"
    );
    let never = sim.kup(&["check", "--fail-on", "never", "-o", "json"]);
    assert_eq!(never.code, 0);
    let doc = never.json();
    assert_eq!(doc["kind"], "CheckReport");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "KUP-SKEW-001")
    );

    // 1.24 kubelets may lag 2 minors (n-2 before 1.25): the Karpenter node is within policy of
    // 1.26, but EKS refuses the upgrade while the managed node group is on another minor.
    let within = sim.kup(&["check", "--target", "1.26", "-o", "json"]);
    assert_eq!(within.code, 1, "{within:?}");
    let codes = codes_of(&within.json());
    assert!(codes.contains(&"KUP-SKEW-007".to_string()), "{codes:?}");
    assert!(!codes.contains(&"KUP-SKEW-004".to_string()), "{codes:?}");
    // Two minors beyond the control plane: 1.24 kubelets are outside the policy of 1.27.
    let ahead = sim.kup(&["check", "--target", "1.27", "-o", "json"]);
    assert_eq!(ahead.code, 1, "{ahead:?}");
    let codes = codes_of(&ahead.json());
    assert!(codes.contains(&"KUP-SKEW-004".to_string()), "{codes:?}");
    assert!(
        codes.contains(&"KUP-SKEW-005".to_string()),
        "one minor at a time: {codes:?}"
    );
    // The remedy names the EKS cluster taken from the context ARN.
    assert!(ahead.stdout.contains("eks-upgrades-workshop"), "{ahead:?}");

    let clean = Sim::builtin("no-lag");
    let ok = clean.kup(&["check", "--fail-on", "warning"]);
    assert_eq!(ok.code, 0, "{ok:?}");
}

#[test]
fn bad_flags_exit_2() {
    let sim = Sim::builtin("workshop");
    let requests = || sim.stats()["requests"]["total"].as_u64().unwrap();
    let before = requests();
    for args in [
        &["drift", "-o", "xml"][..],
        &["drift", "--request-timeout", "5x"],
        &["drift", "--target", "1.x"],
        &["check", "--target", "1.x"],
        &["drift", "-l", "a b=c"],
        &["check", "--fail-on", "sometimes"],
        &["drift", "--color", "purple"],
        &["drift", "-n", "Not_A_Namespace"],
        &["rotate", "--dry-run", "--batch", "0"],
        &["rotate", "--dry-run", "--pool", "fleet/default"],
        &["rotate", "--dry-run", "--timeout", "0"],
    ] {
        let run = sim.kup(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:?} explains itself");
    }
    // Typed before connecting: not one request reached the cluster.
    assert_eq!(requests(), before);
}

#[test]
fn kubeconfig_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let run = kup_with_kubeconfig(&missing, &["drift"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("nope"), "names the file: {run:?}");

    let invalid = dir.path().join("invalid");
    std::fs::write(&invalid, "apiVersion: v1\nclusters: [this is: not: valid\n").unwrap();
    let run = kup_with_kubeconfig(&invalid, &["drift"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("invalid kubeconfig"), "{run:?}");

    let sim = Sim::builtin("workshop");
    let run = sim.kup(&["drift", "--context", "no-such-context"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("no-such-context") && run.stderr.contains("arn:aws:eks:"),
        "names it and lists known ones: {run:?}"
    );

    // KUBECONFIG with several files: the first sets current-context.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "apiVersion: v1\nkind: Config\n").unwrap();
    let joined = std::env::join_paths([empty.as_path(), sim.kubeconfig.as_path()]).unwrap();
    let out = common::kup_command()
        .env("KUBECONFIG", &joined)
        .args(["drift", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unreachable_server_exits_3_naming_the_url() {
    // A port that nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:{port}\n\
contexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\nusers:\n- name: u\n  user: {{}}\n"
        ),
    )
    .unwrap();
    let run = kup_with_kubeconfig(&kc, &["drift"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains(&format!("http://127.0.0.1:{port}")),
        "{run:?}"
    );
}

#[test]
fn unauthorized_and_forbidden_exit_3() {
    let sim = Sim::start(SimSpec {
        builtin: Some("workshop"),
        token: Some("admin-token"),
        readonly_token: Some("readonly-token"),
        noaccess_token: Some("noaccess-token"),
        ..Default::default()
    });
    let ok = sim.kup(&["drift"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    let wrong = kup_with_kubeconfig(&sim.kubeconfig_with_token("wrong-token"), &["drift"]);
    assert_eq!(wrong.code, 3, "{wrong:?}");
    assert!(
        wrong.stderr.contains("401") && wrong.stderr.contains("list"),
        "{wrong:?}"
    );
    // The read-only token reads: drift and check need only get/list.
    let readonly = kup_with_kubeconfig(
        &sim.kubeconfig_with_token("readonly-token"),
        &["check", "--fail-on", "never"],
    );
    assert_eq!(readonly.code, 0, "{readonly:?}");
    // A user bound to no role: 403, naming the verb and the resource it lacks.
    let none = kup_with_kubeconfig(&sim.kubeconfig_with_token("noaccess-token"), &["drift"]);
    assert_eq!(none.code, 3, "{none:?}");
    assert!(
        none.stderr.contains("403") && none.stderr.contains("forbidden"),
        "{none:?}"
    );
    assert!(
        none.stderr.contains("`list` on `nodes`") || none.stderr.contains("`list` on `pods`"),
        "{none:?}"
    );
}

#[test]
fn throttling_and_server_errors_are_retried_until_they_pass() {
    let sim = Sim::builtin("workshop");
    let clean = sim.kup(&["drift", "-o", "json"]);
    assert_eq!(clean.code, 0, "{clean:?}");
    let baseline = sim.stats()["requests"]["total"].as_u64().unwrap();
    for code in [429, 500, 503] {
        sim.set_faults(kup_sim::scenario::FaultConfig {
            fail_next: 3,
            fail_next_code: code,
            ..Default::default()
        });
        let run = sim.kup(&["drift", "-o", "json"]);
        assert_eq!(run.code, 0, "{code} x3 is retried: {run:?}");
        assert_eq!(run.json()["kind"], "DriftReport");
    }
    // Each faulted request was sent again: 3 extra requests per run.
    let total = sim.stats()["requests"]["total"].as_u64().unwrap();
    assert_eq!(total, baseline * 4 + 9, "3 retries per run");
}

#[test]
fn five_thousand_nodes_are_read_in_pages_of_500() {
    let sim = Sim::start(SimSpec {
        generate: Some("nodes=5000,pods=0,deployments=0,daemonsets=0,pools=4"),
        ..Default::default()
    });
    let run = sim.kup(&["drift", "-o", "json"]);
    assert_eq!(run.code, 0, "{:?}", run.stderr);
    assert_eq!(nodes_of(&run.json()).len(), 5000);
    let stats = sim.stats();
    assert_eq!(
        stats["requests"]["by_verb_resource"]["list nodes"], 10,
        "{stats}"
    );
}

#[test]
fn flags_also_come_from_kup_environment_variables() {
    let sim = Sim::builtin("workshop");
    let out = common::kup_command()
        .env("KUP_KUBECONFIG", &sim.kubeconfig)
        .env("KUP_OUTPUT", "json")
        .env("KUP_SELECTOR", "node-type=applications")
        .env("KUP_TARGET", "1.26")
        .arg("drift")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["target"], "1.26", "{doc}");
    assert!(
        nodes_of(&doc)
            .iter()
            .all(|n| n["pool"]["kind"] == "Provisioner"),
        "{doc}"
    );
    let bad = common::kup_command()
        .env("KUP_KUBECONFIG", &sim.kubeconfig)
        .env("KUP_FAIL_ON", "maybe")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_slow_server_times_out_with_exit_3() {
    let sim = Sim::builtin("workshop");
    sim.set_faults(kup_sim::scenario::FaultConfig {
        latency: std::time::Duration::from_secs(5),
        ..Default::default()
    });
    let run = sim.kup(&["drift", "--request-timeout", "1s"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("did not answer in time") && run.stderr.contains(&sim.url),
        "{run:?}"
    );
}

#[test]
fn server_errors_are_retried_then_exit_3_naming_the_call() {
    let sim = Sim::builtin("workshop");
    sim.set_faults(kup_sim::scenario::FaultConfig {
        rate_503: 1.0,
        ..Default::default()
    });
    let run = sim.kup(&["drift"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("503") && run.stderr.contains("after 6 attempt(s)"),
        "{run:?}"
    );
    let stats = sim.stats();
    assert!(
        stats["requests"]["total"].as_u64().unwrap() >= 6,
        "retried: {stats}"
    );
}

#[test]
fn an_expired_continue_token_restarts_the_list_once() {
    let sim = Sim::start(SimSpec {
        generate: Some("nodes=1200,pods=0,deployments=0,daemonsets=0,pools=2"),
        ..Default::default()
    });
    sim.set_faults(kup_sim::scenario::FaultConfig {
        expire_next_continue: 1,
        ..Default::default()
    });
    let run = sim.kup(&["drift", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        nodes_of(&run.json()).len(),
        1200,
        "every node once, none twice"
    );
    // 3 pages, the second expired, then 3 pages again.
    assert_eq!(sim.stats()["requests"]["by_verb_resource"]["list nodes"], 5);
    // Twice in a row is not retried forever: exit 3 naming the 410.
    sim.set_faults(kup_sim::scenario::FaultConfig {
        expire_next_continue: 2,
        ..Default::default()
    });
    let run = sim.kup(&["drift"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("410"), "{run:?}");
}

#[test]
fn a_failing_credential_plugin_is_a_configuration_error_naming_the_command() {
    let sim = Sim::builtin("workshop");
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    let yaml = [
        "apiVersion: v1",
        "kind: Config",
        "current-context: eks",
        "clusters:",
        "- name: c",
        &format!("  cluster: {{server: {}}}", sim.url),
        "contexts:",
        "- name: eks",
        "  context: {cluster: c, user: u}",
        "users:",
        "- name: u",
        "  user:",
        "    exec:",
        "      apiVersion: client.authentication.k8s.io/v1beta1",
        "      command: /bin/false",
        "      args: [eks, get-token]",
    ]
    .join("\n");
    std::fs::write(&kc, yaml).unwrap();
    let run = kup_with_kubeconfig(&kc, &["drift"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("/bin/false") && run.stderr.contains("\"eks\""),
        "{run:?}"
    );
}

/// An unparseable `/version` is the cluster's fault: without `--target` kup cannot judge
/// anything (exit 3); with `--target` it reports KUP-VER-001 and judges the nodes against the
/// target, exiting by its findings.
#[test]
fn an_unparseable_server_version_with_a_target_is_judged_against_the_target() {
    let workshop = kup_sim::scenario::builtin("workshop").expect("workshop");
    // The cluster stays 1.25 for kup-sim (nodes, EKS); only /version serves the odd string,
    // and its major/minor ("1", "x+") do not parse either.
    let yaml = workshop.replace(
        "  version: v1.25.16-eks-3025e55\n",
        "  version: v1.25.16-eks-3025e55\n  servedVersion: v1.x-weird\n",
    );
    assert_ne!(yaml, workshop, "the workshop names its version");
    let sim = Sim::start(common::SimSpec {
        yaml: Some(&yaml),
        ..Default::default()
    });
    let without = sim.kup(&["check"]);
    assert_eq!(without.code, 3, "{without:?}");
    assert!(without.stderr.contains("v1.x-weird"), "{without:?}");

    let run = sim.kup(&["check", "--target", "1.27", "-o", "json"]);
    assert_eq!(run.code, 1, "exit by findings: {run:?}");
    let r = run.json();
    assert_eq!(r["target"], "1.27");
    let findings = r["findings"].as_array().expect("findings");
    let code_of = |f: &serde_json::Value| f["code"].as_str().unwrap_or("").to_string();
    assert!(
        findings
            .iter()
            .any(|f| code_of(f) == "KUP-VER-001" && f["subject"] == "controlplane"),
        "{findings:#?}"
    );
    // 1.24 kubelets are beyond policy of 1.27.
    assert!(
        findings.iter().any(|f| code_of(f) == "KUP-SKEW-002"),
        "{findings:#?}"
    );
}
