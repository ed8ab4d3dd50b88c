//! End to end: `kup workloads` and the placement section of `kup check` against kup-sim
//! scenarios extended with plain manifests, for Provisioner v1alpha5 and NodePool v1beta1 / v1.

mod common;

use common::{Sim, SimSpec};
use serde_json::Value;

/// A Deployment in `default` with the given pod-spec placement YAML (indented 6 spaces).
fn deployment(name: &str, placement: &str, annotations: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: default
  annotations: {{{annotations}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
{placement}
      containers:
      - name: app
        image: public.ecr.aws/nginx/nginx:1.25
        resources:
          requests: {{cpu: 10m, memory: 16Mi}}
"
    )
}

const SELECTS_NO_TOLERATION: &str = "      nodeSelector: {node-type: applications}";
const TOLERATES_NO_SELECTOR: &str =
    "      tolerations:\n      - {key: applications, operator: Exists, effect: NoSchedule}";
const WILDCARD: &str =
    "      nodeSelector: {node-type: applications}\n      tolerations:\n      - {operator: Exists}";

fn verdicts(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    doc["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .map(|w| {
            let codes = w["codes"]
                .as_array()
                .map(|c| c.iter().map(|c| c.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (
                w["name"].as_str().unwrap().to_string(),
                w["verdict"].as_str().unwrap().to_string(),
                codes,
            )
        })
        .collect()
}

fn codes_for<'a>(v: &'a [(String, String, Vec<String>)], name: &str) -> &'a [String] {
    &v.iter()
        .find(|(n, _, _)| n == name)
        .unwrap_or_else(|| panic!("no workload {name}: {v:?}"))
        .2
}

/// A bare pod bound straight to a node (no scheduler), without the pool's toleration.
fn bare_pod_on(node: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: debug-shell
  namespace: default
spec:
  nodeName: {node}
  containers:
  - name: sh
    image: public.ecr.aws/docker/library/busybox:1.36
"
    )
}

const DS_NO_TOLERATION: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: log-agent
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: log-agent}
  template:
    metadata:
      labels: {app: log-agent}
    spec:
      containers:
      - name: agent
        image: public.ecr.aws/docker/library/busybox:1.36
";

/// The name of the scenario's Karpenter node (the one tainted applications:NoSchedule).
fn karpenter_node(sim: &Sim) -> String {
    let run = sim.kup(&["drift", "-l", "node-type=applications", "-o", "json"]);
    run.json()["pools"][0]["nodes"][0]["name"]
        .as_str()
        .expect("a Karpenter node")
        .to_string()
}

fn scenario_with_apps(builtin: &str) -> Sim {
    let plain = Sim::builtin(builtin);
    let bare = bare_pod_on(&karpenter_node(&plain));
    drop(plain);
    let no_tol = deployment("web-no-toleration", SELECTS_NO_TOLERATION, "");
    let tol_only = deployment("batch-tolerates-only", TOLERATES_NO_SELECTOR, "");
    let wildcard = deployment("agent-wildcard", WILDCARD, "");
    let ignored = deployment(
        "legacy-ignored",
        SELECTS_NO_TOLERATION,
        "kup.dev/ignore: \"KUP-PLACE-001,KUP-PLACE-002\"",
    );
    Sim::start(SimSpec {
        builtin: Some(builtin),
        manifests: &[
            ("no-tol.yaml", &no_tol),
            ("tol-only.yaml", &tol_only),
            ("wildcard.yaml", &wildcard),
            ("ignored.yaml", &ignored),
            ("bare.yaml", &bare),
            ("ds.yaml", DS_NO_TOLERATION),
        ],
        ..Default::default()
    })
}

