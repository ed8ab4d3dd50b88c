//! End to end: `kup upgrade` against kup-sim over real HTTP: N -> N+2 with a managed node
//! group, a Karpenter NodePool and PDB-guarded workloads; the dry run that writes nothing; a
//! gate that stops before a hop's first write; a failed EKS update (exit 4); kill -9 mid-hop,
//! then the same command finishing without a second control-plane update.

mod common;

use common::{Run, Sim, SimSpec};
use serde_json::Value;

/// EKS 1.31 on 2026-06-15: node group `mng-system` (coredns behind a PDB), NodePool `general`
/// on an EC2NodeClass that follows the control plane (al2023@latest), web and api behind PDBs.
/// Karpenter 1.5.0 supports Kubernetes up to 1.33.
const SCENARIO: &str = r#"
cluster:
  name: kup-upgrade
  region: eu-west-1
  version: v1.31.13-eks-1a2b3c4
  platformVersion: eks.20
  accountId: "111122223333"
  now: 2026-06-15T09:00:00Z
timing:
  nodeLaunchDelay: 60s
  podStartDelay: 5s
  defaultGracePeriod: 30s
  cordonTaintDelay: 2s
  speed: 300
karpenter:
  version: 1.5.0
  namespace: kube-system
eks:
  addons:
    - name: vpc-cni
    - name: coredns
    - name: kube-proxy
nodeGroups:
  - name: mng-system
    version: "1.31"
    releaseVersion: 1.31.13-20260610
    amiType: AL2023_x86_64_STANDARD
    instanceTypes: [m6i.large]
    labels: {role: system}
    minSize: 2
    maxSize: 4
    desiredSize: 2
pools:
  - name: general
    apiVersion: karpenter.sh/v1
    labels: {workload: general}
    nodeClass: al2023
    budgets:
      - nodes: "1"
nodes:
  - {name: ip-10-0-1-10.eu-west-1.compute.internal, pool: mng-system, kubeletVersion: v1.31.13-eks-1a2b3c4, instanceType: m6i.large, zone: eu-west-1a, age: 720h}
  - {name: ip-10-0-2-10.eu-west-1.compute.internal, pool: mng-system, kubeletVersion: v1.31.13-eks-1a2b3c4, instanceType: m6i.large, zone: eu-west-1b, age: 720h}
  - {name: ip-10-0-1-21.eu-west-1.compute.internal, pool: general, kubeletVersion: v1.31.13-eks-1a2b3c4, instanceType: m6i.xlarge, zone: eu-west-1a, age: 48h}
  - {name: ip-10-0-2-22.eu-west-1.compute.internal, pool: general, kubeletVersion: v1.31.13-eks-1a2b3c4, instanceType: m6i.xlarge, zone: eu-west-1b, age: 48h}
workloads:
  - kind: Deployment
    name: coredns
    namespace: kube-system
    replicas: 2
    labels: {k8s-app: kube-dns}
    image: 602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2
    resources: {requests: {cpu: 100m, memory: 70Mi}}
    nodeSelector: {role: system}
  - kind: Deployment
    name: web
    namespace: shop
    replicas: 4
    image: public.ecr.aws/nginx/nginx:1.27
    resources: {requests: {cpu: 250m, memory: 256Mi}}
    nodeSelector: {workload: general}
  - kind: Deployment
    name: api
    namespace: shop
    replicas: 2
    image: public.ecr.aws/docker/library/httpd:2.4
    resources: {requests: {cpu: 250m, memory: 256Mi}}
    nodeSelector: {workload: general}
pdbs:
  - {name: coredns, namespace: kube-system, minAvailable: 1, selector: {k8s-app: kube-dns}}
  - {name: web, namespace: shop, maxUnavailable: 1, selector: {app: web}}
  - {name: api, namespace: shop, minAvailable: 1, selector: {app: api}}
objects:
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: al2023}
    spec:
      role: KarpenterNodeRole-kup-upgrade
      amiSelectorTerms: [{alias: al2023@latest}]
      subnetSelectorTerms: [{tags: {karpenter.sh/discovery: kup-upgrade}}]
      securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: kup-upgrade}}]
"#;

fn sim() -> Sim {
    Sim::start(SimSpec {
        yaml: Some(SCENARIO),
        ..Default::default()
    })
}

