//! Unit tests of the scenario input: each section, errors with file:line, manifests.

use super::*;
use serde_json::Value;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    load(&ScenarioSource {
        text: Some(("t.yaml".into(), text.into())),
        ..Default::default()
    })
}

fn find<'a>(s: &'a Scenario, kind: &str, name: &str) -> &'a Value {
    s.objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn kinds(s: &Scenario, kind: &str) -> usize {
    s.objects.iter().filter(|o| o["kind"] == kind).count()
}

#[test]
fn workshop_reproduces_the_seed() {
    let s = load(&ScenarioSource::default()).expect("workshop loads");
    assert_eq!(s.cluster.name, "eks-upgrades-workshop");
    assert_eq!(s.cluster.region, "us-east-1");
    assert_eq!(s.cluster.git_version, "v1.25.16-eks-3025e55");
    let p = find(&s, "Provisioner", "default");
    assert_eq!(p["apiVersion"], "karpenter.sh/v1alpha5");
    assert_eq!(
        p["spec"]["labels"],
        serde_json::json!({"node-type": "applications"})
    );
    assert_eq!(
        p["spec"]["taints"],
        serde_json::json!([{"key": "applications", "effect": "NoSchedule"}])
    );
    assert_eq!(
        p["spec"]["providerRef"],
        serde_json::json!({"name": "default"})
    );
    let nginx = find(&s, "Deployment", "nginx");
    assert_eq!(nginx["metadata"]["namespace"], "default");
    assert_eq!(nginx["spec"]["replicas"], 3);
    let tpl = &nginx["spec"]["template"]["spec"];
    assert_eq!(tpl["nodeSelector"]["node-type"], "applications");
    assert_eq!(
        tpl["tolerations"][0],
        serde_json::json!({"key": "applications", "operator": "Exists", "effect": "NoSchedule"})
    );
    let app_nodes: Vec<&Value> = s
        .objects
        .iter()
        .filter(|o| o["kind"] == "Node" && o["metadata"]["labels"]["node-type"] == "applications")
        .collect();
    assert_eq!(app_nodes.len(), 1);
    let n = app_nodes[0];
    assert_eq!(n["metadata"]["name"], "ip-192-168-60-113.ec2.internal");
    assert_eq!(
        n["metadata"]["labels"]["karpenter.sh/provisioner-name"],
        "default"
    );
    assert_eq!(
        n["metadata"]["finalizers"],
        serde_json::json!(["karpenter.sh/termination"])
    );
    assert_eq!(
        n["spec"]["taints"],
        serde_json::json!([{"key": "applications", "effect": "NoSchedule"}])
    );
    assert_eq!(
        n["status"]["nodeInfo"]["kubeletVersion"],
        "v1.24.17-eks-a59e1f0"
    );
    assert_eq!(
        n["status"]["addresses"][0],
        serde_json::json!({"type": "InternalIP", "address": "192.168.60.113"})
    );
    assert_eq!(s.node_groups.len(), 1);
    assert_eq!(s.node_groups[0].name, "mng-system");
    assert_eq!(s.node_groups[0].version, "1.24");
    assert_eq!(s.node_groups[0].desired_size, 2);
    let mng = s
        .objects
        .iter()
        .filter(|o| o["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] == "mng-system")
        .count();
    assert_eq!(mng, 2);
    assert_eq!(kinds(&s, "DaemonSet"), 2);
    assert_eq!(kinds(&s, "Pod"), 0, "the world creates workload pods");
    // Apply order: namespaces first, pools before nodes, workloads after nodes.
    let rank: Vec<&str> = s
        .objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap_or_default())
        .collect();
    let pos = |k: &str| rank.iter().position(|r| *r == k).unwrap_or(usize::MAX);
    assert!(
        pos("Namespace") < pos("Provisioner")
            && pos("Provisioner") < pos("Node")
            && pos("Node") < pos("Deployment")
    );
    assert!(s.timing.speed > 1.0);
}

#[test]
fn every_builtin_loads() {
    for name in BUILTIN_NAMES {
        let text = builtin(name).expect("listed builtin exists");
        let s = load(&ScenarioSource {
            text: Some((name.to_string(), text.to_string())),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(kinds(&s, "Node") >= 3, "{name}");
    }
    assert!(builtin("nope").is_none());
}

#[test]
fn nodepool_scenarios_use_their_api_version() {
    for (name, version) in [
        ("nodepool-v1", "karpenter.sh/v1"),
        ("nodepool-v1beta1", "karpenter.sh/v1beta1"),
    ] {
        let s = parse(builtin(name).unwrap_or_default()).expect("loads");
        let np = find(&s, "NodePool", "default");
        assert_eq!(np["apiVersion"], version);
        assert_eq!(
            np["spec"]["template"]["metadata"]["labels"]["node-type"],
            "applications"
        );
        assert_eq!(
            np["spec"]["template"]["spec"]["taints"][0]["key"],
            "applications"
        );
        let node = find(&s, "Node", "ip-192-168-60-113.ec2.internal");
        assert_eq!(
            node["metadata"]["labels"]["karpenter.sh/nodepool"],
            "default"
        );
        let claim = s
            .objects
            .iter()
            .find(|o| o["kind"] == "NodeClaim")
            .expect("a NodeClaim");
        assert_eq!(claim["apiVersion"], version);
        assert_eq!(
            claim["status"]["nodeName"],
            "ip-192-168-60-113.ec2.internal"
        );
    }
}

#[test]
fn no_lag_has_every_node_at_the_control_plane() {
    let s = parse(builtin("no-lag").unwrap_or_default()).expect("loads");
    for n in s.objects.iter().filter(|o| o["kind"] == "Node") {
        assert_eq!(
            n["status"]["nodeInfo"]["kubeletVersion"],
            s.cluster.git_version.as_str()
        );
    }
}

#[test]
fn pdb_blocks_has_min_available_3() {
    let s = parse(builtin("pdb-blocks").unwrap_or_default()).expect("loads");
    let pdb = find(&s, "PodDisruptionBudget", "nginx-pdb");
    assert_eq!(pdb["spec"]["minAvailable"], 3);
    assert_eq!(pdb["spec"]["selector"]["matchLabels"]["app"], "nginx");
}

#[test]
fn cluster_timing_and_faults() {
    let s = parse(
        "cluster: {name: c1, region: eu-west-1, version: v1.29.6-eks-1234567, platformVersion: eks.7, accountId: 123456789012}\n\
         timing: {nodeLaunchDelay: 2m, podStartDelay: 500ms, defaultGracePeriod: 10, cordonTaintDelay: 1s, speed: 120}\n\
         faults: {rate429: 0.1, retryAfterSeconds: 3, rate500: 0.05, rate503: 0.02, latency: 20ms, watchCutAfterEvents: 7, protobufRefuse: 415, corruptProtobufPages: 2}\n",
    )
    .expect("parses");
    assert_eq!(s.cluster.name, "c1");
    assert_eq!(s.cluster.account_id, "123456789012");
    assert_eq!(s.cluster.platform_version, "eks.7");
    assert_eq!(s.timing.node_launch_delay, Duration::from_secs(120));
    assert_eq!(s.timing.pod_start_delay, Duration::from_millis(500));
    assert_eq!(s.timing.default_grace_period, Duration::from_secs(10));
    assert_eq!(s.timing.speed, 120.0);
    assert_eq!(s.faults.rate_429, 0.1);
    assert_eq!(s.faults.retry_after_seconds, 3);
    assert_eq!(s.faults.latency, Duration::from_millis(20));
    assert_eq!(s.faults.watch_cut_after_events, Some(7));
    assert_eq!(s.faults.protobuf_refuse, Some(415));
    assert_eq!(s.faults.corrupt_protobuf_pages, 2);
}

#[test]
fn kube_version_applies_only_when_the_scenario_has_none() {
    let src = |text: &str| ScenarioSource {
        text: Some(("t.yaml".into(), text.into())),
        kube_version: Some("v1.30.2-eks-1111111".into()),
        ..Default::default()
    };
    assert_eq!(
        load(&src("nodes: []")).expect("ok").cluster.git_version,
        "v1.30.2-eks-1111111"
    );
    assert_eq!(
        load(&src("cluster: {version: v1.28.1}"))
            .expect("ok")
            .cluster
            .git_version,
        "v1.28.1"
    );
}

#[test]
fn nodes_with_count_pattern_capacity_and_state() {
    let s = parse(
        "nodes:\n\
         \x20 - count: 3\n\
         \x20   namePattern: worker-{i}\n\
         \x20   kubeletVersion: v1.23.17-eks-a59e1f0\n\
         \x20   labels: {team: a, spot: true}\n\
         \x20   taints: [\"dedicated=db:NoSchedule\"]\n\
         \x20   capacity: {cpu: 4, memory: 16Gi, pods: 58}\n\
         \x20   zone: us-east-1b\n\
         \x20 - name: broken\n\
         \x20   ready: false\n\
         \x20   unschedulable: true\n",
    )
    .expect("parses");
    assert_eq!(kinds(&s, "Node"), 4);
    let w = find(&s, "Node", "worker-2");
    assert_eq!(w["metadata"]["labels"]["spot"], "true");
    assert_eq!(
        w["metadata"]["labels"]["kubernetes.io/hostname"],
        "worker-2"
    );
    assert_eq!(
        w["metadata"]["labels"]["topology.kubernetes.io/zone"],
        "us-east-1b"
    );
    assert_eq!(
        w["spec"]["taints"][0],
        serde_json::json!({"key": "dedicated", "value": "db", "effect": "NoSchedule"})
    );
    assert_eq!(w["status"]["capacity"]["cpu"], "4");
    assert_eq!(w["status"]["capacity"]["pods"], "58");
    assert_eq!(w["status"]["capacity"]["memory"], "16777216Ki");
    // EKS reservations: 60m + 10m + 5m + 5m of 4 cores.
    assert_eq!(w["status"]["allocatable"]["cpu"], "3920m");
    assert_eq!(
        w["status"]["nodeInfo"]["kubeletVersion"],
        "v1.23.17-eks-a59e1f0"
    );
    assert!(w["metadata"].get("finalizers").is_none());
    let b = find(&s, "Node", "broken");
    assert_eq!(b["spec"]["unschedulable"], true);
    let ready = b["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .cloned();
    assert_eq!(
        ready.map(|c| c["status"].clone()),
        Some(Value::from("False"))
    );
    let keys: Vec<&str> = b["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"node.kubernetes.io/unschedulable")
            && keys.contains(&"node.kubernetes.io/not-ready")
    );
}

#[test]
fn workloads_and_pdbs() {
    let s = parse(
        "workloads:\n\
         \x20 - kind: StatefulSet\n    name: db\n    namespace: data\n    replicas: 2\n    emptyDir: true\n\
         \x20   annotations: {karpenter.sh/do-not-disrupt: \"true\"}\n\
         \x20   affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}\n\
         \x20 - kind: Pod\n    name: solo\n    replicas: 2\n\
         \x20 - kind: Pod\n    name: pinned\n    nodeName: n1\n\
         pdbs:\n\
         \x20 - {name: db, namespace: data, maxUnavailable: 50%, selector: {app: db}}\n",
    )
    .expect("parses");
    let db = find(&s, "StatefulSet", "db");
    assert_eq!(db["spec"]["serviceName"], "db");
    assert_eq!(
        db["spec"]["template"]["metadata"]["annotations"]["karpenter.sh/do-not-disrupt"],
        "true"
    );
    assert!(db["spec"]["template"]["spec"]["volumes"][0]["emptyDir"].is_object());
    assert_eq!(
        db["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"][0]["matchExpressions"][0]["key"],
        "zone"
    );
    assert_eq!(kinds(&s, "Pod"), 3);
    find(&s, "Pod", "solo-0");
    find(&s, "Pod", "solo-1");
    assert_eq!(find(&s, "Pod", "pinned")["spec"]["nodeName"], "n1");
    assert_eq!(
        find(&s, "PodDisruptionBudget", "db")["spec"]["maxUnavailable"],
        "50%"
    );
    // The namespace a workload uses is created.
    find(&s, "Namespace", "data");
}

#[test]
fn objects_are_taken_as_given() {
    let s = parse(
        "objects:\n\
         \x20 - apiVersion: v1\n    kind: ConfigMapList\n    items: []\n\
         \x20 - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec: {replicas: 2}\n\
         \x20 - apiVersion: v1\n    kind: List\n    items:\n      - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}\n",
    )
    .expect("parses");
    assert_eq!(
        find(&s, "Deployment", "web")["metadata"]["namespace"],
        "default"
    );
    find(&s, "Namespace", "shop");
}

fn err_of(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_field_names_file_line_and_column() {
    let e = err_of(
        "cluster:\n  name: x\nworkloads:\n  - kind: Deployment\n    name: a\n    replica: 3\n",
    );
    assert!(e.starts_with("t.yaml:6:5: "), "{e}");
    assert!(e.contains("replica"), "{e}");
    assert!(e.contains("replicas"), "should list what is expected: {e}");
}

#[test]
fn errors_have_locations() {
    let e = err_of("timing:\n  speed: 0\n");
    assert!(e.starts_with("t.yaml:2:"), "{e}");
    let e = err_of("timing:\n  podStartDelay: 5 minutes\n");
    assert!(e.starts_with("t.yaml:2:") && e.contains("duration"), "{e}");
    let e = err_of("nodes:\n  - name: a\n    pool: nowhere\n");
    assert!(e.starts_with("t.yaml:3:") && e.contains("nowhere"), "{e}");
    let e = err_of("objects:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: s}}\n");
    assert!(e.starts_with("t.yaml:2:") && e.contains("ConfigMap"), "{e}");
    let e = err_of("faults:\n  rate429: 2\n");
    assert!(e.starts_with("t.yaml:2:"), "{e}");
    let e = err_of("faults:\n  protobufRefuse: 500\n");
    assert!(
        e.starts_with("t.yaml:2:") && e.contains("406 or 415"),
        "{e}"
    );
    let e = err_of("workloads:\n  - kind: Job\n    name: j\n");
    assert!(e.starts_with("t.yaml:2:"), "{e}");
    let e = err_of("nodes: [\n");
    assert!(e.starts_with("t.yaml:"), "{e}");
    let e = err_of("pools:\n  - name: p\n    apiVersion: karpenter.sh/v2\n");
    assert!(e.starts_with("t.yaml:3:"), "{e}");
    let e = err_of("workloads:\n  - {kind: DaemonSet, name: d, replicas: 2}\n");
    assert!(e.starts_with("t.yaml:2:"), "{e}");
}

#[test]
fn semantic_errors_name_the_object() {
    assert!(
        err_of("pdbs:\n  - {name: p, selector: {a: b}}\n").contains("exactly one of minAvailable")
    );
    assert!(err_of("nodes:\n  - {name: a, count: 2}\n").contains("either name or count"));
    assert!(
        err_of("nodes:\n  - {name: a, taints: [\"x:Sometimes\"]}\n").contains("unknown effect")
    );
    assert!(err_of("nodes:\n  - {name: a}\n  - {name: a}\n").contains("more than once"));
    // Karpenter v1 fields: bad budgets, grace periods and versions name the pool / section.
    let e = err_of(
        "pools:\n  - {name: p, budgets: [{nodes: \"1\", schedule: \"0 25 * * *\", duration: 8h}]}\n",
    );
    assert!(
        e.contains("pools p: budget") && e.contains("out of range"),
        "{e}"
    );
    let e = err_of(
        "pools:\n  - {name: p, budgets: [{nodes: \"1\", schedule: \"@daily\", duration: 1d}]}\n",
    );
    assert!(e.contains("invalid duration"), "{e}");
    let e = err_of("pools:\n  - {name: p, budgets: [{nodes: \"150%\"}]}\n");
    assert!(e.contains("not a count or a percentage"), "{e}");
    let e = err_of("pools:\n  - {name: p, terminationGracePeriod: forever}\n");
    assert!(e.contains("terminationGracePeriod"), "{e}");
    let e = err_of("karpenter: {version: latest}\n");
    assert!(e.contains("karpenter.version"), "{e}");
    let s =
        parse("pools:\n  - {name: p, budgets: [{nodes: 0, schedule: \"@daily\", duration: 1h}]}\n")
            .expect("parses");
    assert_eq!(
        find(&s, "NodePool", "p")["spec"]["disruption"]["budgets"][0]["nodes"],
        "0"
    );
}

#[test]
fn absurd_capacity_is_not_a_panic() {
    let s = parse(
        "nodes:\n  - {name: big, capacity: {cpu: 1e15, memory: 1e30, pods: 18446744073709551615}, instanceType: é.large}\n",
    );
    assert!(s.is_ok());
    let s = parse("nodes:\n  - {name: m5, instanceType: m5.large}\n").expect("parses");
    let n = find(&s, "Node", "m5");
    // As the real m5.large in the reference: 2 CPUs, 1930m allocatable, 29 pods.
    assert_eq!(n["status"]["allocatable"]["cpu"], "1930m");
    assert_eq!(n["status"]["capacity"]["memory"], "7910360Ki");
    assert_eq!(n["status"]["allocatable"]["memory"], "7220184Ki");
}

#[test]
fn missing_file_is_an_io_error() {
    let e = load(&ScenarioSource {
        file: Some("/nonexistent/x.yaml".into()),
        ..Default::default()
    })
    .err();
    assert!(
        e.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("/nonexistent/x.yaml")
    );
}

#[test]
fn manifests_multi_document_and_lists() {
    let text = "# leading comment\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\n\
                apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: a}\n\
                - apiVersion: policy/v1\n  kind: PodDisruptionBudget\n  metadata: {name: b}\n...\n";
    let objs = manifests::parse("m.yaml", text).expect("parses");
    assert_eq!(objs.len(), 3);
    assert_eq!(objs[1]["kind"], "Pod");
    assert_eq!(objs[2]["metadata"]["namespace"], "default");
}

#[test]
fn manifests_errors_name_file_and_line() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: [\n";
    let e = manifests::parse("m.yaml", text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("m.yaml:"), "{e}");
    let line: u64 = e
        .split(':')
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    assert!(line >= 5, "line should be in the 2nd document: {e}");
    let e = manifests::parse(
        "m.yaml",
        "apiVersion: v1\nkind: Node\nmetadata: {}\n---\n\nkind: Pod\n",
    )
    .err()
    .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some(
            "m.yaml:1:1: Node: metadata.name is missing (generateName is not supported in scenarios)"
        )
    );
    let e = manifests::parse(
        "m.yaml",
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\n\nkind: Pod\n",
    )
    .err()
    .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("m.yaml:6:1: Pod: object has no apiVersion")
    );
    let e = manifests::parse(
        "m.yaml",
        "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: d}\n",
    )
    .err()
    .map(|e| e.to_string());
    assert!(e.unwrap_or_default().contains("apps/v1"));
}

#[test]
fn manifests_dir_is_sorted_and_filtered() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("b.yml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: second}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: first}\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not yaml: [").expect("write");
    let objs = manifests::load_dir(dir.path()).expect("loads");
    let names: Vec<&str> = objs
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["first", "second"]);
    std::fs::write(
        dir.path().join("c.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\nbogus: [\n",
    )
    .expect("write");
    let e = manifests::load_dir(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("c.yaml:"), "{e}");
    // Through load(): manifests come on top of an empty cluster (no scenario file given).
    std::fs::remove_file(dir.path().join("c.yaml")).expect("rm");
    let s = load(&ScenarioSource {
        manifests: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .expect("loads");
    find(&s, "Namespace", "first");
    assert_eq!(kinds(&s, "Node"), 0);
    assert_eq!(s.cluster.git_version, DEFAULT_GIT_VERSION);
}

#[test]
fn the_clock_is_pinned_by_the_scenario_the_flag_or_the_generator() {
    let t = |s: &str| s.parse::<jiff::Timestamp>().expect("timestamp");
    let text = "cluster:\n  now: 2023-12-01T09:00:00Z\nnodes:\n  - name: n1\n    age: 3h\n";
    let s = parse(text).expect("loads");
    assert_eq!(s.now, Some(t("2023-12-01T09:00:00Z")));
    // Objects are dated from the pinned day, not from today.
    assert_eq!(
        find(&s, "Node", "n1")["metadata"]["creationTimestamp"],
        "2023-12-01T06:00:00Z"
    );
    // --now wins over the file.
    let s = load(&ScenarioSource {
        text: Some(("t.yaml".into(), text.into())),
        now: Some(t("2030-01-01T00:00:00Z")),
        ..Default::default()
    })
    .expect("loads");
    assert_eq!(s.now, Some(t("2030-01-01T00:00:00Z")));
    // Every built-in scenario pins its day.
    for name in BUILTIN_NAMES {
        let s = load(&ScenarioSource {
            text: Some((name.to_string(), builtin(name).unwrap_or_default().into())),
            ..Default::default()
        })
        .expect("built-in loads");
        assert!(s.now.is_some(), "{name} pins no clock");
    }
    // A generated cluster is pinned too; a bare manifest directory is not.
    let (s, g) = load_deferred(&ScenarioSource {
        generate: Some("nodes=2,pods=40,deployments=1,pools=1".into()),
        ..Default::default()
    })
    .expect("generates");
    assert_eq!(s.now, Some(t(GENERATED_NOW)));
    assert_eq!(g.map(|g| g.now), Some(t(GENERATED_NOW)));
    assert_eq!(parse("").expect("empty").now, None);
}

#[test]
fn a_bad_pinned_time_names_its_place() {
    let e = parse("cluster:\n  name: x\n  now: yesterday\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("t.yaml:3:"), "{e}");
    assert!(e.contains("cluster.now \"yesterday\""), "{e}");
}
