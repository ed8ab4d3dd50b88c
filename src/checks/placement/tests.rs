use super::rules::pool_labels;
use super::*;
use crate::checks::fixtures::{self, workshop};
use crate::model::{OwnerRef, Pod, Requirement, Workload};

fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        value: value.map(Into::into),
        effect: effect.into(),
    }
}

fn tol(
    key: Option<&str>,
    op: Option<&str>,
    value: Option<&str>,
    effect: Option<&str>,
) -> Toleration {
    Toleration {
        key: key.map(Into::into),
        operator: op.map(Into::into),
        value: value.map(Into::into),
        effect: effect.map(Into::into),
    }
}

fn req(key: &str, op: &str, values: &[&str]) -> Requirement {
    Requirement {
        key: key.into(),
        operator: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn tolerations_follow_tolerates_taint() {
    let app = taint("applications", None, "NoSchedule");
    let valued = taint("dedicated", Some("gpu"), "NoExecute");
    // (toleration, taint, expected, why)
    let cases = [
        (
            tol(
                Some("applications"),
                Some("Exists"),
                None,
                Some("NoSchedule"),
            ),
            &app,
            true,
            "seed's toleration",
        ),
        (
            tol(Some("applications"), Some("Exists"), None, None),
            &app,
            true,
            "empty effect matches every effect",
        ),
        (
            tol(Some("applications"), Some("Exists"), None, Some("")),
            &app,
            true,
            "\"\" effect is empty",
        ),
        (
            tol(
                Some("applications"),
                Some("Exists"),
                None,
                Some("NoExecute"),
            ),
            &app,
            false,
            "effect must equal",
        ),
        (
            tol(Some("other"), Some("Exists"), None, None),
            &app,
            false,
            "key must equal",
        ),
        (
            tol(None, Some("Exists"), None, None),
            &app,
            true,
            "empty key + Exists: everything",
        ),
        (
            tol(Some(""), Some("Exists"), None, None),
            &valued,
            true,
            "\"\" key is empty",
        ),
        (
            tol(None, Some("Exists"), None, Some("NoSchedule")),
            &valued,
            false,
            "wildcard still checks effect",
        ),
        (
            tol(Some("applications"), None, None, None),
            &app,
            true,
            "Equal by default; absent value equals \"\"",
        ),
        (
            tol(Some("applications"), Some("Equal"), Some(""), None),
            &app,
            true,
            "\"\" equals absent",
        ),
        (
            tol(Some("applications"), Some("Equal"), Some("x"), None),
            &app,
            false,
            "Equal needs the value",
        ),
        (
            tol(
                Some("dedicated"),
                Some("Equal"),
                Some("gpu"),
                Some("NoExecute"),
            ),
            &valued,
            true,
            "Equal value",
        ),
        (
            tol(Some("dedicated"), None, Some("cpu"), None),
            &valued,
            false,
            "other value",
        ),
        (
            tol(Some("dedicated"), Some("Exists"), None, None),
            &valued,
            true,
            "Exists ignores the value",
        ),
        (
            tol(Some("dedicated"), Some("Exists"), Some("cpu"), None),
            &valued,
            true,
            "Exists ignores even a wrong value",
        ),
        (
            tol(Some("dedicated"), Some("Gt"), Some("1"), None),
            &valued,
            false,
            "unknown operator",
        ),
        (
            tol(Some("dedicated"), Some("exists"), None, None),
            &valued,
            false,
            "operators are case-sensitive",
        ),
    ];
    for (t, taint, want, why) in cases {
        assert_eq!(tolerates(&t, taint), want, "{why}: {t:?} vs {taint:?}");
    }
}

#[test]
fn only_no_schedule_and_no_execute_block() {
    let pref = taint("a", None, "PreferNoSchedule");
    let ns = taint("a", None, "NoSchedule");
    let ne = taint("b", None, "NoExecute");
    assert!(!blocks_scheduling(&pref));
    assert!(blocks_scheduling(&ns) && blocks_scheduling(&ne));
    let taints = [pref.clone(), ns.clone(), ne.clone()];
    assert_eq!(untolerated(&[], &taints), vec![&ns, &ne]);
    let only_ns = [tol(Some("a"), Some("Exists"), None, Some("NoSchedule"))];
    assert_eq!(untolerated(&only_ns, &taints), vec![&ne]);
    assert!(untolerated(&[tol(None, Some("Exists"), None, None)], &taints).is_empty());
}

#[test]
fn node_selector_is_an_and_of_exact_matches() {
    let node = labels(&[("node-type", "applications"), ("zone", "a")]);
    assert!(selector_matches(&Labels::new(), &node));
    assert!(selector_matches(
        &labels(&[("node-type", "applications")]),
        &node
    ));
    assert!(!selector_matches(
        &labels(&[("node-type", "applications"), ("zone", "b")]),
        &node
    ));
    assert!(!selector_matches(&labels(&[("missing", "")]), &node));
    assert!(!selector_matches(
        &labels(&[("node-type", "Applications")]),
        &node
    ));
}

#[test]
fn affinity_operators() {
    let node = labels(&[("a", "x"), ("n", "5"), ("s", "five")]);
    // (requirement, expected, why)
    let cases = [
        (req("a", "In", &["x", "y"]), true, "In"),
        (req("a", "In", &["y"]), false, "In other"),
        (req("b", "In", &["x"]), false, "In absent"),
        (req("a", "In", &[]), false, "In needs values"),
        (req("a", "NotIn", &["y"]), true, "NotIn"),
        (req("a", "NotIn", &["x"]), false, "NotIn listed"),
        (req("b", "NotIn", &["x"]), true, "NotIn absent label"),
        (req("a", "NotIn", &[]), false, "NotIn needs values"),
        (req("a", "Exists", &[]), true, "Exists"),
        (req("b", "Exists", &[]), false, "Exists absent"),
        (req("a", "Exists", &["x"]), false, "Exists takes no values"),
        (req("b", "DoesNotExist", &[]), true, "DoesNotExist"),
        (req("a", "DoesNotExist", &[]), false, "DoesNotExist present"),
        (req("n", "Gt", &["4"]), true, "Gt"),
        (req("n", "Gt", &["5"]), false, "Gt is strict"),
        (req("n", "Lt", &["6"]), true, "Lt"),
        (req("n", "Lt", &["5"]), false, "Lt is strict"),
        (req("n", "Gt", &["-1"]), true, "negative bound"),
        (req("s", "Gt", &["1"]), false, "non-integer label"),
        (req("n", "Gt", &["x"]), false, "non-integer bound"),
        (
            req("n", "Gt", &["1", "2"]),
            false,
            "Gt needs exactly one value",
        ),
        (req("n", "Gt", &[]), false, "Gt without value"),
        (req("b", "Lt", &["9"]), false, "Lt absent label"),
        (req("a", "Like", &["x"]), false, "unknown operator"),
    ];
    for (r, want, why) in cases {
        assert_eq!(requirement_matches(&r, &node), want, "{why}: {r:?}");
    }
}

#[test]
fn affinity_terms_or_of_ands() {
    let node = labels(&[("a", "x"), ("b", "y")]);
    let yes = vec![req("a", "In", &["x"]), req("b", "Exists", &[])];
    let no = vec![req("a", "In", &["x"]), req("b", "DoesNotExist", &[])];
    assert!(affinity_matches(&[], &node), "no terms: no constraint");
    assert!(
        !affinity_matches(&[vec![]], &node),
        "an empty term matches nothing"
    );
    assert!(!term_matches(&[], &node));
    assert!(term_matches(&yes, &node));
    assert!(!term_matches(&no, &node));
    assert!(affinity_matches(&[no.clone(), yes.clone()], &node));
    assert!(!affinity_matches(&[no.clone(), vec![]], &node));
}

fn pool(
    kind: PoolKind,
    name: &str,
    l: &[(&str, &str)],
    taints: Vec<Taint>,
    reqs: Vec<Requirement>,
) -> Pool {
    Pool {
        pool: PoolRef {
            kind,
            name: name.into(),
        },
        source: match kind {
            PoolKind::NodePool => "karpenter.sh/v1",
            PoolKind::Provisioner => "karpenter.sh/v1alpha5",
            PoolKind::NodeGroup => "eks",
            PoolKind::None => "labels",
        }
        .into(),
        labels: labels(l),
        taints,
        startup_taints: Vec::new(),
        requirements: reqs,
    }
}

fn placement(
    sel: &[(&str, &str)],
    terms: Vec<Vec<Requirement>>,
    tols: Vec<Toleration>,
) -> Placement {
    Placement {
        node_selector: labels(sel),
        affinity_terms: terms,
        tolerations: tols,
    }
}

#[test]
fn pool_requirements_constrain_label_values() {
    let np = pool(
        PoolKind::NodePool,
        "default",
        &[("node-type", "applications")],
        vec![],
        vec![
            req("karpenter.sh/capacity-type", "In", &["spot", "on-demand"]),
            req("topology.kubernetes.io/zone", "NotIn", &["us-west-2d"]),
            req("karpenter.k8s.aws/instance-cpu", "Gt", &["3"]),
            req("team", "Exists", &[]),
        ],
    );
    assert_eq!(
        pool_labels(&np)
            .get("karpenter.sh/nodepool")
            .map(String::as_str),
        Some("default")
    );
    let fits = |sel: &[(&str, &str)], terms: Vec<Vec<Requirement>>| {
        pool_labels_fit(&placement(sel, terms, vec![]), &np)
    };
    // (fits?, why)
    let cases = [
        (fits(&[], vec![]), true, "no constraint"),
        (
            fits(&[("node-type", "applications")], vec![]),
            true,
            "pool label",
        ),
        (
            fits(&[("node-type", "batch")], vec![]),
            false,
            "other value of a pool label",
        ),
        (
            fits(&[("karpenter.sh/nodepool", "default")], vec![]),
            true,
            "identity label",
        ),
        (
            fits(&[("karpenter.sh/nodepool", "gpu")], vec![]),
            false,
            "another pool's identity",
        ),
        (
            fits(&[("karpenter.sh/provisioner-name", "default")], vec![]),
            false,
            "not a provisioner",
        ),
        (
            fits(&[("karpenter.sh/capacity-type", "spot")], vec![]),
            true,
            "one of In's values",
        ),
        (
            fits(&[("karpenter.sh/capacity-type", "reserved")], vec![]),
            false,
            "excluded by In",
        ),
        (
            fits(&[("topology.kubernetes.io/zone", "us-west-2a")], vec![]),
            true,
            "allowed by NotIn",
        ),
        (
            fits(&[("topology.kubernetes.io/zone", "us-west-2d")], vec![]),
            false,
            "excluded by NotIn",
        ),
        (
            fits(&[("kubernetes.io/arch", "arm64")], vec![]),
            true,
            "unconstrained well-known label",
        ),
        (
            fits(&[("gpu", "true")], vec![]),
            false,
            "custom label the pool never sets",
        ),
        (
            fits(&[("team", "payments")], vec![]),
            true,
            "Exists allows any value",
        ),
        (
            fits(&[], vec![vec![req("team", "DoesNotExist", &[])]]),
            false,
            "Exists forbids absence",
        ),
        (
            fits(&[], vec![vec![req("gpu", "DoesNotExist", &[])]]),
            true,
            "absent custom label",
        ),
        (
            fits(
                &[],
                vec![vec![req("karpenter.k8s.aws/instance-cpu", "Lt", &["4"])]],
            ),
            false,
            "Gt 3 and Lt 4: no integer",
        ),
        (
            fits(
                &[],
                vec![vec![req("karpenter.k8s.aws/instance-cpu", "Lt", &["5"])]],
            ),
            true,
            "4 fits",
        ),
        (
            fits(
                &[],
                vec![vec![req(
                    "karpenter.sh/capacity-type",
                    "NotIn",
                    &["spot", "on-demand"],
                )]],
            ),
            false,
            "NotIn all of In",
        ),
        (
            fits(
                &[],
                vec![
                    vec![req("gpu", "In", &["true"])],
                    vec![req("node-type", "In", &["applications"])],
                ],
            ),
            true,
            "second term fits",
        ),
        (fits(&[], vec![vec![]]), false, "only an empty term"),
        (
            fits(
                &[("node-type", "applications")],
                vec![vec![req("node-type", "NotIn", &["applications"])]],
            ),
            false,
            "selector and term on one key",
        ),
    ];
    for (i, (got, want, why)) in cases.into_iter().enumerate() {
        assert_eq!(got, want, "case {i}: {why}");
    }
}

fn workload(
    kind: WorkloadKind,
    ns: &str,
    name: &str,
    replicas: Option<i32>,
    p: Placement,
) -> Workload {
    Workload {
        kind,
        namespace: ns.into(),
        name: name.into(),
        owner: None,
        replicas,
        ready_replicas: replicas,
        placement: p,
        annotations: Labels::new(),
    }
}

fn app_taint() -> Taint {
    taint("applications", None, "NoSchedule")
}

fn app_tol() -> Toleration {
    tol(
        Some("applications"),
        Some("Exists"),
        None,
        Some("NoSchedule"),
    )
}

fn wildcard() -> Toleration {
    tol(None, Some("Exists"), None, None)
}

/// The workshop's cluster with its pools, labels, taints and workloads.
pub(crate) fn placement_workshop() -> Snapshot {
    let mut s = workshop();
    for n in &mut s.nodes {
        n.labels
            .insert("kubernetes.io/hostname".into(), n.name.clone());
        n.labels.insert("kubernetes.io/arch".into(), "amd64".into());
        match n.pool.kind {
            PoolKind::NodeGroup => {
                n.labels
                    .insert("eks.amazonaws.com/nodegroup".into(), n.pool.name.clone());
            }
            PoolKind::Provisioner | PoolKind::NodePool => {
                let key = n.pool.kind.identity_label().unwrap_or_default();
                n.labels.insert(key.into(), n.pool.name.clone());
                n.labels.insert("node-type".into(), "applications".into());
                n.taints.push(app_taint());
            }
            PoolKind::None => {
                // Cordoned: the node lifecycle controller's taint does not make pods misfit.
                n.taints.push(taint(
                    "node.kubernetes.io/unschedulable",
                    None,
                    "NoSchedule",
                ));
            }
        }
    }
    let mut np = pool(
        PoolKind::NodePool,
        "default",
        &[("node-type", "applications")],
        vec![app_taint()],
        vec![req(
            "karpenter.sh/capacity-type",
            "In",
            &["on-demand", "spot"],
        )],
    );
    let agent = taint("example.com/agent-not-ready", None, "NoExecute");
    np.startup_taints.push(agent.clone());
    if let Some(n) = s
        .nodes
        .iter_mut()
        .find(|n| n.pool.kind == PoolKind::NodePool)
    {
        // Still starting up: its startup taint does not count.
        n.taints.push(agent);
    }
    s.pools = vec![
        pool(PoolKind::NodeGroup, "mng-1", &[], vec![], vec![]),
        pool(
            PoolKind::Provisioner,
            "default",
            &[("node-type", "applications")],
            vec![app_taint()],
            vec![],
        ),
        np,
    ];
    let seed = placement(&[("node-type", "applications")], vec![], vec![app_tol()]);
    let mut rs = workload(
        WorkloadKind::ReplicaSet,
        "default",
        "nginx-6b7f",
        Some(4),
        seed.clone(),
    );
    rs.owner = Some(OwnerRef {
        kind: "Deployment".into(),
        name: "nginx".into(),
    });
    let mut core_rs = workload(
        WorkloadKind::ReplicaSet,
        "kube-system",
        "coredns-7d9f",
        Some(2),
        Placement::default(),
    );
    core_rs.owner = Some(OwnerRef {
        kind: "Deployment".into(),
        name: "coredns".into(),
    });
    s.workloads = vec![
        workload(WorkloadKind::Deployment, "default", "nginx", Some(4), seed),
        rs,
        workload(
            WorkloadKind::Deployment,
            "default",
            "second-app",
            Some(2),
            placement(&[("node-type", "applications")], vec![], vec![]),
        ),
        workload(
            WorkloadKind::Deployment,
            "default",
            "tolerant-app",
            Some(1),
            placement(&[], vec![], vec![app_tol()]),
        ),
        workload(
            WorkloadKind::StatefulSet,
            "default",
            "legacy-db",
            Some(1),
            placement(
                &[("kubernetes.io/hostname", "legacy-worker-1")],
                vec![],
                vec![],
            ),
        ),
        workload(
            WorkloadKind::Deployment,
            "monitoring",
            "agent",
            Some(1),
            placement(&[], vec![], vec![wildcard()]),
        ),
        workload(
            WorkloadKind::Deployment,
            "kube-system",
            "coredns",
            Some(2),
            placement(
                &[],
                vec![],
                vec![tol(Some("CriticalAddonsOnly"), Some("Exists"), None, None)],
            ),
        ),
        core_rs,
        workload(
            WorkloadKind::DaemonSet,
            "kube-system",
            "kube-proxy",
            None,
            placement(&[], vec![], vec![wildcard()]),
        ),
        workload(
            WorkloadKind::DaemonSet,
            "kube-system",
            "aws-node",
            None,
            placement(&[], vec![], vec![]),
        ),
    ];
    let pending = |name: &str, owner: &str| Pod {
        node_name: None,
        ..fixtures::pod("default", name, "", "Pending", ("ReplicaSet", owner))
    };
    s.pods.push(pending("second-app-5d4c-a", "second-app-5d4c"));
    s.workloads.push({
        let mut w = workload(
            WorkloadKind::ReplicaSet,
            "default",
            "second-app-5d4c",
            Some(2),
            placement(&[("node-type", "applications")], vec![], vec![]),
        );
        w.owner = Some(OwnerRef {
            kind: "Deployment".into(),
            name: "second-app".into(),
        });
        w
    });
    let mut bare = pending("debug", "");
    bare.owner = None;
    bare.phase = "Running".into();
    bare.node_name = s
        .nodes
        .iter()
        .find(|n| n.pool.kind == PoolKind::NodeGroup)
        .map(|n| n.name.as_str().into());
    bare.placement = Some(Box::default());
    s.pods.push(bare);
    s
}

fn verdicts(s: &Snapshot, config: &Config) -> Vec<WorkloadVerdict> {
    workload_verdicts(s, &v("1.25"), config)
}

fn find<'a>(vs: &'a [WorkloadVerdict], ns: &str, name: &str) -> &'a WorkloadVerdict {
    vs.iter()
        .find(|w| w.namespace == ns && w.name == name)
        .unwrap_or_else(|| panic!("no verdict for {ns}/{name}"))
}

