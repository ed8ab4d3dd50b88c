//! `kup fleet` end to end: one kubeconfig with four contexts — three kup-sim clusters at
//! different versions (1.25, 1.26, 1.33) and one that nothing listens on.

mod common;

use common::{Run, Sim, SimSpec, kup_with_kubeconfig};
use serde_json::Value;
use std::path::PathBuf;

struct Fleet {
    sims: Vec<(&'static str, Sim)>,
    dir: tempfile::TempDir,
}

const DOWN: &str = "d-down";

impl Fleet {
    fn start() -> Fleet {
        let workshop = kup_sim::scenario::builtin("workshop").unwrap();
        // The workshop one minor later, under its own name: its 1.24 kubelets lag two minors.
        let at_126 = workshop
            .replace("v1.25.16-eks-3025e55", "v1.26.15-eks-b7f8b9c")
            .replace("eks-upgrades-workshop", "fleet-126");
        let sims = vec![
            ("a-workshop", Sim::builtin("workshop")),
            (
                "b-126",
                Sim::start(SimSpec {
                    yaml: Some(&at_126),
                    ..Default::default()
                }),
            ),
            ("c-karpenter", Sim::builtin("karpenter-v1")),
        ];
        Fleet {
            sims,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A kubeconfig with the sims' contexts (their kubeconfig clusters named by EKS ARN, as
    /// `aws eks update-kubeconfig` writes them) and, with `down`, one nothing listens on.
    fn kubeconfig(&self, down: bool) -> PathBuf {
        let mut clusters = String::new();
        let mut contexts = String::new();
        let mut entries: Vec<(String, String)> = self
            .sims
            .iter()
            .map(|(name, sim)| (name.to_string(), sim.handle.as_ref().unwrap().cluster_arn()))
            .collect();
        let mut urls: Vec<String> = self.sims.iter().map(|(_, s)| s.url.clone()).collect();
        if down {
            // Port 1 on loopback: connection refused at once.
            entries.push((
                DOWN.into(),
                "arn:aws:eks:eu-west-1:111122223333:cluster/down".into(),
            ));
            urls.push("http://127.0.0.1:1".into());
        }
        for ((context, arn), url) in entries.iter().zip(&urls) {
            clusters.push_str(&format!(
                "- name: \"{arn}\"\n  cluster:\n    server: {url}\n"
            ));
            contexts.push_str(&format!(
                "- name: {context}\n  context:\n    cluster: \"{arn}\"\n    user: sim\n"
            ));
        }
        let yaml = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}\
             current-context: a-workshop\nusers:\n- name: sim\n  user: {{}}\n"
        );
        let path = self.dir.path().join(if down { "with-down" } else { "up" });
        std::fs::write(&path, yaml).unwrap();
        path
    }
}

fn rows(run: &Run) -> Vec<Value> {
    let doc = run.json();
    assert_eq!(doc["kind"], "FleetReport", "{run:?}");
    doc["clusters"].as_array().unwrap().clone()
}

fn contexts(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["context"].as_str().unwrap())
        .collect()
}

#[test]
fn four_contexts_one_unreachable_give_four_rows_and_exit_3() {
    let fleet = Fleet::start();
    let kc = fleet.kubeconfig(true);

    let run = kup_with_kubeconfig(&kc, &["fleet", "-o", "json"]);
    assert_eq!(run.code, 3, "a cluster could not be read: {run:?}");
    let rows = rows(&run);
    assert_eq!(rows.len(), 4, "{run:?}");
    // The unreadable cluster first (most urgent: its state is unknown), with its error.
    assert_eq!(rows[0]["context"], DOWN, "{run:?}");
    let error = rows[0]["error"].as_str().unwrap();
    assert!(
        error.contains("127.0.0.1:1"),
        "the error names the server: {error}"
    );
    let mut versions: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| {
            assert!(r["error"].is_null(), "{r}");
            (
                r["context"].as_str().unwrap(),
                r["version"].as_str().unwrap(),
            )
        })
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        [
            ("a-workshop", "1.25.16"),
            ("b-126", "1.26.15"),
            ("c-karpenter", "1.33.5")
        ]
    );
    // Each row is that cluster's own `kup check`: the same counts and target.
    for row in &rows[1..] {
        let context = row["context"].as_str().unwrap();
        let check = kup_with_kubeconfig(&kc, &["check", "--context", context, "-o", "json"]).json();
        assert_eq!(row["errors"], check["summary"]["error"], "{context}");
        assert_eq!(row["warnings"], check["summary"]["warning"], "{context}");
        assert_eq!(row["target"], check["target"], "{context}");
        assert_eq!(row["nodes"], check["skew"]["target"]["nodes"], "{context}");
        // The EKS cluster name comes from the context's ARN, as `kup check` derives it.
        assert!(
            row["cluster"].as_str().is_some_and(|c| !c.is_empty()),
            "{row}"
        );
    }
    let errors = |r: &Value| r["errors"].as_u64().unwrap();
    assert!(
        rows[1..].windows(2).all(|w| errors(&w[0]) >= errors(&w[1])),
        "most errors first: {rows:?}"
    );

    // The table: a row each, the unreachable one with its error.
    let table = kup_with_kubeconfig(&kc, &["fleet"]);
    assert_eq!(table.code, 3, "{table:?}");
    for header in [
        "CONTEXT",
        "CLUSTER",
        "VERSION",
        "EKS SUPPORT",
        "NODES BEHIND",
        "TOP BLOCKER",
    ] {
        assert!(table.stdout.contains(header), "{table:?}");
    }
    assert!(table.stdout.contains("cannot read:"), "{table:?}");
    assert!(
        table.stdout.contains("4 clusters: 1 unreadable"),
        "{table:?}"
    );
    assert!(
        table.stderr.is_empty() || !table.stderr.contains("clusters read"),
        "no progress line without a terminal: {table:?}"
    );

    // With AWS pointed at the workshop's sim, its row has EKS's support window; the other
    // clusters' EKS reads fail there (not found) and their rows stand without it.
    let (_, workshop) = &fleet.sims[0];
    let kc_arg = kc.to_str().unwrap();
    let eks = workshop.kup_env(
        &["--kubeconfig", kc_arg, "fleet", "-o", "json"],
        &workshop.eks_env(),
    );
    assert_eq!(eks.code, 3, "{eks:?}");
    let with_eks = eks.json()["clusters"].as_array().unwrap().clone();
    let a = with_eks
        .iter()
        .find(|r| r["context"] == "a-workshop")
        .unwrap();
    assert_eq!(a["cluster"], "eks-upgrades-workshop", "{a}");
    assert!(a["eksSupport"]["endOfStandardSupport"].is_string(), "{a}");
    let b = with_eks.iter().find(|r| r["context"] == "b-126").unwrap();
    assert!(b["eksSupport"].is_null() && b["error"].is_null(), "{b}");

    // JUnit: a suite per cluster, the unreachable one in error, valid for the reporters.
    let junit = kup_with_kubeconfig(&kc, &["fleet", "-o", "junit"]);
    assert_eq!(junit.code, 3, "{junit:?}");
    common::xmllint::validate(&junit.stdout).unwrap_or_else(|e| panic!("{e}\n{}", junit.stdout));
    assert_eq!(junit.stdout.matches("<testsuite ").count(), 4, "{junit:?}");
    assert!(
        junit
            .stdout
            .contains(&format!("<testsuite name=\"{DOWN}\"")),
        "{junit:?}"
    );
    assert!(
        junit.stdout.contains("<error type=\"unreadable\""),
        "{junit:?}"
    );
}

