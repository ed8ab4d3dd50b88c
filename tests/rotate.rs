//! End to end: `kup rotate` against kup-sim over real HTTP, judged by what the cluster looks
//! like afterwards and by the sim's safety counters (`/sim/stats`).

mod common;

use common::{Run, Sim, SimSpec, kup_with_kubeconfig};
use serde_json::Value;

const KARPENTER_NODE: &str = "ip-192-168-60-113.ec2.internal";

/// The JSON events of a `-o json` run, one per line.
fn events(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{run:?}")))
        .collect()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

fn assert_safe(sim: &Sim, batch: u64) {
    let stats = sim.stats();
    assert_eq!(stats["pdb_violations"], 0, "{stats}");
    assert_eq!(stats["pods_lost"], 0, "{stats}");
    let max = stats["max_unschedulable_nodes"].as_u64().unwrap();
    assert!(max <= batch, "{max} nodes unschedulable at once: {stats}");
}

/// `kubectl get nodes`-like facts from `kup drift -o json`: (name, kubelet, pool name).
fn nodes(sim: &Sim) -> Vec<(String, String, String)> {
    let run = sim.kup(&["drift", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    let mut out = Vec::new();
    for p in doc["pools"].as_array().unwrap() {
        for n in p["nodes"].as_array().unwrap() {
            out.push((
                n["name"].as_str().unwrap().to_string(),
                n["kubelet"].as_str().unwrap().to_string(),
                p["pool"]["name"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    out
}

/// A raw HTTP request to the sim (no auth in these tests); returns the status code.
fn http(sim: &Sim, method: &str, path: &str, content_type: &str, body: &str) -> u16 {
    http_full(&sim.url, method, path, content_type, body).0
}

/// The same, with the response body.
fn http_full(url: &str, method: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
    common::http_request(url, method, path, content_type, body)
}

#[test]
fn workshop_pool_rotation_replaces_the_karpenter_node_safely() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup(&["rotate", "--pool", "default", "--yes", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    let k = kinds(&ev);
    assert_eq!(k.first(), Some(&"plan"), "{run:?}");
    assert_eq!(k.last(), Some(&"done"), "{run:?}");
    for want in [
        "cordoned",
        "evicted",
        "deleted",
        "replacement-ready",
        "verified",
    ] {
        assert!(k.contains(&want), "missing {want}: {run:?}");
    }
    assert_eq!(
        ev.iter().filter(|e| e["event"] == "evicted").count(),
        3,
        "{run:?}"
    );
    assert_eq!(ev.last().unwrap()["podsMoved"], 3);

    // No lagging Karpenter node is left; its replacement runs at the control plane's version.
    let lagging = sim.kup(&["drift", "-l", "node-type=applications", "-o", "json"]);
    assert_eq!(lagging.code, 0, "{lagging:?}");
    let all = nodes(&sim);
    assert!(!all.iter().any(|(n, ..)| n == KARPENTER_NODE), "{all:?}");
    let new: Vec<&(String, String, String)> = all
        .iter()
        .filter(|(_, _, pool)| pool == "default")
        .collect();
    assert!(!new.is_empty(), "{all:?}");
    for (_, kubelet, _) in &new {
        assert!(kubelet.starts_with("v1.25.16"), "{all:?}");
    }
    // The nginx pods run there.
    let w = sim.kup(&["workloads", "-o", "json"]);
    assert!(
        w.stdout.contains(&new[0].0),
        "nginx runs on the new node {}: {w:?}",
        new[0].0
    );
    assert_safe(&sim, 1);
    let stats = sim.stats();
    assert!(stats["evictions"].as_u64().unwrap() >= 3, "{stats}");
}

#[test]
fn whole_workshop_stops_before_any_change_naming_the_stranded_coredns() {
    let sim = Sim::builtin("workshop");
    let before = sim.stats()["writes"].clone();
    let run = sim.kup(&["rotate", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("coredns"), "{run:?}");
    assert!(run.stderr.contains("stranded"), "{run:?}");
    assert!(run.stderr.contains("nothing was changed"), "{run:?}");
    assert_eq!(sim.stats()["writes"], before, "no writes");
}

#[test]
fn dry_run_writes_nothing_and_no_terminal_without_yes_is_refused() {
    let sim = Sim::builtin("workshop");
    let before = sim.stats()["writes"].clone();
    let run = sim.kup(&["rotate", "--pool", "default", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(KARPENTER_NODE), "{run:?}");
    assert_eq!(sim.stats()["writes"], before, "--dry-run writes nothing");

    let run = sim.kup(&["rotate", "--pool", "default"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--yes"), "{run:?}");
    assert_eq!(sim.stats()["writes"], before, "refused before any write");

    // Bad flags are usage errors before anything is written: force deletion, and waits so long
    // that the deadline arithmetic would overflow.
    for bad in [
        &["--grace-period", "0"][..],
        &["--timeout", "99999999999h"][..],
        &["--drain-timeout", "8760h"][..],
    ] {
        let mut args = vec!["rotate", "--pool", "default", "--yes"];
        args.extend_from_slice(bad);
        let run = sim.kup(&args);
        assert_eq!(run.code, 2, "{bad:?}: {run:?}");
        assert!(run.stderr.contains(bad[0]), "{run:?}");
    }
    assert_eq!(sim.stats()["writes"], before, "refused before any write");
}

#[test]
fn a_blocking_pdb_stops_the_drain_and_a_second_run_finishes_after_it_is_relaxed() {
    let sim = Sim::builtin("pdb-blocks");
    let run = sim.kup(&[
        "rotate",
        "--pool",
        "default",
        "--yes",
        "--drain-timeout",
        "3s",
    ]);
    assert_eq!(run.code, 4, "{run:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("default/nginx-pdb"), "names the PDB: {run:?}");
    assert!(all.contains("nginx-"), "names the pods: {run:?}");
    assert!(
        all.contains("--abort"),
        "says how to resume or undo: {run:?}"
    );

    // The node is left cordoned, with its marker.
    let plan = sim.kup(&["rotate", "--pool", "default", "--dry-run", "-o", "json"]);
    let doc = plan.json();
    let node = &doc["batches"][0]["nodes"][0];
    assert_eq!(node["name"], KARPENTER_NODE, "{plan:?}");
    assert_eq!(node["resume"]["phase"], "cordoned", "{plan:?}");

    // Relax the PDB through the API, then run again: it resumes and finishes.
    let code = http(
        &sim,
        "PATCH",
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets/nginx-pdb",
        "application/merge-patch+json",
        r#"{"spec":{"minAvailable":2}}"#,
    );
    assert_eq!(code, 200);
    let run = sim.kup(&["rotate", "--pool", "default", "--yes", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(kinds(&events(&run)).last(), Some(&"done"), "{run:?}");
    assert!(!nodes(&sim).iter().any(|(n, ..)| n == KARPENTER_NODE));
    assert_safe(&sim, 1);
}

#[test]
fn abort_uncordons_and_removes_the_marker() {
    let sim = Sim::builtin("pdb-blocks");
    let run = sim.kup(&[
        "rotate",
        "--pool",
        "default",
        "--yes",
        "--drain-timeout",
        "1s",
    ]);
    assert_eq!(run.code, 4, "{run:?}");
    let node_path = format!("/api/v1/nodes/{KARPENTER_NODE}");
    let (_, before) = http_full(&sim.url, "GET", &node_path, "application/json", "");
    assert!(before.contains("kup.dev/rotation"), "{before}");
    assert!(unschedulable(&sim.url, KARPENTER_NODE), "{before}");

    // No terminal to confirm on: --abort needs --yes like rotate itself.
    let writes = sim.stats()["writes"].clone();
    let run = sim.kup(&["rotate", "--abort"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--yes"), "{run:?}");
    assert_eq!(sim.stats()["writes"], writes, "refused before any write");

    let pod_lists = || sim.stats()["requests"]["by_verb_resource"]["list pods"].clone();
    let before_lists = pod_lists();
    assert!(
        before_lists.as_u64().unwrap() > 0,
        "the rotation listed pods"
    );
    let run = sim.kup(&["rotate", "--abort", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    // Markers live on nodes: --abort reads nothing else (no pod list on a big cluster).
    assert_eq!(pod_lists(), before_lists, "{run:?}");
    assert!(run.stdout.contains(KARPENTER_NODE), "{run:?}");
    assert!(run.stdout.contains("uncordoned"), "{run:?}");
    let (_, after) = http_full(&sim.url, "GET", &node_path, "application/json", "");
    assert!(!after.contains("kup.dev/rotation"), "{after}");
    assert!(!unschedulable(&sim.url, KARPENTER_NODE), "{after}");
}

#[test]
fn ctrl_c_stops_after_the_call_in_flight_and_says_how_to_resume() {
    let sim = Sim::builtin("pdb-blocks");
    let mut run = Background::rotate(&sim, "2m");
    // Wait for the first refused eviction: the run is now retrying against the PDB.
    run.until("\"event\":\"blocked\"");
    run.signal("-INT");
    let (code, seen, stderr) = run.finish();
    assert_eq!(code, Some(4), "{seen:?}\n{stderr}");
    let last = seen.last().unwrap();
    assert!(
        last.contains("\"event\":\"failed\"") && last.contains("interrupted"),
        "{seen:?}"
    );
    assert!(stderr.contains("kup rotate --abort"), "{stderr}");
    // The marker stays for the next run.
    let (_, node) = http_full(
        &sim.url,
        "GET",
        &format!("/api/v1/nodes/{KARPENTER_NODE}"),
        "application/json",
        "",
    );
    assert!(node.contains("kup.dev/rotation"), "{node}");
}

/// A `kup ... -o json` run in the background, its event lines read as they come.
struct Background {
    child: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    seen: Vec<String>,
}

impl Background {
    fn start(sim: &Sim, args: &[&str]) -> Background {
        Background::start_with(&sim.kubeconfig, args)
    }

    fn start_with(kubeconfig: &std::path::Path, args: &[&str]) -> Background {
        Background::start_env(kubeconfig, args, &[])
    }

    fn start_env(
        kubeconfig: &std::path::Path,
        args: &[&str],
        env: &[(String, String)],
    ) -> Background {
        let mut child = common::kup_command()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// `kup rotate --pool default --yes --drain-timeout D -o json`.
    fn rotate(sim: &Sim, drain_timeout: &str) -> Background {
        Background::start(
            sim,
            &[
                "rotate",
                "--pool",
                "default",
                "--yes",
                "--drain-timeout",
                drain_timeout,
                "-o",
                "json",
            ],
        )
    }

    /// Reads events until one contains `at`; fails the test if the run ends first.
    fn until(&mut self, at: &str) {
        for line in self.lines.by_ref() {
            let line = line.unwrap();
            let hit = line.contains(at);
            self.seen.push(line);
            if hit {
                return;
            }
        }
        panic!("the run ended before printing {at}: {:?}", self.seen);
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the end: exit code, every event line, stderr.
    fn finish(mut self) -> (Option<i32>, Vec<String>, String) {
        self.seen.extend(self.lines.by_ref().map(|l| l.unwrap()));
        let out = self.child.wait_with_output().unwrap();
        (
            out.status.code(),
            self.seen,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Runs `kup ARGS -o json` and SIGKILLs it once a line containing `at` was printed.
fn kill_at(sim: &Sim, args: &[&str], at: &str) -> Vec<String> {
    let mut run = Background::start(sim, args);
    run.until(at);
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    run.seen
}

#[test]
fn a_killed_run_is_finished_by_the_next_one() {
    for at in [
        "\"event\":\"cordoned\"",
        "\"event\":\"evicted\"",
        "\"event\":\"deleted\"",
    ] {
        let sim = Sim::builtin("workshop");
        let args = ["rotate", "--pool", "default", "--yes", "-o", "json"];
        let seen = kill_at(&sim, &args, at);
        assert!(seen.iter().any(|l| l.contains(at)), "{at}: {seen:?}");
        let run = sim.kup(&args);
        assert_eq!(run.code, 0, "after a kill at {at}: {run:?}");
        assert_eq!(kinds(&events(&run)).last(), Some(&"done"), "{run:?}");
        assert!(
            !nodes(&sim).iter().any(|(n, ..)| n == KARPENTER_NODE),
            "{at}"
        );
        assert_safe(&sim, 1);
        // Nothing is left cordoned.
        let (_, list) = http_full(&sim.url, "GET", "/api/v1/nodes", "application/json", "");
        let list: Value = serde_json::from_str(&list).unwrap();
        let cordoned: Vec<&Value> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["spec"]["unschedulable"] == true)
            .collect();
        assert!(cordoned.is_empty(), "{at}: {cordoned:?}");
    }
}

#[test]
fn rotation_finishes_safely_with_faults_injected() {
    let sim = Sim::builtin("workshop");
    sim.set_faults(kup_sim::scenario::FaultConfig {
        rate_429: 0.05,
        retry_after_seconds: 1,
        rate_500: 0.05,
        rate_503: 0.05,
        ..Default::default()
    });
    let run = sim.kup(&["rotate", "--pool", "default", "--yes", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(kinds(&events(&run)).last(), Some(&"done"), "{run:?}");
    sim.set_faults(kup_sim::scenario::FaultConfig::default());
    assert!(!nodes(&sim).iter().any(|(n, ..)| n == KARPENTER_NODE));
    assert_safe(&sim, 1);
}

#[test]
fn unreplicated_emptydir_and_do_not_disrupt_pods_are_refused_unless_allowed() {
    let workshop = kup_sim::scenario::builtin("workshop").unwrap();
    let extra = "workloads:
  - kind: Pod
    name: debug
    nodeSelector: {node-type: applications}
    tolerations: [{key: applications, operator: Exists, effect: NoSchedule}]
  - kind: Deployment
    name: cache
    emptyDir: true
    nodeSelector: {node-type: applications}
    tolerations: [{key: applications, operator: Exists, effect: NoSchedule}]
  - kind: Deployment
    name: batch
    annotations: {karpenter.sh/do-not-disrupt: \"true\"}
    nodeSelector: {node-type: applications}
    tolerations: [{key: applications, operator: Exists, effect: NoSchedule}]
";
    let text = workshop.replacen("workloads:\n", extra, 1);
    let sim = TextSim::start(&text);
    // Let the pods be scheduled and start (polled, with a generous deadline).
    wait_pods_running(
        &sim.handle.as_ref().unwrap().url(),
        &["debug", "cache", "batch"],
    );
    let writes = || sim.handle.as_ref().unwrap().stats()["writes"].clone();
    let before = writes();
    let run = kup_with_kubeconfig(&sim.kubeconfig, &["rotate", "--pool", "default", "--yes"]);
    assert_eq!(run.code, 1, "{run:?}");
    for want in [
        "default/debug",
        "no controller",
        "--force",
        "emptyDir",
        "--delete-emptydir-data",
        "do-not-disrupt",
    ] {
        assert!(run.stderr.contains(want), "{want}: {run:?}");
    }
    assert_eq!(writes(), before, "refused before any write");

    let run = kup_with_kubeconfig(
        &sim.kubeconfig,
        &[
            "rotate",
            "--pool",
            "default",
            "--yes",
            "--force",
            "--delete-emptydir-data",
            "-o",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    for pod in ["debug", "cache-", "batch-"] {
        assert!(
            ev.iter()
                .any(|e| e["event"] == "evicted" && e["pod"].as_str().unwrap().starts_with(pod)),
            "{pod} evicted: {run:?}"
        );
    }
}

const SIX_NODES: &str = r#"
cluster:
  name: six
  version: v1.25.16-eks-3025e55
timing:
  nodeLaunchDelay: 30s
  podStartDelay: 5s
  defaultGracePeriod: 10s
  cordonTaintDelay: 2s
  speed: 60
pools:
  - name: apps
    kind: NodePool
    apiVersion: karpenter.sh/v1
    labels: {node-type: applications}
nodes:
  - count: 6
    namePattern: "old-{i}"
    pool: apps
    kubeletVersion: v1.24.17-eks-a59e1f0
    instanceType: m5.large
workloads:
  - kind: Deployment
    name: web
    namespace: default
    replicas: 6
    labels: {app: web}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
    nodeSelector: {node-type: applications}
pdbs:
  - name: web
    namespace: default
    maxUnavailable: 1
    selector: {app: web}
"#;

#[test]
fn batch_of_two_never_disrupts_more_than_two_nodes() {
    let sim = TextSim::start(SIX_NODES);
    let run = kup_with_kubeconfig(
        &sim.kubeconfig,
        // The NodePool's default budget (10% of 6) would allow one node a batch.
        &[
            "rotate",
            "--yes",
            "--batch",
            "2",
            "--ignore-budgets",
            "-o",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    assert_eq!(ev[0]["batches"].as_array().unwrap().len(), 3, "{run:?}");
    let stats = sim.handle.as_ref().unwrap().stats();
    assert_eq!(stats["pdb_violations"], 0, "{stats}");
    assert_eq!(stats["pods_lost"], 0, "{stats}");
    let max = stats["max_unschedulable_nodes"].as_u64().unwrap();
    assert!(max <= 2, "{max} nodes unschedulable at once: {stats}");
    assert!(max >= 1, "{stats}");
}

/// A sim started from scenario text given here (tests/common knows only built-in scenarios).
struct TextSim {
    handle: Option<kup_sim::SimHandle>,
    kubeconfig: std::path::PathBuf,
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl TextSim {
    fn start(yaml: &str) -> TextSim {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let source = kup_sim::scenario::ScenarioSource {
            text: Some(("test-scenario.yaml".to_string(), yaml.to_string())),
            seed: 7,
            ..Default::default()
        };
        let opts = kup_sim::SimOptions {
            source,
            listen: "127.0.0.1:0".parse().unwrap(),
            token: None,
            readonly_token: None,
            noaccess_token: None,
        };
        let handle = runtime
            .block_on(kup_sim::start(opts))
            .expect("kup-sim starts");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, handle.kubeconfig_yaml(None)).unwrap();
        TextSim {
            handle: Some(handle),
            kubeconfig,
            _dir: dir,
            runtime,
        }
    }
}

impl Drop for TextSim {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

/// Runs `kup ARGS` on a real pseudo-terminal (util-linux `script`), typing `answers`.
fn kup_on_a_terminal(sim: &Sim, args: &[&str], answers: &str) -> (i32, String) {
    use std::io::Write as _;
    let command = std::iter::once(env!("CARGO_BIN_EXE_kup").to_string())
        .chain([
            "--kubeconfig".to_string(),
            sim.kubeconfig.display().to_string(),
        ])
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    // The same clean environment as every other kup run in the tests.
    let clean = common::kup_command();
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .envs(std::env::vars_os().filter(|(k, _)| k == "PATH"))
        .env("TERM", "xterm")
        .envs(
            clean
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs (it gives kup a real terminal)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answers.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn step_asks_before_each_node_and_a_no_stops_before_touching_it() {
    let sim = Sim::builtin("workshop");
    // Yes to the plan, no to the node: nothing is cordoned, the run stops (resumable, exit 4).
    let (code, screen) =
        kup_on_a_terminal(&sim, &["rotate", "--pool", "default", "--step"], "y\nn\n");
    assert_eq!(code, 4, "{screen}");
    assert!(
        screen.contains(&format!("Rotate {KARPENTER_NODE} now? [y/N]")),
        "{screen}"
    );
    let node_path = format!("/api/v1/nodes/{KARPENTER_NODE}");
    let (_, node) = http_full(&sim.url, "GET", &node_path, "application/json", "");
    assert!(
        !unschedulable(&sim.url, KARPENTER_NODE) && !node.contains("kup.dev/rotation"),
        "{node}"
    );
    // Yes to both: the node is rotated.
    let (code, screen) =
        kup_on_a_terminal(&sim, &["rotate", "--pool", "default", "--step"], "y\ny\n");
    assert_eq!(code, 0, "{screen}");
    assert!(
        nodes(&sim)
            .iter()
            .all(|(name, _, _)| name != KARPENTER_NODE),
        "{screen}"
    );
    // Without a terminal, --step is refused before anything is read.
    let run = sim.kup(&["rotate", "--pool", "default", "--step", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--step"), "{run:?}");
}

#[test]
fn a_terminal_gets_progress_bars_and_the_summary() {
    let sim = Sim::builtin("workshop");
    let (code, screen) = kup_on_a_terminal(&sim, &["rotate", "--pool", "default", "--yes"], "");
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("1/1 nodes"), "the overall bar: {screen}");
    assert!(screen.contains("verified"), "the node's line: {screen}");
    assert!(screen.contains("PODS MOVED"), "the summary table: {screen}");
}

const TWO_NODES_ONE_POOL: &str = r#"
cluster:
  name: two
  version: v1.25.16-eks-3025e55
timing:
  nodeLaunchDelay: 30s
  podStartDelay: 5s
  defaultGracePeriod: 10s
  cordonTaintDelay: 2s
  speed: 60
pools:
  - name: apps
    kind: NodePool
    apiVersion: karpenter.sh/v1
    labels: {node-type: applications}
nodes:
  - count: 2
    namePattern: "old-{i}"
    pool: apps
    kubeletVersion: v1.24.17-eks-a59e1f0
    instanceType: m5.large
workloads:
  - kind: Deployment
    name: nginx
    namespace: default
    replicas: 4
    labels: {app: nginx}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
    nodeSelector: {node-type: applications}
pdbs:
  - name: nginx
    namespace: default
    maxUnavailable: 1
    selector: {app: nginx}
"#;

/// Pods evicted from batch 1's node land on batch 2's (still schedulable) node after the plan
/// was made: batch 2 must evict them through the Eviction API too, not delete the node under
/// them.
#[test]
fn pods_that_arrive_after_planning_are_evicted_too() {
    let sim = TextSim::start(TWO_NODES_ONE_POOL);
    let run = kup_with_kubeconfig(
        &sim.kubeconfig,
        &["rotate", "--yes", "--batch", "1", "-o", "json"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    assert_eq!(ev[0]["batches"].as_array().unwrap().len(), 2, "{run:?}");
    let planned = ev[0]["evictions"].as_u64().unwrap();
    assert_eq!(planned, 4, "{run:?}");
    let evicted = ev.iter().filter(|e| e["event"] == "evicted").count() as u64;
    let first = ev[0]["batches"][0][0].as_str().unwrap();
    let moved = ev
        .iter()
        .filter(|e| e["event"] == "evicted" && e["node"] == first)
        .count() as u64;
    // Every pod evicted in batch 1 went to the other old node (no new node yet) and is evicted
    // again from there.
    assert!(moved >= 1, "{run:?}");
    assert!(evicted >= planned + moved, "{run:?}");
    // The late pods' controller is verified back to its Ready replicas before the run ends.
    let second = ev[0]["batches"][1][0].as_str().unwrap();
    let verified = ev
        .iter()
        .find(|e| e["event"] == "verified" && e["node"] == second)
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(
        verified["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("replicaset/default/nginx")),
        "{verified}"
    );
    let stats = sim.handle.as_ref().unwrap().stats();
    assert!(stats["evictions"].as_u64().unwrap() >= evicted, "{stats}");
    assert_eq!(stats["pdb_violations"], 0, "{stats}");
    assert_eq!(stats["pods_lost"], 0, "{stats}");
}

const TWO_NODE_GROUP_NODES: &str = r#"
cluster:
  name: ng
  version: v1.25.16-eks-3025e55
timing:
  nodeLaunchDelay: 30s
  podStartDelay: 5s
  defaultGracePeriod: 10s
  cordonTaintDelay: 2s
  speed: 60
nodeGroups:
  - name: mng
    version: "1.24"
    instanceTypes: [m5.large]
    minSize: 2
    maxSize: 4
    desiredSize: 2
pools:
  - name: apps
    kind: NodePool
    apiVersion: karpenter.sh/v1
    labels: {node-type: applications}
nodes:
  - name: ng-1
    pool: mng
    kubeletVersion: v1.24.17-eks-a59e1f0
  - name: ng-2
    pool: mng
    kubeletVersion: v1.24.17-eks-a59e1f0
workloads:
  - kind: Deployment
    name: nginx
    namespace: default
    replicas: 2
    labels: {app: nginx}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
"#;

/// `spec.unschedulable` of a node, read from the API (parsed, not searched for).
fn unschedulable(url: &str, node: &str) -> bool {
    let (code, body) = http_full(url, "GET", &format!("/api/v1/nodes/{node}"), "", "");
    assert_eq!(code, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    doc["spec"]["unschedulable"].as_bool().unwrap_or(false)
}

/// Node-group nodes stay cordoned after their batch (kup cannot replace them): with --batch 1
/// the second one is not touched while the first is still cordoned; the run stops (exit 4)
/// saying how to go on.
#[test]
fn nodes_left_cordoned_count_against_the_batch() {
    let sim = TextSim::start(TWO_NODE_GROUP_NODES);
    let run = kup_with_kubeconfig(
        &sim.kubeconfig,
        &["rotate", "--yes", "--batch", "1", "-o", "json"],
    );
    assert_eq!(run.code, 4, "{run:?}");
    let ev = events(&run);
    assert_eq!(ev[0]["batches"].as_array().unwrap().len(), 2, "{run:?}");
    let failed = ev.last().unwrap();
    assert_eq!(failed["event"], "failed", "{run:?}");
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.contains("update-nodegroup-version"), "{reason}");
    let first = ev[0]["batches"][0][0].as_str().unwrap();
    let second = ev[0]["batches"][1][0].as_str().unwrap();
    let url = sim.handle.as_ref().unwrap().url();
    assert!(unschedulable(&url, first), "{run:?}");
    assert!(!unschedulable(&url, second), "{run:?}");
    let stats = sim.handle.as_ref().unwrap().stats();
    assert_eq!(stats["max_unschedulable_nodes"], 1, "{stats}");
    assert_eq!(stats["pods_lost"], 0, "{stats}");
}

/// Polls the sim until a pod named after each of `prefixes` is Running.
fn wait_pods_running(url: &str, prefixes: &[&str]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (code, body) = http_full(url, "GET", "/api/v1/pods", "", "");
        let pods: Vec<Value> = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["items"].as_array().cloned())
            .unwrap_or_default();
        let running = |p: &Value| p["status"]["phase"] == "Running";
        let named = |prefix: &str| {
            pods.iter().any(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(prefix))
                    && running(p)
            })
        };
        if code == 200 && prefixes.iter().all(|x| named(x)) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pods not Running in time: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The API refusing a write mid-run (403 for a read-only user) is an API failure: exit 3 (the
/// design's code), still saying how to resume.
#[test]
fn an_api_failure_during_the_run_exits_3_with_the_resume_hint() {
    let sim = Sim::start(SimSpec {
        builtin: Some("workshop"),
        token: Some("admin-token"),
        readonly_token: Some("readonly-token"),
        ..Default::default()
    });
    let run = kup_with_kubeconfig(
        &sim.kubeconfig_with_token("readonly-token"),
        &["rotate", "--pool", "default", "--yes", "-o", "json"],
    );
    assert_eq!(run.code, 3, "{run:?}");
    let ev = events(&run);
    assert_eq!(kinds(&ev).last(), Some(&"failed"), "{run:?}");
    assert!(
        ev.last().unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("403"),
        "{run:?}"
    );
    assert!(run.stderr.contains("kup rotate --abort"), "{run:?}");
}

/// A second PDB selecting the pods appears while the drain waits on the first: the Eviction API
/// answers 500, which no retry cures; the run stops at once naming both budgets, long before
/// its --drain-timeout.
#[test]
fn a_pod_under_two_pdbs_stops_the_drain_at_once_naming_both() {
    let sim = Sim::builtin("pdb-blocks");
    let mut run = Background::rotate(&sim, "1h");
    run.until("\"event\":\"blocked\"");
    let code = http(
        &sim,
        "POST",
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
        "application/json",
        r#"{"apiVersion":"policy/v1","kind":"PodDisruptionBudget",
            "metadata":{"name":"nginx-extra","namespace":"default"},
            "spec":{"maxUnavailable":1,"selector":{"matchLabels":{"app":"nginx"}}}}"#,
    );
    assert_eq!(code, 201);
    let (code, seen, stderr) = run.finish();
    assert_eq!(code, Some(4), "{seen:?}\n{stderr}");
    let last: Value = serde_json::from_str(seen.last().unwrap()).unwrap();
    assert_eq!(last["event"], "failed", "{seen:?}");
    let reason = last["reason"].as_str().unwrap();
    assert!(
        reason.contains("default/nginx-pdb") && reason.contains("default/nginx-extra"),
        "{reason}"
    );
    assert!(!reason.contains("--drain-timeout"), "{reason}");
}

/// A second Ctrl-C quits at once (130) even while a call hangs: the markers already say where
/// the run was.
#[test]
fn a_second_ctrl_c_quits_at_once() {
    let sim = Sim::builtin("pdb-blocks");
    let mut run = Background::rotate(&sim, "1h");
    run.until("\"event\":\"blocked\"");
    // Every call from now on hangs; wait until one is in flight.
    sim.set_faults(kup_sim::scenario::FaultConfig {
        latency: std::time::Duration::from_secs(600),
        ..Default::default()
    });
    let total = || sim.stats()["requests"]["total"].as_u64().unwrap();
    let before = total();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while total() == before {
        assert!(std::time::Instant::now() < deadline, "no call started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let stderr = run.child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    run.signal("-INT");
    let mut err = Vec::new();
    for line in rx.iter() {
        let first = line.contains("interrupted;");
        err.push(line);
        if first {
            break;
        }
    }
    run.signal("-INT");
    let status = run.child.wait().unwrap();
    err.extend(rx.iter());
    assert_eq!(status.code(), Some(130), "{err:?}");
    assert!(
        err.iter().any(|l| l.contains("kup rotate --abort")),
        "{err:?}"
    );
    sim.set_faults(kup_sim::scenario::FaultConfig::default());
}

const LEASE_PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kup-rotate";

/// A Lease `kube-system/kup-rotate` held by `holder`, renewed `ago` seconds before now.
fn put_lease(url: &str, holder: &str, ago: i64) {
    let renewed = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(ago))
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let (code, current) = http_full(url, "GET", LEASE_PATH, "", "");
    let mut lease = serde_json::json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "kup-rotate", "namespace": "kube-system"},
    });
    if code == 200 {
        lease["metadata"]["resourceVersion"] =
            serde_json::from_str::<Value>(&current).unwrap()["metadata"]["resourceVersion"].clone();
    }
    lease["spec"] = serde_json::json!({"holderIdentity": holder, "leaseDurationSeconds": 60,
        "acquireTime": renewed, "renewTime": renewed});
    let (method, path) = if code == 200 {
        ("PUT", LEASE_PATH.to_string())
    } else {
        (
            "POST",
            LEASE_PATH.trim_end_matches("/kup-rotate").to_string(),
        )
    };
    let (code, body) = http_full(url, method, &path, "application/json", &lease.to_string());
    assert!(code == 200 || code == 201, "{code} {body}");
}

fn lease(url: &str) -> Value {
    let (code, body) = http_full(url, "GET", LEASE_PATH, "", "");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Another run's live Lease: refused (exit 4) naming it and when it expires, nothing changed;
/// `--dry-run` takes no Lease. Once it has expired, the next run takes it over, rotates, and
/// gives it back.
#[test]
fn a_live_lease_refuses_the_run_and_an_expired_one_is_taken_over() {
    let sim = Sim::builtin("workshop");
    let other = "r-20261124-060000@elsewhere.invalid#4242";
    put_lease(&sim.url, other, 5);
    let writes = sim.stats()["writes"].clone();
    let args = ["rotate", "--pool", "default", "--yes", "-o", "json"];
    let run = sim.kup(&args);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.contains(other), "{run:?}");
    assert!(run.stderr.contains("expires in"), "{run:?}");
    assert_eq!(kinds(&events(&run)), ["failed"], "{run:?}");
    assert_eq!(sim.stats()["writes"], writes, "refused before any write");
    assert!(!unschedulable(&sim.url, KARPENTER_NODE));

    let dry = sim.kup(&["rotate", "--pool", "default", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");

    // Not renewed for longer than it lasts: that run is gone.
    put_lease(&sim.url, other, 120);
    let run = sim.kup(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(kinds(&events(&run)).last(), Some(&"done"), "{run:?}");
    let l = lease(&sim.url);
    assert!(l["spec"]["holderIdentity"].is_null(), "released: {l}");
    assert!(l["spec"]["leaseTransitions"].as_i64().unwrap() >= 1, "{l}");
    assert_safe(&sim, 1);
}

/// Two runs at once: the second refuses, naming the first; the first releases its Lease when
/// interrupted.
#[test]
fn a_second_run_refuses_while_the_first_holds_the_lease() {
    let sim = Sim::builtin("pdb-blocks");
    let mut first = Background::rotate(&sim, "2m");
    let plan = {
        first.until("\"event\":\"plan\"");
        first.seen[0].clone()
    };
    let run_id = serde_json::from_str::<Value>(&plan).unwrap()["runId"]
        .as_str()
        .unwrap()
        .to_string();
    first.until("\"event\":\"blocked\"");
    let holder = lease(&sim.url)["spec"]["holderIdentity"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(holder.starts_with(&format!("{run_id}@")), "{holder}");
    let second = sim.kup(&["rotate", "--pool", "default", "--yes"]);
    assert_eq!(second.code, 4, "{second:?}");
    assert!(second.stderr.contains(&holder), "{second:?}");
    first.signal("-INT");
    let (code, seen, stderr) = first.finish();
    assert_eq!(code, Some(4), "{seen:?}\n{stderr}");
    let l = lease(&sim.url);
    assert!(l["spec"]["holderIdentity"].is_null(), "released: {l}");
}

/// A node someone else cordoned stays cordoned after `--abort`; only kup's marker goes.
#[test]
fn abort_leaves_a_cordon_kup_did_not_make() {
    let sim = Sim::builtin("pdb-blocks");
    let node_path = format!("/api/v1/nodes/{KARPENTER_NODE}");
    let code = http(
        &sim,
        "PATCH",
        &node_path,
        "application/merge-patch+json",
        r#"{"spec":{"unschedulable":true}}"#,
    );
    assert_eq!(code, 200);
    let run = sim.kup(&[
        "rotate",
        "--pool",
        "default",
        "--yes",
        "--drain-timeout",
        "1s",
    ]);
    assert_eq!(run.code, 4, "{run:?}");
    let (_, node) = http_full(&sim.url, "GET", &node_path, "", "");
    let node: Value = serde_json::from_str(&node).unwrap();
    let marker = node["metadata"]["annotations"]["kup.dev/rotation"]
        .as_str()
        .unwrap_or_default();
    assert!(marker.ends_with("/cordoned/already-cordoned"), "{node}");

    let run = sim.kup(&["rotate", "--abort", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("left cordoned"), "{run:?}");
    let (_, after) = http_full(&sim.url, "GET", &node_path, "", "");
    assert!(!after.contains("kup.dev/rotation"), "{after}");
    assert!(unschedulable(&sim.url, KARPENTER_NODE), "{after}");
}

/// Node-group nodes are left cordoned and drained: once their workloads are back, their
/// markers say `verified`, and the next run leaves them alone (no eviction, no write).
#[test]
fn drained_nodes_left_cordoned_are_marked_verified_and_skipped_next_time() {
    let sim = TextSim::start(TWO_NODE_GROUP_NODES);
    let url = sim.handle.as_ref().unwrap().url();
    let args = ["rotate", "--yes", "--batch", "2", "-o", "json"];
    let run = kup_with_kubeconfig(&sim.kubeconfig, &args);
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    assert_eq!(
        ev.iter().filter(|e| e["event"] == "verified").count(),
        2,
        "{run:?}"
    );
    for node in ["ng-1", "ng-2"] {
        let (_, body) = http_full(&url, "GET", &format!("/api/v1/nodes/{node}"), "", "");
        let doc: Value = serde_json::from_str(&body).unwrap();
        let marker = doc["metadata"]["annotations"]["kup.dev/rotation"]
            .as_str()
            .unwrap_or_default();
        assert!(marker.ends_with("/verified"), "{node}: {body}");
        assert!(unschedulable(&url, node));
    }
    // nginx is back at full strength, off the drained nodes.
    wait_pods_running(&url, &["nginx"]);
    let stats = sim.handle.as_ref().unwrap().stats();
    let again = kup_with_kubeconfig(&sim.kubeconfig, &args);
    assert_eq!(again.code, 0, "{again:?}");
    let ev = events(&again);
    assert_eq!(kinds(&ev), ["plan", "done"], "{again:?}");
    let after = sim.handle.as_ref().unwrap().stats();
    assert_eq!(after["evictions"], stats["evictions"], "{after}");
    assert_eq!(after["pods_lost"], 0, "{after}");
    assert_eq!(after["pdb_violations"], 0, "{after}");
}

/// What kup's evictions rely on: kup-sim, like the API server, refuses an eviction whose UID
/// precondition names another pod than the one now under that name (409), and evicts the pod
/// it does name.
#[test]
fn an_eviction_for_a_pod_that_was_replaced_is_refused_with_409() {
    let sim = Sim::builtin("workshop");
    let (_, body) = http_full(
        &sim.url,
        "GET",
        &format!("/api/v1/pods?fieldSelector=spec.nodeName%3D{KARPENTER_NODE}"),
        "",
        "",
    );
    let list: Value = serde_json::from_str(&body).unwrap();
    let pod = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("nginx"))
        })
        .unwrap_or_else(|| panic!("{body}"));
    let (ns, name) = (
        pod["metadata"]["namespace"].as_str().unwrap(),
        pod["metadata"]["name"].as_str().unwrap(),
    );
    let uid = pod["metadata"]["uid"].as_str().unwrap();
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}/eviction");
    let eviction = |uid: &str| {
        serde_json::json!({"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": name, "namespace": ns},
            "deleteOptions": {"preconditions": {"uid": uid}}})
        .to_string()
    };
    let (code, body) = http_full(
        &sim.url,
        "POST",
        &path,
        "application/json",
        &eviction("a-successor-s-uid"),
    );
    assert_eq!(code, 409, "{body}");
    let (code, _) = http_full(
        &sim.url,
        "GET",
        &format!("/api/v1/namespaces/{ns}/pods/{name}"),
        "",
        "",
    );
    assert_eq!(code, 200, "the pod is untouched");
    let (code, body) = http_full(&sim.url, "POST", &path, "application/json", &eviction(uid));
    assert_eq!(code, 201, "{body}");
}

const ONE_STATEFUL_POD: &str = r#"
cluster:
  name: sts
  version: v1.25.16-eks-3025e55
timing:
  nodeLaunchDelay: 30s
  podStartDelay: 5s
  defaultGracePeriod: 10s
  cordonTaintDelay: 2s
  speed: 60
pools:
  - name: apps
    kind: NodePool
    apiVersion: karpenter.sh/v1
    labels: {node-type: applications}
nodes:
  - name: old-1
    pool: apps
    kubeletVersion: v1.24.17-eks-a59e1f0
    instanceType: m5.large
workloads:
  - kind: StatefulSet
    name: web
    namespace: default
    replicas: 1
    labels: {app: web}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
    nodeSelector: {node-type: applications}
pdbs:
  - name: web
    namespace: default
    minAvailable: 1
    selector: {app: web}
"#;

fn pod_uid(url: &str, ns: &str, name: &str) -> Option<String> {
    let (code, body) = http_full(
        url,
        "GET",
        &format!("/api/v1/namespaces/{ns}/pods/{name}"),
        "",
        "",
    );
    (code == 200).then(|| {
        let doc: Value = serde_json::from_str(&body).unwrap();
        doc["metadata"]["uid"].as_str().unwrap().to_string()
    })
}

/// While kup retries the eviction of web-0 (its PDB allows none), web-0 is force-deleted and
/// its StatefulSet recreates a web-0 elsewhere. kup's evictions carry the UID it planned, so
/// the API refuses them for the successor (409): kup treats the pod it meant as gone and never
/// evicts the new web-0 (which, Pending, no PDB would have protected).
#[test]
fn a_same_named_successor_is_never_evicted() {
    let sim = TextSim::start(ONE_STATEFUL_POD);
    let url = sim.handle.as_ref().unwrap().url();
    wait_pods_running(&url, &["web-0"]);
    let old = pod_uid(&url, "default", "web-0").unwrap();
    let mut run = Background::start_with(
        &sim.kubeconfig,
        &["rotate", "--yes", "--drain-timeout", "2m", "-o", "json"],
    );
    run.until("\"event\":\"blocked\"");
    let (code, body) = http_full(
        &url,
        "DELETE",
        "/api/v1/namespaces/default/pods/web-0?gracePeriodSeconds=0",
        "application/json",
        "",
    );
    assert_eq!(code, 200, "{body}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let successor = loop {
        if let Some(uid) = pod_uid(&url, "default", "web-0").filter(|u| *u != old) {
            break uid;
        }
        assert!(std::time::Instant::now() < deadline, "web-0 not recreated");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let (code, seen, stderr) = run.finish();
    assert_eq!(code, Some(0), "{seen:?}\n{stderr}");
    assert!(
        !seen.iter().any(|l| l.contains("\"event\":\"evicted\"")),
        "{seen:?}"
    );
    assert_eq!(
        pod_uid(&url, "default", "web-0"),
        Some(successor),
        "{seen:?}"
    );
    let stats = sim.handle.as_ref().unwrap().stats();
    assert_eq!(stats["evictions"], 0, "{stats}");
    assert_eq!(stats["pdb_violations"], 0, "{stats}");
}

/// coredns (2 replicas, on the managed node group's nodes only) under a PDB of minAvailable 1.
const COREDNS_PDB: &str = "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: coredns, namespace: kube-system}
spec:
  minAvailable: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
";

fn workshop_with_coredns_pdb() -> Sim {
    Sim::start(SimSpec {
        builtin: Some("workshop"),
        manifests: &[("coredns-pdb.yaml", COREDNS_PDB)],
        ..Default::default()
    })
}

fn eks_calls(sim: &Sim, op: &str) -> u64 {
    sim.stats()["eks"]["by_operation"][op].as_u64().unwrap_or(0)
}

#[test]
fn whole_workshop_rotation_moves_the_node_group_through_eks() {
    let sim = workshop_with_coredns_pdb();
    let writes = sim.stats()["writes"].clone();
    let dry = sim.kup_eks(&["rotate", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.contains(
            "managed node group mng-system (2 nodes) moves with EKS's UpdateNodegroupVersion \
             1.24 → 1.25, 1 node at a time"
        ),
        "{dry:?}"
    );
    assert!(dry.stdout.contains("EKS update"), "{dry:?}");
    assert!(!dry.stdout.contains("stranded"), "{dry:?}");
    assert_eq!(sim.stats()["writes"], writes, "--dry-run writes nothing");
    assert_eq!(eks_calls(&sim, "UpdateNodegroupVersion"), 0);

    let run = sim.kup_eks(&["rotate", "--yes", "-o", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    let k = kinds(&ev);
    for want in [
        "plan",
        "cordoned",
        "deleted",
        "nodegroup-update",
        "nodegroup-updated",
        "done",
    ] {
        assert!(k.contains(&want), "missing {want}: {run:?}");
    }
    let update = ev
        .iter()
        .find(|e| e["event"] == "nodegroup-update")
        .unwrap();
    assert_eq!(update["nodegroup"], "mng-system");
    assert_eq!(update["version"], "1.25");
    assert_eq!(update["resumed"], false);
    assert_eq!(
        update["nodes"].as_array().map(Vec::len),
        Some(2),
        "{update}"
    );
    assert_eq!(eks_calls(&sim, "UpdateNodegroupVersion"), 1);

    // Nothing lags any more: every node runs the control plane's version.
    let drift = sim.kup(&["drift", "--fail-on", "warning", "-o", "json"]);
    assert_eq!(drift.code, 0, "{drift:?}");
    let all = nodes(&sim);
    assert!(all.len() >= 3, "{all:?}");
    for (name, kubelet, _) in &all {
        assert!(kubelet.starts_with("v1.25."), "{name} {kubelet}: {all:?}");
    }
    assert_safe(&sim, 1);
    let stats = sim.stats();
    let min = stats["min_ready_by_pdb"]["kube-system/coredns"].as_u64();
    assert!(
        min.is_some_and(|m| m >= 1),
        "coredns kept a Ready pod: {stats}"
    );
    // The summary of a run on a terminal-less stderr names both kinds of replacement.
    let dry = sim.kup_eks(&["rotate", "--dry-run"]);
    assert!(dry.stdout.contains("No node to rotate"), "{dry:?}");
}

#[test]
fn a_killed_node_group_rotation_is_followed_by_the_next_run() {
    let sim = workshop_with_coredns_pdb();
    let args = ["rotate", "--pool", "mng-system", "--yes", "-o", "json"];
    let mut run = Background::start_env(&sim.kubeconfig, &args, &sim.eks_env());
    run.until("\"event\":\"nodegroup-update\"");
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    assert_eq!(eks_calls(&sim, "UpdateNodegroupVersion"), 1);

    // The next run finds the update in progress (or already done) and does not start another.
    let again = sim.kup_eks(&args);
    assert_eq!(again.code, 0, "{again:?}");
    let ev = events(&again);
    if let Some(update) = ev.iter().find(|e| e["event"] == "nodegroup-update") {
        assert_eq!(update["resumed"], true, "{again:?}");
    }
    assert_eq!(eks_calls(&sim, "UpdateNodegroupVersion"), 1, "{again:?}");
    for (name, kubelet, pool) in nodes(&sim) {
        if pool == "mng-system" {
            assert!(kubelet.starts_with("v1.25."), "{name} {kubelet}");
        }
    }
    assert_safe(&sim, 1);
}

#[test]
fn without_eks_node_group_nodes_are_left_drained_and_named_so() {
    // No AWS credentials: kup says EKS is not available and keeps to the Kubernetes API.
    let sim = Sim::builtin("workshop");
    // Its coredns would then have nowhere to go: the plan says so (exit 1).
    let run = sim.kup(&["rotate", "--pool", "mng-system", "--dry-run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("EKS not available"), "{run:?}");
    assert!(run.stdout.contains("leave drained"), "{run:?}");
    assert!(run.stdout.contains("stranded"), "{run:?}");
    // Named with --cluster, the same failure is an error.
    let run = sim.kup(&[
        "rotate",
        "--pool",
        "mng-system",
        "--dry-run",
        "--cluster",
        "eks-upgrades-workshop",
    ]);
    assert_eq!(run.code, 3, "{run:?}");
}

#[test]
fn a_node_group_update_that_eks_fails_stops_the_run_and_a_second_run_finishes() {
    // coredns has 2 replicas and a PDB requiring both: EKS cannot evict either, and after its
    // pod-eviction timeout (15 simulated minutes) the update fails with PodEvictionFailure.
    let blocking = COREDNS_PDB.replace("minAvailable: 1", "minAvailable: 2");
    let sim = Sim::start(SimSpec {
        builtin: Some("workshop"),
        manifests: &[("coredns-pdb.yaml", &blocking)],
        ..Default::default()
    });
    let args = ["rotate", "--pool", "mng-system", "--yes", "-o", "json"];
    let run = sim.kup_eks(&args);
    assert_eq!(run.code, 4, "{run:?}");
    let failed = events(&run).pop().unwrap();
    assert_eq!(failed["event"], "failed", "{run:?}");
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.contains("PodEvictionFailure"), "{reason}");
    assert!(reason.contains("node group mng-system failed"), "{reason}");
    assert_eq!(sim.stats()["pdb_violations"], 0);
    assert_eq!(sim.stats()["pods_lost"], 0);

    // Relaxed, the next run starts a new update and finishes.
    let code = http(
        &sim,
        "PATCH",
        "/apis/policy/v1/namespaces/kube-system/poddisruptionbudgets/coredns",
        "application/merge-patch+json",
        r#"{"spec":{"minAvailable":1}}"#,
    );
    assert_eq!(code, 200);
    let run = sim.kup_eks(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(eks_calls(&sim, "UpdateNodegroupVersion"), 2);
    for (name, kubelet, pool) in nodes(&sim) {
        if pool == "mng-system" {
            assert!(kubelet.starts_with("v1.25."), "{name} {kubelet}");
        }
    }
    assert_eq!(sim.stats()["pdb_violations"], 0);
    assert_eq!(sim.stats()["pods_lost"], 0);
}

/// A pod that still exists has not left: with the Karpenter node's kubelet lost (it confirms
/// no deletion), the evicted nginx pods stay Terminating. The drain says what it waits for,
/// polls less and less often, and stops at `--timeout` (exit 4); a second run neither says
/// done nor marks the node verified while they are there; once the kubelet is back, a third
/// run finishes with every workload available again.
#[test]
fn pods_stuck_terminating_are_waited_for_and_never_reported_done() {
    let sim = Sim::builtin("workshop");
    let stuck = kup_sim::scenario::FaultConfig {
        stuck_kubelet_nodes: vec![KARPENTER_NODE.to_string()],
        ..Default::default()
    };
    sim.set_faults(stuck.clone());
    let args = drain_default_pool;
    let lists = |sim: &Sim| {
        sim.stats()["requests"]["by_verb_resource"]["list pods"]
            .as_u64()
            .unwrap_or(0)
    };
    let before = lists(&sim);
    let run = sim.kup(&args("20s"));
    assert_eq!(run.code, 4, "{run:?}");
    let ev = events(&run);
    let waiting = event(&ev, "waiting", &run);
    assert_eq!(waiting["node"], KARPENTER_NODE, "{waiting}");
    assert_eq!(
        waiting["pods"].as_array().map(Vec::len),
        Some(3),
        "{waiting}"
    );
    assert!(
        waiting["message"]
            .as_str()
            .unwrap_or_default()
            .contains("terminating"),
        "{waiting}"
    );
    let failed = ev.last().unwrap();
    assert_eq!(failed["event"], "failed", "{run:?}");
    assert!(
        failed["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("still on node"),
        "{failed}"
    );
    // 20 s of waiting: a backed-off poll, not three lists a second.
    let polls = lists(&sim) - before;
    assert!(polls < 50, "{polls} pod lists during a 20 s wait");

    // Terminating pods are leaving: drift and workloads show them apart from running ones.
    let drift = sim.kup(&["drift", "-o", "json"]).json();
    let row = drift["pools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["nodes"].as_array().cloned().unwrap_or_default())
        .find(|n| n["name"] == KARPENTER_NODE)
        .unwrap_or_else(|| panic!("{drift}"));
    assert_eq!(row["terminating"], 3, "{row}");
    assert_eq!(row["pods"], 2, "aws-node and kube-proxy only: {row}");
    let table = sim.kup(&["drift"]).stdout;
    assert!(table.contains("2 (+3 terminating)"), "{table}");
    let workloads = sim.kup(&["workloads", "-o", "json"]).json();
    let nginx = workloads["workloads"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|w| w["name"] == "nginx")
        .unwrap_or_else(|| panic!("{workloads}"));
    assert_eq!(nginx["terminating"], 3, "{nginx}");
    let on_old_node = nginx["runsOn"].as_array().into_iter().flatten().any(|r| {
        r["nodes"]
            .as_array()
            .is_some_and(|n| n.contains(&Value::from(KARPENTER_NODE)))
    });
    assert!(
        !on_old_node,
        "terminating pods counted as running there: {nginx}"
    );
    let table = sim.kup(&["workloads"]).stdout;
    assert!(table.contains("3 terminating"), "{table}");

    // The second run finds nothing left to evict, and still does not call the node done.
    let run = sim.kup(&args("3s"));
    assert_eq!(run.code, 4, "{run:?}");
    let ev = events(&run);
    assert!(!kinds(&ev).contains(&"verified"), "{run:?}");
    assert!(!kinds(&ev).contains(&"done"), "{run:?}");
    let plan = sim.kup(&["rotate", "--pool", "default", "--dry-run", "-o", "json"]);
    let node = &plan.json()["batches"][0]["nodes"][0];
    assert_eq!(node["name"], KARPENTER_NODE, "{plan:?}");
    assert_eq!(node["resume"]["phase"], "cordoned", "{plan:?}");

    // The kubelet is back: the pods go, and the next run finishes.
    sim.set_faults(kup_sim::scenario::FaultConfig::default());
    let run = sim.kup(&args("60s"));
    assert_eq!(run.code, 0, "{run:?}");
    let ev = events(&run);
    let verified = event(&ev, "verified", &run);
    // The workload of the pods the first run evicted, counted against its desired replicas.
    assert!(
        verified["workloads"][0]
            .as_str()
            .is_some_and(|w| w.contains("/default/nginx")),
        "{run:?}"
    );
    wait_pods_running(&sim.url, &["nginx"]);
    assert_safe(&sim, 1);
}

/// A finalizer holds the evicted nginx pods after their containers stopped (the kubelet then
/// reports them `Succeeded`): they still exist, so neither the first run nor a resumed one calls
/// the node done until the finalizer goes.
#[test]
fn pods_held_by_a_finalizer_are_waited_for_on_resume_too() {
    let sim = Sim::builtin("workshop");
    wait_pods_running(&sim.url, &["nginx"]);
    let (code, body) = http_full(
        &sim.url,
        "GET",
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx",
        "",
        "",
    );
    assert_eq!(code, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names.len(), 3, "{body}");
    let finalizers = |value: &str| {
        for name in &names {
            let code = http(
                &sim,
                "PATCH",
                &format!("/api/v1/namespaces/default/pods/{name}"),
                "application/merge-patch+json",
                &format!(r#"{{"metadata":{{"finalizers":{value}}}}}"#),
            );
            assert_eq!(code, 200, "{name}");
        }
    };
    finalizers(r#"["kup.test/hold"]"#);
    let args = drain_default_pool;
    let run = sim.kup(&args("5s"));
    assert_eq!(run.code, 4, "{run:?}");
    // Resumed: nothing left to evict, the held pods still there.
    let run = sim.kup(&args("3s"));
    assert_eq!(run.code, 4, "{run:?}");
    let ev = events(&run);
    assert!(!kinds(&ev).contains(&"verified"), "{run:?}");
    let failed = ev.last().unwrap();
    assert!(
        failed["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("still on node"),
        "{failed}"
    );
    let drift = sim.kup(&["drift"]).stdout;
    assert!(drift.contains("(+3 terminating)"), "{drift}");
    // The finalizer goes: so do the pods, and the next run finishes.
    finalizers("null");
    let run = sim.kup(&args("60s"));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(kinds(&events(&run)).contains(&"verified"), "{run:?}");
    wait_pods_running(&sim.url, &["nginx"]);
    assert_safe(&sim, 1);
}

/// `kup rotate` of the workshop's Karpenter pool in drain mode, JSON events, with `--timeout`.
fn drain_default_pool(timeout: &'static str) -> [&'static str; 10] {
    [
        "rotate",
        "--pool",
        "default",
        "--mode",
        "drain",
        "--yes",
        "--timeout",
        timeout,
        "-o",
        "json",
    ]
}

/// The first event of a kind in a run's events.
fn event<'a>(ev: &'a [Value], kind: &str, run: &Run) -> &'a Value {
    ev.iter()
        .find(|e| e["event"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event: {run:?}"))
}