#[test]
fn workshop_verdicts() {
    let s = placement_workshop();
    let vs = verdicts(&s, &Config::default());
    let names: Vec<String> = vs
        .iter()
        .map(|w| format!("{}/{:?}/{}", w.namespace, w.kind, w.name))
        .collect();
    assert_eq!(
        names,
        [
            "default/Deployment/nginx",
            "default/Deployment/second-app",
            "default/Deployment/tolerant-app",
            "default/StatefulSet/legacy-db",
            "default/Pod/debug",
            "kube-system/Deployment/coredns",
            "kube-system/DaemonSet/aws-node",
            "kube-system/DaemonSet/kube-proxy",
            "monitoring/Deployment/agent",
        ],
        "owned ReplicaSets are reported through their Deployment"
    );

    let nginx = find(&vs, "default", "nginx");
    assert_eq!(nginx.verdict, "ok", "{:?}", nginx.findings);
    assert_eq!(nginx.fits_pools.len(), 2);
    assert_eq!(nginx.runs_on.iter().map(|r| r.pods).sum::<usize>(), 3);
    assert_eq!(nginx.pending, 1);

    let second = find(&vs, "default", "second-app");
    assert_eq!(second.codes, [Code::PlaceMissingToleration]);
    assert_eq!(second.severity, Some(Severity::Error));
    assert!(second.fits_pools.is_empty() && second.fits_nodes.is_empty());
    assert_eq!(second.pending, 1);
    let remedy = &second.findings[0].remedy;
    assert!(remedy.contains("tolerations:\n  - key: \"applications\"\n    operator: \"Exists\"\n    effect: \"NoSchedule\"\n"), "{remedy}");

    let tolerant = find(&vs, "default", "tolerant-app");
    assert_eq!(tolerant.codes, [Code::PlaceMissingSelector]);
    assert!(
        tolerant.findings[0]
            .remedy
            .contains("nodeSelector:\n  \"node-type\": \"applications\"\n")
    );
    assert!(tolerant.findings[0].message.contains("nodegroup/mng-1"));

    let legacy = find(&vs, "default", "legacy-db");
    assert_eq!(
        legacy.codes,
        [Code::PlaceStranded],
        "cordoned node still fits; no pool replaces it"
    );
    assert_eq!(*legacy.fits_nodes, ["legacy-worker-1"]);

    let agent = find(&vs, "monitoring", "agent");
    assert_eq!(agent.codes, [Code::PlaceWildcardToleration]);

    assert_eq!(find(&vs, "kube-system", "kube-proxy").verdict, "ok");
    assert_eq!(
        find(&vs, "kube-system", "coredns").verdict,
        "ok",
        "node groups are updated in place"
    );
    assert_eq!(find(&vs, "default", "debug").verdict, "ok");
    let aws = find(&vs, "kube-system", "aws-node");
    assert_eq!(
        aws.codes,
        [Code::PlaceDaemonSetPool, Code::PlaceDaemonSetPool]
    );
    assert!(aws.findings.iter().all(|f| f.severity == Severity::Warning));
    assert_eq!(aws.fits_pools.len(), 1);
}

