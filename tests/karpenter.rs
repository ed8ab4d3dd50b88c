//! Karpenter on upgrade day, end to end: kup against kup-sim over HTTP, with EC2NodeClasses,
//! NodePool budgets and the `karpenter` Deployment as a real cluster holds them.

mod common;
use common::*;
use serde_json::Value;

/// Control plane 1.32 on a pinned day; one NodePool per verdict.
const UPGRADE_DAY: &str = r#"
cluster:
  version: v1.32.9-eks-113cf36
  now: 2026-12-02T06:10:00Z
pools:
  - {name: follow, kind: NodePool, nodeClass: al2023}
  - {name: pinned, kind: NodePool, nodeClass: pinned}
  - {name: legacy, kind: NodePool, nodeClass: al2}
  - {name: lost, kind: NodePool, nodeClass: nope}
  - {name: frozen, kind: NodePool, nodeClass: al2023}
nodes:
  - {count: 3, namePattern: "follow-{i}", pool: follow, kubeletVersion: v1.32.9-eks-113cf36}
  - {name: pinned-1, pool: pinned, kubeletVersion: v1.29.15-eks-473151a}
  - {name: legacy-1, pool: legacy, kubeletVersion: v1.32.9-eks-113cf36}
  - {name: frozen-1, pool: frozen, kubeletVersion: v1.32.9-eks-113cf36}
workloads:
  - kind: StatefulSet
    name: ledger
    namespace: shop
    replicas: 1
    annotations: {karpenter.sh/do-not-disrupt: "true"}
    nodeSelector: {karpenter.sh/nodepool: follow}
objects:
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: al2023}
    spec: {role: KarpenterNodeRole, amiSelectorTerms: [{alias: al2023@latest}]}
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: pinned}
    spec: {role: KarpenterNodeRole, amiFamily: AL2023, amiSelectorTerms: [{id: ami-0a1b2c3d4e5f60718}]}
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: al2}
    spec: {role: KarpenterNodeRole, amiSelectorTerms: [{alias: al2@latest}]}
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: weird}
    spec: {role: KarpenterNodeRole, amiSelectorTerms: [{alias: ubuntu@latest}]}
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: karpenter
      namespace: kube-system
      labels: {app.kubernetes.io/name: karpenter, app.kubernetes.io/version: 1.4.0}
    spec:
      replicas: 0
      selector: {matchLabels: {app.kubernetes.io/name: karpenter}}
      template:
        metadata: {labels: {app.kubernetes.io/name: karpenter}}
        spec: {containers: [{name: controller, image: "public.ecr.aws/karpenter/controller:1.4.0@sha256:0123"}]}
"#;

fn patch(sim: &Sim, path: &str, body: &str) {
    let (code, resp) = request(sim, "PATCH", path, "application/merge-patch+json", body);
    assert_eq!(code, 200, "PATCH {path}: {resp}");
}

fn http_put(sim: &Sim, path: &str, body: &str) -> (u16, String) {
    request(sim, "PUT", path, "application/json", body)
}

/// One raw HTTP request to the sim: (status, body).
fn request(sim: &Sim, method: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
    common::http_request(&sim.url, method, path, content_type, body)
}

fn budgets(sim: &Sim, pool: &str, budgets: &str) {
    patch(
        sim,
        &format!("/apis/karpenter.sh/v1/nodepools/{pool}"),
        &format!(r#"{{"spec": {{"disruption": {{"budgets": {budgets}}}}}}}"#),
    );
}

fn upgrade_day() -> Sim {
    let sim = Sim::start(SimSpec {
        yaml: Some(UPGRADE_DAY),
        ..Default::default()
    });
    budgets(&sim, "follow", r#"[{"nodes": "50%"}]"#);
    budgets(
        &sim,
        "frozen",
        r#"[{"nodes": "0", "reasons": ["Drifted"]}]"#,
    );
    budgets(
        &sim,
        "legacy",
        r#"[{"nodes": "1", "schedule": "0 25 * * *", "duration": "1h"}]"#,
    );
    sim
}

fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("code"), s("subject"), s("severity"))
        })
        .collect()
}