fn events(run: &Run) -> Vec<Value> {
    lines(
        &run.stdout.lines().map(str::to_string).collect::<Vec<_>>(),
        run,
    )
}

fn lines(lines: &[String], ctx: &dyn std::fmt::Debug) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{ctx:?}")))
        .collect()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

fn eks_calls(sim: &Sim, op: &str) -> u64 {
    sim.stats()["eks"]["by_operation"][op].as_u64().unwrap_or(0)
}

fn served_version(sim: &Sim) -> String {
    let (code, body) = common::http_request(&sim.url, "GET", "/version", "application/json", "");
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    v["gitVersion"].as_str().unwrap().to_string()
}

/// Every node's kubelet (name, kubelet).
fn kubelets(sim: &Sim) -> Vec<(String, String)> {
    let (_, body) = common::http_request(&sim.url, "GET", "/api/v1/nodes", "application/json", "");
    let list: Value = serde_json::from_str(&body).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["metadata"]["deletionTimestamp"].is_null())
        .map(|n| {
            (
                n["metadata"]["name"].as_str().unwrap().to_string(),
                n["status"]["nodeInfo"]["kubeletVersion"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn assert_safe(sim: &Sim) {
    let stats = sim.stats();
    assert_eq!(stats["pdb_violations"], 0, "{stats}");
    assert_eq!(stats["pods_lost"], 0, "{stats}");
}

fn assert_all_at(sim: &Sim, minor: &str) {
    assert!(served_version(sim).starts_with(&format!("v{minor}.")));
    let nodes = kubelets(sim);
    assert!(nodes.len() >= 4, "{nodes:?}");
    for (name, kubelet) in &nodes {
        assert!(
            kubelet.starts_with(&format!("v{minor}.")),
            "{name} {kubelet}: {nodes:?}"
        );
    }
}

const UPGRADE: [&str; 6] = ["upgrade", "--to", "1.33", "--yes", "-o", "json"];

#[test]
fn two_hops_move_the_control_plane_the_node_group_and_the_nodepool_safely() {
    let sim = sim();
    let run = sim.kup_eks(&UPGRADE);
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    let k = kinds(&ev);
    assert_eq!(k.first(), Some(&"plan"), "{run:?}");
    assert_eq!(k.last(), Some(&"done"), "{run:?}");
    let hops: Vec<&str> = ev
        .iter()
        .filter(|e| e["event"] == "hop-done")
        .map(|e| e["hop"].as_str().unwrap())
        .collect();
    assert_eq!(hops, ["1.32", "1.33"], "{run:?}");
    for want in [
        "hop-started",
        "gate",
        "cluster-update",
        "nodegroup-update",
        "nodegroup-updated",
    ] {
        assert!(k.contains(&want), "missing {want}: {run:?}");
    }
    // Each hop: the gate before the control plane, the control plane before the node group.
    let at = |kind: &str, hop: &str| {
        ev.iter()
            .position(|e| e["event"] == kind && (e["hop"] == hop || e["version"] == hop))
            .unwrap_or_else(|| panic!("no {kind} of {hop}: {run:?}"))
    };
    for hop in ["1.32", "1.33"] {
        assert!(at("gate", hop) < at("cluster-update", hop));
        assert!(at("cluster-update", hop) < at("addon-update", hop));
        assert!(at("addon-update", hop) < at("nodegroup-update", hop));
        assert!(at("nodegroup-update", hop) < at("hop-done", hop));
    }
    assert_eq!(eks_calls(&sim, "UpdateClusterVersion"), 2);
    assert_eq!(eks_calls(&sim, "UpdateNodegroupVersion"), 2);
    // kube-proxy is built per minor: it moves at each hop, to that hop's default.
    let proxy: Vec<(&str, &str)> = ev
        .iter()
        .filter(|e| {
            e["event"] == "addon-update"
                && e["addon"] == "kube-proxy"
                && e["status"] == "Successful"
        })
        .map(|e| (e["hop"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert_eq!(proxy.len(), 2, "{run:?}");
    assert!(proxy[0].1.starts_with("v1.32."), "{proxy:?}");
    assert!(proxy[1].1.starts_with("v1.33."), "{proxy:?}");
    assert_all_at(&sim, "1.33");
    assert_safe(&sim);
    // Done is done: the same command again has nothing to do (a flag problem, exit 2).
    let again = sim.kup_eks(&UPGRADE);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("already at 1.33"), "{again:?}");
}

#[test]
fn dry_run_writes_nothing_and_prints_a_runbook() {
    let sim = sim();
    let before = sim.stats();
    let run = sim.kup_eks(&["upgrade", "--to", "1.33", "--dry-run", "-o", "markdown"]);
    assert_eq!(run.code, 0, "{run:?}");
    for want in [
        "# Upgrade kup-upgrade from 1.31.13 to 1.33",
        "## Hop 1: 1.32",
        "## Hop 2: 1.33",
        "### Gate: `kup check --target 1.32`",
        "aws eks update-cluster-version --name kup-upgrade --kubernetes-version 1.32",
        "aws eks update-nodegroup-version --cluster-name kup-upgrade --nodegroup-name mng-system --kubernetes-version 1.33",
        "| nodepool/general | 2 | Karpenter drifts them |",
        "### EKS add-ons",
        "| kube-proxy | v1.32.0-eksbuild.2 | v1.33.0-eksbuild.2 |",
        "aws eks update-addon --cluster-name kup-upgrade --addon-name coredns --addon-version v1.11.4-eksbuild.2 --resolve-conflicts PRESERVE",
        "### Manual steps",
    ] {
        assert!(
            run.stdout.contains(want),
            "missing {want:?}:\n{}",
            run.stdout
        );
    }
    let text = sim.kup_eks(&["upgrade", "--to", "1.33", "--dry-run"]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout
            .contains("  add-on kube-proxy v1.31.0-eksbuild.2 -> v1.32.0-eksbuild.2\n"),
        "{text:?}"
    );
    let json = sim.kup_eks(&["upgrade", "--to", "1.33", "--dry-run", "-o", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let plan = json.json();
    assert_eq!(plan["event"], "plan");
    assert_eq!(plan["plan"]["hops"].as_array().unwrap().len(), 2);
    let after = sim.stats();
    assert_eq!(after["writes"], before["writes"], "{after}");
    assert_eq!(after["eks"]["writes"], before["eks"]["writes"], "{after}");
    assert_eq!(eks_calls(&sim, "UpdateClusterVersion"), 0);
    assert!(served_version(&sim).starts_with("v1.31."));
}

#[test]
fn bad_flags_exit_2_before_any_request() {
    let sim = sim();
    let total = sim.stats()["requests"]["total"].clone();
    for args in [
        &["upgrade", "--to", "1.x", "--yes"][..],
        &["upgrade", "--to", "1.33", "--nodes", "sometimes", "--yes"],
        &["upgrade", "--to", "1.33", "--addons", "newest", "--yes"],
        &["upgrade", "--to", "1.33", "--batch", "0", "--yes"],
        &["upgrade", "--to", "1.33", "--hop-timeout", "soon", "--yes"],
        &["upgrade", "--to", "1.33"],
    ] {
        let run = sim.kup_eks(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
    assert_eq!(sim.stats()["requests"]["total"], total);
    // A downgrade is a flag problem the cluster reveals: exit 2, nothing written.
    let run = sim.kup_eks(&["upgrade", "--to", "1.30", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("older than the control plane (1.31)"),
        "{run:?}"
    );
    assert_eq!(sim.stats()["eks"]["writes"], 0);
}

#[test]
fn a_gate_finding_stops_the_run_before_the_hops_first_write() {
    // Karpenter 1.5.0 supports Kubernetes up to 1.33: the gate of hop 1.34 stops the run
    // after hop 1.33, before its UpdateClusterVersion.
    let sim = sim();
    let run = sim.kup_eks(&["upgrade", "--to", "1.34", "--yes", "-o", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let ev = events(&run);
    let gate = ev
        .iter()
        .find(|e| e["event"] == "gate" && e["hop"] == "1.34")
        .unwrap_or_else(|| panic!("no gate of 1.34: {run:?}"));
    assert_eq!(gate["passed"], false);
    let codes: Vec<&str> = gate["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.iter().any(|c| c.starts_with("KUP-KARP-")),
        "{codes:?}"
    );
    let last = ev.last().unwrap();
    assert_eq!(last["event"], "failed", "{run:?}");
    assert_eq!(last["step"], "gate");
    assert!(
        run.stderr.contains("stops the run before any change"),
        "{run:?}"
    );
    // Hop 1.33 was done; nothing of hop 1.34 was started.
    assert_eq!(eks_calls(&sim, "UpdateClusterVersion"), 2);
    assert_all_at(&sim, "1.33");
    assert_safe(&sim);
}

#[test]
fn a_failed_eks_update_stops_with_exit_4_and_eks_error_then_the_next_run_finishes() {
    let sim = sim();
    sim.set_faults(kup_sim::scenario::FaultConfig {
        eks_fail_next_cluster_update: Some("ClusterUnreachable".into()),
        ..Default::default()
    });
    let args = ["upgrade", "--to", "1.32", "--yes", "-o", "json"];
    let run = sim.kup_eks(&args);
    assert_eq!(run.code, 4, "{run:?}");
    let last = events(&run).pop().unwrap();
    assert_eq!(last["event"], "failed", "{run:?}");
    assert_eq!(last["step"], "cluster-update");
    let reason = last["reason"].as_str().unwrap();
    assert!(reason.contains("ClusterUnreachable"), "{reason}");
    assert!(reason.contains("failed"), "{reason}");
    assert!(served_version(&sim).starts_with("v1.31."));
    assert_eq!(
        eks_calls(&sim, "UpdateNodegroupVersion"),
        0,
        "nothing after the failure"
    );
    // The failed update is history: the next run starts the hop again and finishes.
    let run = sim.kup_eks(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(eks_calls(&sim, "UpdateClusterVersion"), 2);
    assert_all_at(&sim, "1.32");
    assert_safe(&sim);
}

/// `kup upgrade ... -o json` in the background, SIGKILLed once a line containing `at` shows.
fn kill_at(sim: &Sim, args: &[&str], at: &str) -> Vec<String> {
    let mut child = common::kup_command()
        .envs(sim.eks_env())
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let line = line.unwrap();
        let hit = line.contains(at);
        seen.push(line);
        if hit {
            child.kill().unwrap();
            child.wait().unwrap();
            return seen;
        }
    }
    let status = child.wait().unwrap();
    panic!("the run ended ({status}) before printing {at}: {seen:?}");
}

#[test]
fn a_run_killed_mid_hop_is_finished_by_the_next_without_a_second_cluster_update() {
    for at in [
        // Hop 1: right after UpdateClusterVersion was accepted.
        r#""event":"cluster-update","hop":"1.32""#,
        // Hop 1: while an add-on updates.
        r#""event":"addon-update","hop":"1.32""#,
        // Hop 2: right after its gate passed.
        r#""event":"gate","hop":"1.33""#,
        // Hop 2: while EKS rolls the node group.
        r#""event":"nodegroup-update","nodegroup":"mng-system","updateId""#,
    ] {
        let sim = sim();
        let seen = kill_at(&sim, &UPGRADE, at);
        let before = eks_calls(&sim, "UpdateClusterVersion");
        assert!(before >= 1, "{at}: {seen:?}");
        let run = sim.kup_eks(&UPGRADE);
        assert_eq!(run.code, 0, "after a kill at {at}: {run:?}");
        let ev = events(&run);
        assert_eq!(kinds(&ev).last(), Some(&"done"), "{run:?}");
        // Exactly one UpdateClusterVersion per hop over both runs.
        assert_eq!(eks_calls(&sim, "UpdateClusterVersion"), 2, "{at}: {run:?}");
        // Killed after a write of the hop, the next run continues that hop; killed between
        // the gate and UpdateClusterVersion, it may start the hop afresh (no update exists).
        let first = ev.iter().find(|e| e["event"] == "hop-started").unwrap();
        if !at.contains(r#""gate""#) {
            assert_eq!(first["resumed"], true, "{at}: {run:?}");
        }
        assert_all_at(&sim, "1.33");
        assert_safe(&sim);
    }
}

#[test]
fn a_node_group_eks_cannot_drain_stops_the_run_with_exit_4_and_pod_eviction_failure() {
    // coredns needs both replicas: EKS cannot evict either, and after its pod-eviction
    // timeout (15 simulated minutes) the node group update fails with PodEvictionFailure.
    let yaml = SCENARIO.replace(
        "{name: coredns, namespace: kube-system, minAvailable: 1,",
        "{name: coredns, namespace: kube-system, minAvailable: 2,",
    );
    let sim = Sim::start(SimSpec {
        yaml: Some(&yaml),
        ..Default::default()
    });
    let run = sim.kup_eks(&[
        "upgrade",
        "--to",
        "1.32",
        "--yes",
        "-o",
        "json",
        "--drain-timeout",
        "30m",
    ]);
    assert_eq!(run.code, 4, "{run:?}");
    let last = events(&run).pop().unwrap();
    assert_eq!(last["event"], "failed", "{run:?}");
    assert_eq!(last["step"], "nodes");
    let reason = last["reason"].as_str().unwrap();
    assert!(reason.contains("PodEvictionFailure"), "{reason}");
    assert!(reason.contains("mng-system"), "{reason}");
    // The control plane moved; nothing was forced through the PDB.
    assert!(served_version(&sim).starts_with("v1.32."));
    assert_safe(&sim);
}

#[test]
fn a_live_lease_of_another_run_refuses_the_upgrade_before_any_write() {
    let sim = sim();
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let lease = serde_json::json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "kup-rotate", "namespace": "kube-system"},
        "spec": {"holderIdentity": "r-1@elsewhere#1", "leaseDurationSeconds": 60,
                 "acquireTime": now, "renewTime": now},
    });
    let (code, body) = common::http_request(
        &sim.url,
        "POST",
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
        "application/json",
        &lease.to_string(),
    );
    assert_eq!(code, 201, "{body}");
    let run = sim.kup_eks(&UPGRADE);
    assert_eq!(run.code, 4, "{run:?}");
    let last = events(&run).pop().unwrap();
    assert_eq!(last["event"], "failed", "{run:?}");
    assert_eq!(last["step"], "lease");
    assert!(
        last["reason"].as_str().unwrap().contains("r-1@elsewhere#1"),
        "{run:?}"
    );
    assert_eq!(sim.stats()["eks"]["writes"], 0);
}

#[test]
fn with_nodes_rotate_kup_replaces_the_nodepool_nodes_itself_even_as_karpenter_drifts_them() {
    // Karpenter drifts the NodePool's nodes on its own once the control plane moves: kup's
    // rotation must take a node that vanished under it in its stride.
    let sim = sim();
    let run = sim.kup_eks(&[
        "upgrade", "--to", "1.33", "--yes", "--nodes", "rotate", "-o", "json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    assert_eq!(kinds(&ev).last(), Some(&"done"), "{run:?}");
    assert!(
        !kinds(&ev).contains(&"karpenter-drift"),
        "kup waits for no drift: {run:?}"
    );
    let plan = &ev[0]["plan"]["hops"][0]["pools"][0];
    assert_eq!(plan["by"], "kup", "{plan}");
    assert_all_at(&sim, "1.33");
    assert_safe(&sim);
}

#[test]
fn a_removed_api_still_requested_stops_the_run_at_the_gate_of_the_hop_that_removes_it() {
    // flowcontrol.apiserver.k8s.io/v1beta3 is gone in 1.32: a client still calling it (the API
    // server's deprecated-API gauge, as `kup check` reads it) blocks hop 1.32 before any write.
    let scenario = format!(
        "{SCENARIO}\napiserver:\n  deprecatedApiRequests:\n    - group: flowcontrol.apiserver.k8s.io\n      version: v1beta3\n      resource: flowschemas\n      removedRelease: \"1.32\"\n      clients:\n        - userAgent: \"legacy-operator/0.9\"\n          requests: 40\n          lastRequest: 2026-06-14T08:00:00Z\n"
    );
    let sim = Sim::start(SimSpec {
        yaml: Some(&scenario),
        ..Default::default()
    });
    let run = sim.kup_eks(&["upgrade", "--to", "1.33", "--yes", "-o", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let ev = events(&run);
    let gate = ev
        .iter()
        .find(|e| e["event"] == "gate" && e["hop"] == "1.32")
        .unwrap_or_else(|| panic!("no gate of 1.32: {run:?}"));
    assert_eq!(gate["passed"], false, "{gate}");
    let blockers: Vec<(&str, &str)> = gate["blockers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["subject"].as_str().unwrap()))
        .collect();
    assert!(
        blockers.contains(&(
            "KUP-API-002",
            "api/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas"
        )),
        "{blockers:?}"
    );
    assert_eq!(eks_calls(&sim, "UpdateClusterVersion"), 0);
    assert_eq!(sim.stats()["eks"]["writes"], 0);
    assert!(served_version(&sim).starts_with("v1.31."));
}