#[test]
fn node_fit_ignores_transient_and_startup_taints() {
    let s = placement_workshop();
    let vs = verdicts(&s, &Config::default());
    let nginx = find(&vs, "default", "nginx");
    assert!(
        nginx
            .fits_nodes
            .contains(&"ip-192-168-150-11.us-west-2.compute.internal".to_string()),
        "startup taint ignored"
    );
    let coredns = find(&vs, "kube-system", "coredns");
    assert!(
        coredns.fits_nodes.contains(&"legacy-worker-1".to_string()),
        "cordon taint ignored"
    );
}

#[test]
fn pods_on_old_pools_and_misfit_nodes() {
    let mut s = placement_workshop();
    // The Provisioner was migrated to the NodePool: nginx's pods still sit on its nodes.
    s.pools.retain(|p| p.pool.kind != PoolKind::Provisioner);
    let vs = verdicts(&s, &Config::default());
    let nginx = find(&vs, "default", "nginx");
    assert_eq!(nginx.codes, [Code::PlaceOtherPool]);
    assert_eq!(nginx.severity, Some(Severity::Info));
    assert!(nginx.findings[0].message.contains("provisioner/default"));

    // The template changed to a label the running pods' nodes do not carry.
    for w in &mut s.workloads {
        if w.name == "nginx" {
            w.placement
                .node_selector
                .insert("node-type".into(), "batch".into());
        }
    }
    let vs = verdicts(&s, &Config::default());
    let nginx = find(&vs, "default", "nginx");
    assert_eq!(
        nginx.codes,
        [Code::PlaceUnschedulable, Code::PlaceNoLongerFits]
    );
    assert!(
        nginx.findings[1]
            .message
            .contains("nginx-6b7f-0, nginx-6b7f-1 on ip-192-168-101-21")
    );
}