fn check_verdicts_on(builtin: &str, pool_kind: &str) {
    let sim = scenario_with_apps(builtin);
    let run = sim.kup(&["workloads", "-o", "json"]);
    assert_eq!(
        run.code, 1,
        "an unschedulable workload is an error: {run:?}"
    );
    let doc = run.json();
    assert_eq!(doc["kind"], "WorkloadsReport");
    let v = verdicts(&doc);
    // The seed's pattern: selector + toleration → fits only the tainted pool it selects.
    let nginx = v.iter().find(|(n, _, _)| n == "nginx").expect("nginx");
    assert_eq!(nginx.1, "ok", "{v:?}");
    assert!(codes_for(&v, "nginx").is_empty());
    let nginx = doc["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "nginx")
        .unwrap();
    assert_eq!(
        nginx["fitsPools"],
        serde_json::json!([{"kind": pool_kind, "name": "default"}]),
        "{nginx}"
    );
    // Selector without toleration: Pending forever.
    assert!(
        codes_for(&v, "web-no-toleration")
            .iter()
            .any(|c| c == "KUP-PLACE-001" || c == "KUP-PLACE-002"),
        "{v:?}"
    );
    // Toleration without selector: may land elsewhere.
    assert!(
        codes_for(&v, "batch-tolerates-only").contains(&"KUP-PLACE-003".to_string()),
        "{v:?}"
    );
    // Wildcard toleration: Karpenter cannot drain it.
    assert!(
        codes_for(&v, "agent-wildcard").contains(&"KUP-PLACE-004".to_string()),
        "{v:?}"
    );
    // DaemonSets are expected to tolerate everything.
    assert!(
        !codes_for(&v, "kube-proxy").contains(&"KUP-PLACE-004".to_string()),
        "{v:?}"
    );
    // A pod sitting on a node it does not fit (bound without the scheduler).
    assert!(
        codes_for(&v, "debug-shell").contains(&"KUP-PLACE-005".to_string()),
        "{v:?}"
    );
    // DaemonSets are judged per pool: this one will not run on the tainted pool.
    assert!(
        codes_for(&v, "log-agent").contains(&"KUP-PLACE-008".to_string()),
        "{v:?}"
    );
    // Suppressed through the annotation.
    assert!(codes_for(&v, "legacy-ignored").is_empty(), "{v:?}");

    // Human table with the requested columns, and `check` counts the same findings.
    let table = sim.kup(&["workloads"]);
    for col in [
        "NAMESPACE",
        "KIND",
        "NAME",
        "REPLICAS",
        "POOLS IT FITS",
        "WHERE IT RUNS NOW",
        "VERDICT",
    ] {
        assert!(table.stdout.contains(col), "{table:?}");
    }
    let check = sim.kup(&["check", "-o", "json"]);
    assert_eq!(check.code, 1, "{check:?}");
    let codes: Vec<String> = check.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert!(
        codes.iter().any(|c| c.starts_with("KUP-PLACE-")),
        "{codes:?}"
    );
    // A remedy a user can paste: the missing toleration as YAML.
    let doc = check.json();
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"].as_str().unwrap().contains("web-no-toleration"))
        .expect("finding for web-no-toleration");
    assert!(
        finding["remedy"].as_str().unwrap().contains("tolerations"),
        "{finding}"
    );
}

#[test]
fn provisioner_v1alpha5_verdicts() {
    check_verdicts_on("workshop", "Provisioner");
}

#[test]
fn nodepool_v1beta1_verdicts() {
    check_verdicts_on("nodepool-v1beta1", "NodePool");
}

#[test]
fn nodepool_v1_verdicts() {
    check_verdicts_on("nodepool-v1", "NodePool");
}

#[test]
fn workshop_alone_is_clean_and_filters_work() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup(&["workloads", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let v = verdicts(&run.json());
    assert!(v.iter().all(|(_, verdict, _)| verdict == "ok"), "{v:?}");
    let ns = sim.kup(&["workloads", "-n", "default", "-o", "json"]);
    let names: Vec<String> = verdicts(&ns.json())
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert_eq!(names, vec!["nginx".to_string()], "{ns:?}");
    let sel = sim.kup(&["workloads", "-l", "k8s-app=kube-proxy", "-o", "json"]);
    let names: Vec<String> = verdicts(&sel.json())
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert_eq!(names, vec!["kube-proxy".to_string()], "{sel:?}");
}

#[test]
fn config_file_suppresses_and_enforces_policies() {
    let sim = scenario_with_apps("workshop");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kup.yaml");
    std::fs::write(
        &config,
        "ignore:\n- {namespace: default, code: KUP-PLACE-001}\n- {namespace: default, code: KUP-PLACE-002}\n\
         - {name: batch-tolerates-only}\n- {code: KUP-PLACE-004}\npolicies:\n- {namespace: kube-system, pool: provisioner/default}\n",
    )
    .unwrap();
    let run = sim.kup(&[
        "workloads",
        "--config",
        config.to_str().unwrap(),
        "-o",
        "json",
    ]);
    let doc = run.json();
    let v = verdicts(&doc);
    assert!(codes_for(&v, "web-no-toleration").is_empty(), "{v:?}");
    assert!(codes_for(&v, "batch-tolerates-only").is_empty(), "{v:?}");
    assert!(
        codes_for(&v, "coredns").contains(&"KUP-PLACE-009".to_string()),
        "policy: kube-system must land on provisioner/default: {v:?}"
    );

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "ignore:\n- {namespace: default, cod: KUP-PLACE-001}\n",
    )
    .unwrap();
    let run = sim.kup(&["workloads", "--config", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("bad.yaml"), "{run:?}");
    let missing = sim.kup(&["workloads", "--config", "/nonexistent/kup.yaml"]);
    assert_eq!(missing.code, 2, "{missing:?}");
}

#[test]
fn rotation_would_strand_a_workload_pinned_to_an_old_node() {
    let pinned = deployment(
        "pinned",
        "      nodeSelector: {kubernetes.io/hostname: ip-192-168-60-113.ec2.internal, node-type: applications}\n      tolerations:\n      - {key: applications, operator: Exists, effect: NoSchedule}",
        "",
    );
    let sim = Sim::start(SimSpec {
        builtin: Some("workshop"),
        manifests: &[("pinned.yaml", &pinned)],
        ..Default::default()
    });
    let run = sim.kup(&["workloads", "-o", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let v = verdicts(&run.json());
    assert!(
        codes_for(&v, "pinned").contains(&"KUP-PLACE-007".to_string()),
        "{v:?}"
    );
}

#[test]
fn check_with_a_node_selector_still_judges_placement_against_every_pool() {
    // `-l` narrows the skew part to the Karpenter node; coredns still fits the node group.
    let sim = Sim::builtin("workshop");
    let run = sim.kup(&["check", "-l", "node-type=applications", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    let findings = doc["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| !f["code"].as_str().unwrap().starts_with("KUP-PLACE-")),
        "{doc}"
    );
    // (The add-on family judges kube-system's kube-proxy, whatever `-l` says.)
    let subjects: Vec<&str> = findings
        .iter()
        .filter(|f| !f["code"].as_str().unwrap().starts_with("KUP-ADDON-"))
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        vec!["node/ip-192-168-60-113.ec2.internal"],
        "only the selected node is judged: {doc}"
    );
}

#[test]
fn jobs_and_cron_jobs_are_judged_too() {
    let job = "apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: default}
spec:
  template:
    spec:
      restartPolicy: Never
      nodeSelector: {node-type: applications}
      containers:
      - {name: migrate, image: public.ecr.aws/docker/library/busybox:1.36}
";
    let cron = "apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: default}
spec:
  schedule: '0 * * * *'
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          nodeSelector: {node-type: applications}
          tolerations:
          - {key: applications, operator: Exists, effect: NoSchedule}
          containers:
          - {name: report, image: public.ecr.aws/docker/library/busybox:1.36}
";
    let sim = Sim::start(SimSpec {
        builtin: Some("workshop"),
        manifests: &[("job.yaml", job), ("cron.yaml", cron)],
        ..Default::default()
    });
    let run = sim.kup(&["workloads", "-o", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    let kind_of = |name: &str| {
        doc["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .map(|w| w["kind"].clone())
    };
    assert_eq!(kind_of("migrate"), Some(serde_json::json!("Job")), "{doc}");
    assert_eq!(
        kind_of("report"),
        Some(serde_json::json!("CronJob")),
        "{doc}"
    );
    let v = verdicts(&doc);
    assert!(
        codes_for(&v, "migrate")
            .iter()
            .any(|c| c == "KUP-PLACE-001" || c == "KUP-PLACE-002"),
        "{v:?}"
    );
    assert!(codes_for(&v, "report").is_empty(), "{v:?}");
}
