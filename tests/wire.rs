//! Issue 18 end to end: the same cluster read as protobuf or JSON, one list at a time or
//! namespace-sharded, gives the same reports; a proxy refusing protobuf, a corrupt page and an
//! expired continue token are handled as documented.

mod common;

use common::{Run, Sim, SimSpec};
use kup_sim::scenario::FaultConfig;

/// Several namespaces (team-0.., kube-system with 2 DaemonSet pods a node: 600, two pages),
/// PDBs, every pool kind, three kubelet minors.
const CLUSTER: &str =
    "nodes=300,pods=6000,deployments=60,pools=4,daemonsets=2,versions=3,pdbs=true";

/// The sim clock all but stopped, so that ages read the same in every run compared.
const FROZEN: &str = "timing:\n  speed: 0.000000001\n";

fn sim() -> Sim {
    Sim::start(SimSpec {
        yaml: Some(FROZEN),
        generate: Some(CLUSTER),
        ..Default::default()
    })
}

fn reset(sim: &Sim) {
    let (code, body) = common::http_request(&sim.url, "POST", "/sim/stats/reset", "", "");
    assert!(code < 300, "{body}");
}

fn lists(stats: &serde_json::Value, resource: &str) -> u64 {
    stats["requests"]["by_verb_resource"][format!("list {resource}")]
        .as_u64()
        .unwrap_or(0)
}

/// Answers kup-sim sent as Kubernetes protobuf.
fn protobuf_answers(stats: &serde_json::Value) -> u64 {
    stats["requests"]["by_content_type"]["application/vnd.kubernetes.protobuf"]
        .as_u64()
        .unwrap_or(0)
}

fn run(sim: &Sim, cmd: &[&str], wire: &str, concurrency: &str) -> Run {
    let mut args = cmd.to_vec();
    args.extend(["--wire", wire, "--list-concurrency", concurrency]);
    sim.kup(&args)
}

#[test]
fn every_wire_and_concurrency_gives_the_same_reports() {
    let sim = sim();
    let commands: &[&[&str]] = &[
        &["drift"],
        &["drift", "-o", "json"],
        &["check", "--target", "1.26"],
        &["check", "--target", "1.26", "-o", "json"],
        &["workloads"],
        &["workloads", "-o", "yaml"],
        &["rotate", "--dry-run", "-o", "json"],
    ];
    for cmd in commands {
        reset(&sim);
        let base = run(&sim, cmd, "json", "1");
        let stats = sim.stats();
        assert_eq!(protobuf_answers(&stats), 0, "{cmd:?} --wire json");
        assert_eq!(lists(&stats, "namespaces"), 0, "{cmd:?} unsharded");
        assert!(base.code == 0 || base.code == 1, "{cmd:?}: {base:?}");
        assert!(base.stdout.len() > 200, "{cmd:?}: {base:?}");
        for (wire, concurrency) in [
            ("json", "4"),
            ("protobuf", "1"),
            ("protobuf", "4"),
            ("auto", "4"),
        ] {
            reset(&sim);
            let other = run(&sim, cmd, wire, concurrency);
            assert_eq!(
                other.code, base.code,
                "{cmd:?} {wire} {concurrency}: {other:?}"
            );
            assert!(
                other.stdout == base.stdout,
                "{cmd:?} --wire {wire} --list-concurrency {concurrency} differs from json/1:\n{}",
                first_difference(&base.stdout, &other.stdout)
            );
            let stats = sim.stats();
            if wire == "json" {
                assert_eq!(protobuf_answers(&stats), 0, "{cmd:?} {wire}");
            } else {
                assert!(protobuf_answers(&stats) > 0, "{cmd:?} {wire}: {stats}");
            }
            if concurrency == "4" && lists(&stats, "pods") > 0 {
                // Pods by namespace: one namespace list, then a list per namespace.
                assert_eq!(lists(&stats, "namespaces"), 1, "{cmd:?}: {stats}");
                assert!(lists(&stats, "pods") >= 20, "{cmd:?}: {stats}");
            }
        }
    }
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n- {x}\n+ {y}", i + 1);
        }
    }
    format!("lengths {} and {}", a.len(), b.len())
}

#[test]
fn sharding_costs_at_most_one_request_per_namespace() {
    let sim = sim();
    reset(&sim);
    let one = run(&sim, &["check", "-o", "json"], "auto", "1");
    let unsharded = sim.stats()["requests"]["total"].as_u64().unwrap();
    reset(&sim);
    let four = run(&sim, &["check", "-o", "json"], "auto", "4");
    assert_eq!(one.stdout, four.stdout);
    let stats = sim.stats();
    let sharded = stats["requests"]["total"].as_u64().unwrap();
    let (code, body) = common::http_request(&sim.url, "GET", "/sim/objects", "", "");
    assert_eq!(code, 200, "{body}");
    let counts: serde_json::Value = serde_json::from_str(&body).unwrap();
    let namespaces = counts["namespaces"].as_u64().unwrap();
    assert!(namespaces >= 20, "{counts}");
    // The namespace list itself, and each namespace's last (partial) page.
    assert!(
        sharded <= unsharded + 1 + namespaces,
        "{sharded} requests sharded, {unsharded} unsharded, {namespaces} namespaces: {stats}"
    );
    assert!(
        sharded > unsharded,
        "the pods were listed per namespace: {stats}"
    );
}