#[test]
fn check_names_every_karpenter_verdict_at_the_target() {
    let sim = upgrade_day();
    let run = sim.kup(&["check", "--target", "1.33", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let got = findings(&report);
    for (code, subject, severity) in [
        ("KUP-KARP-001", "deployment/kube-system/karpenter", "error"),
        ("KUP-KARP-003", "nodepool/pinned", "error"),
        ("KUP-KARP-004", "ec2nodeclass/al2", "error"),
        ("KUP-KARP-005", "nodepool/frozen", "warning"),
        ("KUP-KARP-006", "nodepool/follow", "warning"),
        ("KUP-KARP-007", "nodepool/legacy", "error"),
        ("KUP-KARP-008", "ec2nodeclass/weird", "error"),
        ("KUP-KARP-009", "nodepool/lost", "error"),
    ] {
        assert!(
            got.contains(&(code.into(), subject.into(), severity.into())),
            "{code} {subject} {severity} missing from {got:#?}"
        );
    }
    let held = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == "KUP-KARP-006")
        .map(|f| f["message"].to_string())
        .unwrap_or_default();
    assert!(held.contains("pod/shop/ledger-0"), "{held}");

    let k = &report["karpenter"];
    assert_eq!(k["controller"]["version"], "1.4.0");
    assert_eq!(k["supports"]["max"], "1.32");
    let pool = |name: &str| {
        k["nodePools"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["nodePool"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {k}"))
    };
    let follow = pool("follow");
    assert_eq!(follow["moves"], "karpenterDrifts");
    assert_eq!(
        follow["summary"],
        "Karpenter drifts them once the control plane is at 1.33 (alias al2023@latest)"
    );
    assert_eq!(follow["nodes"], 3);
    assert_eq!(follow["budget"]["allowed"], 2, "50% of 3, rounded up");
    let pinned = pool("pinned");
    assert_eq!(pinned["moves"], "pinned");
    assert!(
        pinned["summary"]
            .as_str()
            .is_some_and(|s| s.contains("ami-0a1b2c3d4e5f60718") && s.contains("same AMI")),
        "{pinned}"
    );
    assert_eq!(pool("frozen")["budget"]["never"], true);
}

#[test]
fn at_the_control_planes_version_karpenter_is_fine() {
    let sim = upgrade_day();
    let run = sim.kup(&["check", "-o", "json"]);
    let got = findings(&run.json());
    for code in ["KUP-KARP-001", "KUP-KARP-004"] {
        assert!(!got.iter().any(|f| f.0 == code), "{code} in {got:#?}");
    }
    // The pinned node stays behind (within the skew policy): a warning, not an error.
    let pinned = (
        "KUP-KARP-003".into(),
        "nodepool/pinned".into(),
        "warning".into(),
    );
    assert!(got.contains(&pinned), "{got:#?}");
}

#[test]
fn drift_says_how_each_pool_moves() {
    let sim = upgrade_day();
    let run = sim.kup(&["drift", "--target", "1.33"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: String = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Karpenter:"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(lines);
}

#[test]
fn without_karpenter_nothing_is_said_and_nothing_fails() {
    let sim = Sim::builtin("no-lag");
    let run = sim.kup(&["check", "-o", "json"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let report = run.json();
    assert!(
        !findings(&report)
            .iter()
            .any(|f| f.0.starts_with("KUP-KARP")),
        "{report}"
    );
}

/// Control plane already at 1.33; four 1.32 nodes behind it in an alias pool, one in a pinned
/// pool.
/// On 2025-06-02 kup-sim's AMI catalogue has no 1.33 AMI yet (releases come on the 10th): the
/// alias has nothing newer to drift the 1.32 nodes to, so they stay until kup rotates them.
const ROTATION: &str = r#"
cluster:
  version: v1.33.5-eks-1a2b3c4
  now: 2025-06-02T09:00:00Z
timing:
  nodeLaunchDelay: 30s
  podStartDelay: 5s
  defaultGracePeriod: 10s
  cordonTaintDelay: 2s
  speed: 60
pools:
  - {name: apps, kind: NodePool, nodeClass: al2023, labels: {node-type: applications}}
  - {name: frozen, kind: NodePool, nodeClass: pinned, labels: {node-type: frozen}}
nodes:
  - {count: 4, namePattern: "apps-{i}", pool: apps, kubeletVersion: v1.32.9-eks-113cf36, instanceType: m5.large}
  - {name: frozen-1, pool: frozen, kubeletVersion: v1.32.9-eks-113cf36, instanceType: m5.large}
workloads:
  - kind: Deployment
    name: web
    replicas: 4
    resources: {requests: {cpu: 100m, memory: 64Mi}}
    nodeSelector: {node-type: applications}
objects:
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: al2023}
    spec: {role: KarpenterNodeRole, amiSelectorTerms: [{alias: al2023@latest}]}
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: pinned}
    spec: {role: KarpenterNodeRole, amiFamily: AL2023, amiSelectorTerms: [{id: ami-0a1b2c3d4e5f60718}]}
"#;

fn rotation() -> Sim {
    let sim = Sim::start(SimSpec {
        yaml: Some(ROTATION),
        ..Default::default()
    });
    budgets(
        &sim,
        "apps",
        r#"[{"nodes": "2"}, {"nodes": "0", "reasons": ["Empty"]}]"#,
    );
    sim
}

fn batches(plan_event: &Value) -> Vec<usize> {
    plan_event["batches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| b.as_array().map_or(0, Vec::len))
        .collect()
}

fn events(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn rotate_never_disrupts_more_of_a_pool_than_its_budget_allows() {
    let sim = rotation();
    budgets(&sim, "apps", r#"[{"nodes": "1"}]"#);
    // Two of the four: the other two take the evicted pods.
    let run = sim.kup(&[
        "rotate",
        "apps-1",
        "apps-2",
        "--yes",
        "--batch",
        "2",
        "--timeout",
        "60s",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let ev = events(&run);
    assert_eq!(batches(&ev[0]), vec![1, 1], "{}", run.stdout);
    let stats = sim.stats();
    assert_eq!(stats["max_unschedulable_nodes"], 1, "{stats}");
}

#[test]
fn rotate_states_the_budget_and_ignore_budgets_lifts_it() {
    let sim = rotation();
    let run = sim.kup(&["rotate", "--dry-run", "--pool", "apps", "--batch", "4"]);
    assert!(
        run.stdout
            .contains("nodepool/apps: at most 2 nodes a batch"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let run = sim.kup(&[
        "rotate",
        "--dry-run",
        "--pool",
        "apps",
        "--batch",
        "4",
        "--ignore-budgets",
    ]);
    assert!(run.stdout.contains("--ignore-budgets"), "{}", run.stdout);
    assert!(
        run.stdout.contains("in 1 batch of at most 4"),
        "{}",
        run.stdout
    );
}

#[test]
fn rotate_blocks_a_replacement_that_would_come_back_on_the_pinned_ami() {
    let sim = rotation();
    let run = sim.kup(&["rotate", "--yes", "--pool", "frozen", "-o", "json"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains("frozen-1 (pinned-ami)") && run.stderr.contains("same AMI"),
        "{}",
        run.stderr
    );
    // Nothing was changed: the node is still schedulable.
    let after = sim.kup(&["drift", "-o", "json"]).json();
    let frozen = after["pools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["nodes"].as_array().cloned().unwrap_or_default())
        .find(|n| n["name"] == "frozen-1")
        .unwrap_or_default();
    assert_eq!(frozen["unschedulable"], false, "{frozen}");
}

#[test]
fn mode_karpenter_follows_the_drift_to_the_end() {
    // Upgrade day: the nodes are current on 1.32 (AL2023 AMIs for 1.33 exist by then), then the
    // control plane moves to 1.33 and the alias drifts the pool; kup only follows.
    let yaml = ROTATION
        .replace("now: 2025-06-02T09:00:00Z", "now: 2026-12-02T06:10:00Z")
        .replace(
            "version: v1.33.5-eks-1a2b3c4",
            "version: v1.32.9-eks-113cf36",
        );
    let sim = Sim::start(SimSpec {
        yaml: Some(&yaml),
        ..Default::default()
    });
    budgets(
        &sim,
        "apps",
        r#"[{"nodes": "2"}, {"nodes": "0", "reasons": ["Empty"]}]"#,
    );
    let (code, body) = http_put(&sim, "/sim/control-plane", r#"{"version": "1.33"}"#);
    assert_eq!(code, 200, "{body}");
    let run = sim.kup(&[
        "rotate",
        "--mode",
        "karpenter",
        "--pool",
        "apps",
        "--timeout",
        "120s",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let ev = events(&run);
    assert_eq!(
        ev.first().map(|e| e["event"].clone()),
        Some("karpenter-progress".into())
    );
    assert_eq!(
        ev.last().map(|e| e["event"].clone()),
        Some("done".into()),
        "{}",
        run.stdout
    );
    // Karpenter, not kup, replaced them: never more at once than the budget (2).
    let stats = sim.stats();
    assert!(
        stats["max_unschedulable_nodes"]
            .as_u64()
            .is_some_and(|m| m <= 2),
        "{stats}"
    );
}

#[test]
fn mode_karpenter_stops_early_when_nothing_can_move_naming_what_holds_the_nodes() {
    let sim = rotation();
    budgets(&sim, "apps", r#"[{"nodes": "0", "reasons": ["Drifted"]}]"#);
    // A long timeout: the run must end long before it, as soon as kup sees nothing can move.
    let run = sim.kup(&["rotate", "--mode", "karpenter", "--timeout", "30m"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    for what in [
        "nothing can move the remaining nodes",
        "nodepool/apps: its budgets never allow Drifted disruptions",
        "nodepool/frozen: pinned AMI ami-0a1b2c3d4e5f60718",
        "still behind: apps-1",
    ] {
        assert!(run.stdout.contains(what), "{what}: {}", run.stdout);
    }
}

#[test]
fn mode_karpenter_stops_at_the_timeout_while_a_window_is_ahead() {
    let sim = rotation();
    // Closed now (09:00), open from 23:00: waiting can help, so only --timeout ends it.
    budgets(
        &sim,
        "apps",
        r#"[{"nodes": "0", "schedule": "0 0 * * *", "duration": "23h"}]"#,
    );
    let run = sim.kup(&[
        "rotate",
        "--mode",
        "karpenter",
        "--pool",
        "apps",
        "--timeout",
        "3s",
    ]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("has not finished after --timeout 3s")
            && run
                .stdout
                .contains("its budgets allow 0 disruptions now until 2025-06-02 23:00 UTC"),
        "{}",
        run.stdout
    );
}

#[test]
fn mode_karpenter_exits_0_when_every_selected_node_is_current() {
    // A Deployment that can run nowhere, on no node of the pool: not this run's to wait for.
    let yaml = ROTATION.replace(
        "workloads:\n",
        "workloads:\n  - kind: Deployment\n    name: nowhere\n    replicas: 1\n    nodeSelector: {node-type: none}\n",
    );
    let sim = Sim::start(SimSpec {
        yaml: Some(&yaml),
        ..Default::default()
    });
    let (code, body) = request(
        &sim,
        "GET",
        "/apis/apps/v1/namespaces/default/deployments/nowhere",
        "application/json",
        "",
    );
    let nowhere: Value = serde_json::from_str(&body).unwrap_or_default();
    assert!(
        code == 200 && nowhere["status"]["readyReplicas"].as_i64().unwrap_or(0) == 0,
        "{code} {body}"
    );
    // At 1.32 nothing of nodepool/apps is behind.
    let writes = sim.stats()["writes"].clone();
    let run = sim.kup(&[
        "rotate",
        "--mode",
        "karpenter",
        "--pool",
        "apps",
        "--target",
        "1.32",
        "--timeout",
        "30s",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let ev = events(&run);
    assert_eq!(
        ev.last().map(|e| e["event"].clone()),
        Some("done".into()),
        "{}",
        run.stdout
    );
    // kup changed nothing.
    assert_eq!(sim.stats()["writes"], writes, "{}", sim.stats());
}

/// A Karpenter install as plain manifests, the way `kubectl get -o yaml` exports it: both
/// EC2NodeClass versions, NodePools v1 with budgets, a NodeClaim and the Helm-labelled
/// controller, loaded with `--manifests` and judged by `kup check`.
const INSTALL_AL2023: &str = include_str!("../sim/tests/data/ec2nodeclasses.yaml");

const INSTALL_POOLS: &str = r#"
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general}
spec:
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    budgets:
      - {nodes: "20%"}
      - {nodes: "0", schedule: "0 9 * * mon-fri", duration: 8h, reasons: [Drifted]}
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: al2023}
      requirements: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: old}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: legacy}
      requirements: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: lost}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: nope}
      requirements: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
---
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: general-abcde, labels: {karpenter.sh/nodepool: general}}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: al2023}
  requirements: []
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karpenter
  namespace: kube-system
  labels: {app.kubernetes.io/name: karpenter, app.kubernetes.io/version: 0.37.0, helm.sh/chart: karpenter-0.37.0}
spec:
  replicas: 0
  selector: {matchLabels: {app.kubernetes.io/name: karpenter}}
  template:
    metadata: {labels: {app.kubernetes.io/name: karpenter}}
    spec: {containers: [{name: controller, image: "public.ecr.aws/karpenter/controller:0.37.0"}]}
"#;

#[test]
fn a_karpenter_install_from_plain_manifests_is_judged_by_check() {
    let sim = Sim::start(SimSpec {
        manifests: &[("nc.yaml", INSTALL_AL2023), ("pools.yaml", INSTALL_POOLS)],
        ..Default::default()
    });
    let run = sim.kup(&["check", "--target", "1.33", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let got = findings(&report);
    for (code, subject) in [
        ("KUP-KARP-001", "deployment/kube-system/karpenter"),
        ("KUP-KARP-004", "ec2nodeclass/legacy"),
        ("KUP-KARP-009", "nodepool/lost"),
    ] {
        assert!(
            got.iter().any(|(c, s, _)| c == code && s == subject),
            "{code} {subject} missing from {got:#?}"
        );
    }
    let controller = &report["karpenter"]["controller"];
    assert_eq!(controller["version"], "0.37.0", "{controller}");
    assert_eq!(controller["namespace"], "kube-system", "{controller}");
}

/// Waits (on the wall clock, bounded) until the sim's nodeclass controller resolved `class`
/// to `ami`.
fn wait_for_class_ami(sim: &Sim, class: &str, ami: &str) {
    // A minute: the bound only catches a sim that never resolves, on however loaded a machine.
    for _ in 0..1200 {
        let (_, body) = request(
            sim,
            "GET",
            &format!("/apis/karpenter.k8s.aws/v1/ec2nodeclasses/{class}"),
            "application/json",
            "",
        );
        let v: Value = serde_json::from_str(&body).unwrap_or_default();
        if v["status"]["amis"][0]["id"] == ami {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("ec2nodeclass/{class} never resolved to {ami}");
}

#[test]
fn a_pinned_ami_already_for_the_target_drifts_the_nodes_and_blocks_nothing() {
    let sim = rotation();
    // Hold Karpenter's own drift so kup sees the node before it moves.
    budgets(&sim, "frozen", r#"[{"nodes": "0"}]"#);
    // Any 1.33 release the catalogue knows (the sim knows every id, whatever its clock).
    let now: jiff::Timestamp = "2025-12-01T00:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let ami = kup_sim::amis::alias_amis(kup_sim::amis::Family::Al2023, "latest", 33, now)
        .into_iter()
        .find(|a| a.arch == "x86_64")
        .map(|a| a.id)
        .unwrap_or_else(|| panic!("no AL2023 1.33 AMI in the sim's catalogue"));
    patch(
        &sim,
        "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/pinned",
        &format!(r#"{{"spec": {{"amiSelectorTerms": [{{"id": "{ami}"}}]}}}}"#),
    );
    wait_for_class_ami(&sim, "pinned", &ami);
    let report = sim.kup(&["check", "--target", "1.33", "-o", "json"]).json();
    assert!(
        !findings(&report).iter().any(|f| f.0 == "KUP-KARP-003"),
        "{report}"
    );
    let run = sim.kup(&["rotate", "--dry-run", "--pool", "frozen", "-o", "json"]);
    assert!(!run.stdout.contains("pinned-ami"), "{}", run.stdout);
    assert!(
        run.stdout.contains("budget-allows-none") || run.stdout.contains("--ignore-budgets"),
        "{}",
        run.stdout
    );
}

/// Upgrade day plus a NodeClass pinned to AL2023 v20250510: published for 1.32, but 1.33 came
/// out on 2025-05-29, so no such release exists for 1.33.
fn with_pinned_release() -> Sim {
    let yaml = UPGRADE_DAY
        .replace(
            "  - {name: frozen, kind: NodePool, nodeClass: al2023}\n",
            "  - {name: frozen, kind: NodePool, nodeClass: al2023}\n  - {name: release, kind: NodePool, nodeClass: release}\n",
        )
        .replace(
            "  - {name: frozen-1,",
            "  - {name: release-1, pool: release, kubeletVersion: v1.32.9-eks-113cf36}\n  - {name: frozen-1,",
        )
        .replace(
            "objects:\n",
            "objects:\n  - apiVersion: karpenter.k8s.aws/v1\n    kind: EC2NodeClass\n    metadata: {name: release}\n    spec: {role: KarpenterNodeRole, amiSelectorTerms: [{alias: al2023@v20250510}]}\n",
        );
    Sim::start(SimSpec {
        yaml: Some(&yaml),
        ..Default::default()
    })
}

#[test]
fn ssm_confirms_aliases_at_the_target_the_way_karpenter_resolves_them() {
    let sim = with_pinned_release();
    let run = sim.kup_eks(&["check", "--target", "1.33", "-o", "json"]);
    let report = run.json();
    assert!(
        findings(&report).contains(&(
            "KUP-KARP-011".into(),
            "ec2nodeclass/release".into(),
            "error".into()
        )),
        "{report}"
    );
    let aliases = report["karpenter"]["aliases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let of = |class: &str| {
        aliases
            .iter()
            .find(|a| a["nodeClass"] == class)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(of("release")["outcome"]["result"], "missing", "{aliases:?}");
    assert_eq!(of("al2023")["outcome"]["result"], "found", "{aliases:?}");
    assert!(
        of("al2023")["parameters"][0]
            .as_str()
            .is_some_and(|p| p.contains("/1.33/amazon-linux-2023/x86_64/standard/recommended")),
        "{aliases:?}"
    );
    // At 1.32 the release exists: no finding, the pool drifts (confirmed).
    let at_1_32 = sim
        .kup_eks(&["check", "--target", "1.32", "-o", "json"])
        .json();
    assert!(
        !findings(&at_1_32).iter().any(|f| f.0 == "KUP-KARP-011"),
        "{at_1_32}"
    );
    let human = sim.kup_eks(&["check", "--target", "1.33"]);
    assert!(
        human
            .stdout
            .contains("al2023@v20250510 (ec2nodeclass/release) at 1.33: no AMI (SSM)"),
        "{}",
        human.stdout
    );
}

#[test]
fn ssm_out_of_reach_leaves_aliases_unconfirmed_and_the_report_whole() {
    let sim = with_pinned_release();
    let mut env = sim.eks_env();
    env.push(("AWS_ENDPOINT_URL_SSM".into(), "http://127.0.0.1:9".into()));
    env.push(("AWS_MAX_ATTEMPTS".into(), "1".into()));
    let run = sim.kup_env(&["check", "--target", "1.33", "-o", "json"], &env);
    let report = run.json();
    assert_eq!(report["eks"]["cluster"]["version"], "1.32", "{report}");
    assert!(
        !findings(&report).iter().any(|f| f.0 == "KUP-KARP-011"),
        "{report}"
    );
    let aliases = report["karpenter"]["aliases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !aliases.is_empty()
            && aliases
                .iter()
                .all(|a| a["outcome"]["result"] == "notConfirmed"),
        "{aliases:?}"
    );
}

#[test]
fn a_nodes_own_do_not_disrupt_annotation_holds_it() {
    let sim = upgrade_day();
    patch(
        &sim,
        "/api/v1/nodes/follow-2",
        r#"{"metadata": {"annotations": {"karpenter.sh/do-not-disrupt": "true"}}}"#,
    );
    let report = sim.kup(&["check", "--target", "1.33", "-o", "json"]).json();
    let held = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == "KUP-KARP-006")
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    assert!(
        held.contains("node follow-2 (karpenter.sh/do-not-disrupt)"),
        "{held}"
    );
}