#[test]
fn suppressions_and_policies() {
    let mut s = placement_workshop();
    for w in &mut s.workloads {
        if w.name == "agent" {
            w.annotations.insert(
                IGNORE_ANNOTATION.into(),
                "KUP-PLACE-009, kup-place-004".into(),
            );
        }
    }
    let config: Config = serde_json::from_value(serde_json::json!({
        "ignore": [{"namespace": "default", "code": "KUP-PLACE-003"}, {"name": "aws-node"}],
        "policies": [{"namespace": "default", "pool": "nodepool/default"}]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let vs = verdicts(&s, &config);
    assert_eq!(find(&vs, "monitoring", "agent").verdict, "ok");
    assert_eq!(find(&vs, "kube-system", "aws-node").verdict, "ok");
    let tolerant = find(&vs, "default", "tolerant-app");
    assert_eq!(
        tolerant.codes,
        [Code::PlacePolicy],
        "003 ignored, the policy still applies"
    );
    let nginx = find(&vs, "default", "nginx");
    assert_eq!(nginx.codes, [Code::PlacePolicy]);
    assert!(
        nginx.findings[0]
            .message
            .contains("may land on provisioner/default")
    );
    assert!(
        nginx.findings[0]
            .message
            .contains("pods run on ip-192-168-101-21")
    );

    let bad: Result<Config, _> =
        serde_json::from_value(serde_json::json!({"ignore": [{"code": "KUP-NOPE-1"}]}));
    assert!(bad.is_err());
    let typo: Result<Config, _> = serde_json::from_value(serde_json::json!({"ignores": []}));
    assert!(typo.is_err());
}

#[test]
fn config_parses_from_yaml() {
    let yaml = "ignore:\n  - namespace: kube-system\n    code: KUP-PLACE-004\npolicies:\n  - namespace: payments\n    pool: applications\n";
    let c: Config = serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.ignore[0].code, Some(Code::PlaceWildcardToleration));
    assert_eq!(c.policies[0].pool.to_string(), "applications");
}

#[test]
fn findings_flatten_verdicts() {
    let s = placement_workshop();
    let f = placement_findings(&s, &v("1.25"), &Config::default());
    let errors = f.iter().filter(|f| f.severity == Severity::Error).count();
    assert_eq!(errors, 2, "{f:#?}");
    assert!(
        f.iter()
            .all(|f| !f.remedy.is_empty() && !f.message.is_empty())
    );
}

#[test]
fn daemonset_excluded_by_its_selector_is_info() {
    let mut s = placement_workshop();
    s.workloads.push(workload(
        WorkloadKind::DaemonSet,
        "kube-system",
        "gpu-driver",
        None,
        placement(&[("node-type", "applications")], vec![], vec![app_tol()]),
    ));
    let vs = verdicts(&s, &Config::default());
    let ds = find(&vs, "kube-system", "gpu-driver");
    assert_eq!(ds.codes, [Code::PlaceDaemonSetPool]);
    assert_eq!(ds.severity, Some(Severity::Info));
}

#[test]
fn empty_cluster_is_unschedulable_not_a_panic() {
    let mut s = Snapshot::default();
    s.workloads.push(workload(
        WorkloadKind::Deployment,
        "a",
        "b",
        Some(1),
        Placement::default(),
    ));
    let vs = verdicts(&s, &Config::default());
    assert_eq!(vs[0].codes, [Code::PlaceUnschedulable]);
}

#[test]
fn selecting_a_tainted_pool_that_also_exists_untainted_is_a_warning() {
    let mut s = placement_workshop();
    // A second, untainted pool with the same label: second-app lands there instead.
    s.pools.push(pool(
        PoolKind::NodePool,
        "open",
        &[("node-type", "applications")],
        vec![taint("soft", None, "PreferNoSchedule")],
        vec![],
    ));
    let vs = verdicts(&s, &Config::default());
    let second = find(&vs, "default", "second-app");
    assert_eq!(second.codes, [Code::PlaceMissingToleration]);
    assert_eq!(second.severity, Some(Severity::Warning));
    assert_eq!(second.verdict, "no toleration for its pool");
    assert!(
        second.findings[0]
            .message
            .contains("land on nodepool/open instead")
    );
    assert_eq!(
        second.fits_pools.len(),
        1,
        "PreferNoSchedule needs no toleration"
    );
}

#[test]
fn toleration_remedy_uses_equal_for_valued_taints() {
    let t = taint("dedicated", Some("gpu"), "NoExecute");
    assert_eq!(
        toleration_yaml(&[&t]),
        "tolerations:\n  - key: \"dedicated\"\n    operator: \"Equal\"\n    value: \"gpu\"\n    effect: \"NoExecute\"\n"
    );
    let yaml = toleration_yaml(&[&t]);
    let parsed: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap_or_default();
    assert_eq!(
        parsed["tolerations"][0]["value"], "gpu",
        "the remedy is valid YAML"
    );
}

#[test]
fn findings_alone_come_in_verdict_order_and_equal_placements_share_node_lists() {
    let mut s = placement_workshop();
    // Copies of existing workloads under new names: same placement, judged once.
    let copies: Vec<Workload> = s
        .workloads
        .iter()
        .filter(|w| w.owner.is_none())
        .map(|w| {
            let mut c = w.clone();
            c.name = format!("{}-copy", w.name);
            c
        })
        .collect();
    s.workloads.extend(copies);
    let config: Config = serde_json::from_value(serde_json::json!({
        "policies": [{"namespace": "default", "pool": "nodepool/default"}]
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let vs = verdicts(&s, &config);
    let from_verdicts: Vec<Finding> = vs.iter().flat_map(|v| v.findings.clone()).collect();
    assert!(!from_verdicts.is_empty());
    assert_eq!(placement_findings(&s, &v("1.25"), &config), from_verdicts);
    let mut shared = 0;
    for v in vs.iter().filter(|v| v.name.ends_with("-copy")) {
        let original = find(&vs, &v.namespace, v.name.trim_end_matches("-copy"));
        assert_eq!(v.fits_nodes, original.fits_nodes);
        assert_eq!(v.fits_pools, original.fits_pools);
        assert_eq!(v.codes, original.codes);
        shared += usize::from(std::sync::Arc::ptr_eq(&v.fits_nodes, &original.fits_nodes));
    }
    assert!(shared > 0);
    // Sorted, as the JSON promises.
    for v in &vs {
        assert!(v.fits_nodes.windows(2).all(|w| w[0] <= w[1]), "{}", v.name);
    }
}