#[test]
fn a_proxy_refusing_protobuf_falls_back_to_json_under_auto_only() {
    for status in [406u16, 415] {
        let sim = sim();
        let base = run(&sim, &["check", "-o", "json"], "json", "4");
        assert!(base.code == 0 || base.code == 1, "{base:?}");
        sim.set_faults(FaultConfig {
            protobuf_refuse: Some(status),
            ..Default::default()
        });
        reset(&sim);
        let auto = run(&sim, &["check", "-o", "json"], "auto", "4");
        assert_eq!(auto.code, base.code, "{status}: {auto:?}");
        assert_eq!(auto.stdout, base.stdout, "{status}");
        let stats = sim.stats();
        assert_eq!(protobuf_answers(&stats), 0, "{stats}");
        // kup learns it once: the lists that asked for protobuf before the first refusal came
        // back (at most --list-concurrency of them, and their next pages) ask again in JSON.
        reset(&sim);
        run(&sim, &["check", "-o", "json"], "json", "4");
        let json_only = sim.stats()["requests"]["total"].as_u64().unwrap();
        let refused = stats["requests"]["total"].as_u64().unwrap() - json_only;
        assert!(
            (1..=8).contains(&refused),
            "{status}: {refused} refusals: {stats}"
        );

        let forced = run(&sim, &["check", "-o", "json"], "protobuf", "4");
        assert_eq!(forced.code, 3, "{status}: {forced:?}");
        assert!(
            forced.stderr.contains("does not answer protobuf") && forced.stderr.contains("--wire"),
            "{forced:?}"
        );
    }
}

#[test]
fn a_corrupt_protobuf_page_is_an_error_naming_the_list() {
    let sim = sim();
    sim.set_faults(FaultConfig {
        corrupt_protobuf_pages: 1,
        ..Default::default()
    });
    let run = run(&sim, &["drift", "-o", "json"], "protobuf", "1");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains("cannot decode") && run.stderr.contains("protobuf"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("nodes") || run.stderr.contains("pods"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("panicked"), "{run:?}");
}

#[test]
fn an_expired_continue_token_restarts_only_its_shard() {
    let sim = sim();
    reset(&sim);
    let base = run(&sim, &["drift", "-o", "json"], "protobuf", "4");
    let pages = lists(&sim.stats(), "pods");
    sim.set_faults(FaultConfig {
        expire_next_continue: 1,
        ..Default::default()
    });
    reset(&sim);
    let again = run(&sim, &["drift", "-o", "json"], "protobuf", "4");
    assert_eq!(again.code, base.code, "{again:?}");
    assert_eq!(again.stdout, base.stdout);
    // kube-system's second page got 410: that shard starts over (its first page again, then
    // its second), the other namespaces are not listed again.
    let stats = sim.stats();
    assert_eq!(lists(&stats, "pods"), pages + 2, "{stats}");

    // Unsharded, the one cluster-wide list starts over from its first page.
    sim.set_faults(FaultConfig::default());
    reset(&sim);
    run(&sim, &["drift", "-o", "json"], "protobuf", "1");
    let whole = lists(&sim.stats(), "pods");
    sim.set_faults(FaultConfig {
        expire_next_continue: 1,
        ..Default::default()
    });
    reset(&sim);
    let again = run(&sim, &["drift", "-o", "json"], "protobuf", "1");
    assert_eq!(again.stdout, base.stdout);
    assert_eq!(
        lists(&sim.stats(), "pods"),
        whole + 2,
        "the first continue failed"
    );
}

#[test]
fn a_role_that_may_not_list_namespaces_gets_one_cluster_wide_pod_list() {
    let yaml = format!("{FROZEN}apiserver:\n  forbidden: [namespaces]\n");
    let sim = Sim::start(SimSpec {
        yaml: Some(&yaml),
        generate: Some(CLUSTER),
        ..Default::default()
    });
    reset(&sim);
    let one = run(&sim, &["check", "-o", "json"], "auto", "1");
    let unsharded = lists(&sim.stats(), "pods");
    reset(&sim);
    let four = run(&sim, &["check", "-o", "json"], "auto", "4");
    assert!(four.code == 0 || four.code == 1, "{four:?}");
    assert_eq!(four.stdout, one.stdout);
    let stats = sim.stats();
    assert_eq!(
        lists(&stats, "namespaces"),
        1,
        "the one refused try: {stats}"
    );
    assert_eq!(lists(&stats, "pods"), unsharded, "{stats}");
}