#[test]
fn without_the_unreachable_context_the_exit_code_is_the_findings() {
    let fleet = Fleet::start();
    let kc = fleet.kubeconfig(true);
    let up = fleet.kubeconfig(false);
    // The worst of the three clusters' own `kup check` exit codes.
    let worst = |fail_on: &str| {
        ["a-workshop", "b-126", "c-karpenter"]
            .iter()
            .map(|c| {
                kup_with_kubeconfig(&up, &["check", "--context", c, "--fail-on", fail_on]).code
            })
            .max()
            .unwrap()
    };
    for fail_on in ["error", "warning", "never"] {
        let expected = worst(fail_on);
        assert!(expected <= 1, "the clusters are readable: {expected}");
        let by_name = kup_with_kubeconfig(
            &kc,
            &[
                "fleet",
                "--contexts",
                "a-workshop,b-126,c-karpenter",
                "--fail-on",
                fail_on,
                "-o",
                "json",
            ],
        );
        assert_eq!(by_name.code, expected, "--fail-on {fail_on}: {by_name:?}");
        assert_eq!(rows(&by_name).len(), 3);
        let by_match = kup_with_kubeconfig(
            &kc,
            &[
                "fleet",
                "--match",
                "^[abc]-",
                "--fail-on",
                fail_on,
                "--parallel",
                "1",
                "-o",
                "json",
            ],
        );
        assert_eq!(by_match.code, expected, "{by_match:?}");
        let mut a = contexts(&rows(&by_name))
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let mut b = contexts(&rows(&by_match))
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
    // The lagging kubelets are warnings.
    assert_eq!(worst("warning"), 1);

    // `--target +1`: each cluster's next minor.
    let next = kup_with_kubeconfig(&up, &["fleet", "--target", "+1", "-o", "json"]);
    let mut targets: Vec<(String, String)> = rows(&next)
        .iter()
        .map(|r| {
            (
                r["context"].as_str().unwrap().to_string(),
                r["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            ("a-workshop".to_string(), "1.26".to_string()),
            ("b-126".to_string(), "1.27".to_string()),
            ("c-karpenter".to_string(), "1.34".to_string())
        ],
        "{next:?}"
    );
    assert_eq!(next.json()["target"], "+1");

    // Bad selections are usage errors (exit 2) that name what is known.
    let unknown = kup_with_kubeconfig(&up, &["fleet", "--contexts", "a-workshop,nope"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("nope") && unknown.stderr.contains("b-126"),
        "{unknown:?}"
    );
    let none = kup_with_kubeconfig(&up, &["fleet", "--match", "^zzz"]);
    assert_eq!(none.code, 2, "{none:?}");
    let one = kup_with_kubeconfig(&up, &["fleet", "--context", "a-workshop"]);
    assert_eq!(one.code, 2, "{one:?}");
    let regex = kup_with_kubeconfig(&up, &["fleet", "--match", "(["]);
    assert_eq!(regex.code, 2, "{regex:?}");
}

#[test]
fn a_cluster_past_its_timeout_is_a_row_that_says_so() {
    let fleet = Fleet::start();
    let up = fleet.kubeconfig(false);
    // Every request to b-126 hangs longer than --timeout.
    let (_, slow) = &fleet.sims[1];
    slow.set_faults(kup_sim::scenario::FaultConfig {
        latency: std::time::Duration::from_secs(5),
        ..Default::default()
    });
    let run = kup_with_kubeconfig(&up, &["fleet", "--timeout", "1s", "-o", "json"]);
    assert_eq!(run.code, 3, "{run:?}");
    let rows = rows(&run);
    assert_eq!(rows[0]["context"], "b-126", "{run:?}");
    assert!(
        rows[0]["error"]
            .as_str()
            .unwrap()
            .contains("timed out after 1s"),
        "{run:?}"
    );
    assert!(rows[1..].iter().all(|r| r["error"].is_null()), "{run:?}");
}
