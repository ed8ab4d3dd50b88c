//! `kup check`'s EKS section end to end: kup (aws-sdk-eks, aws-config's chain) against kup-sim's
//! EKS endpoint (`AWS_ENDPOINT_URL`), and what happens without credentials, for an unknown
//! cluster, on throttling and on 403.

mod common;

use common::Sim;
use serde_json::Value;

fn codes_of(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| {
                    format!(
                        "{} {}",
                        f["code"].as_str().unwrap_or("?"),
                        f["subject"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn eks_ops(sim: &Sim) -> Value {
    sim.stats()["eks"]["by_operation"].clone()
}

/// 403 from EKS: exit 3, naming the credentials used.
fn assert_denied(run: &common::Run, credentials: &str) {
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("AccessDeniedException"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("credentials: {credentials}")),
        "{}",
        run.stderr
    );
}

/// The sim's kubeconfig with no EKS ARN in it (a context named `plain-...`).
fn plain_kubeconfig(sim: &Sim) -> std::path::PathBuf {
    let text = std::fs::read_to_string(&sim.kubeconfig)
        .unwrap()
        .replace("arn:aws:eks:us-east-1:", "plain-");
    let plain = sim.dir.path().join("plain-kubeconfig");
    std::fs::write(&plain, text).unwrap();
    plain
}

/// The workshop's cluster, left alone for three years: its clock pinned past the end of 1.25's
/// extended support (2025-05-01) and of 1.26's (2025-06-11), before 1.31's (2026-11-26).
const THREE_YEARS_ON: &str = "2026-11-01T09:00:00Z";

#[test]
fn check_shows_what_eks_says() {
    let sim = Sim::start(common::SimSpec {
        builtin: Some("workshop"),
        now: Some(THREE_YEARS_ON),
        ..Default::default()
    });
    let run = sim.kup_eks(&["check", "-o", "json", "--target", "1.26"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let eks = &r["eks"];
    assert_eq!(eks["status"], "read", "{eks:#}");
    assert_eq!(eks["cluster"]["name"], "eks-upgrades-workshop");
    assert_eq!(eks["cluster"]["region"], "us-east-1");
    assert_eq!(eks["cluster"]["version"], "1.25");
    assert_eq!(eks["cluster"]["status"], "ACTIVE");
    assert!(eks["cluster"]["platformVersion"].is_string(), "{eks:#}");
    // Support dates from DescribeClusterVersions, not from a list in kup.
    let versions = eks["versions"].as_array().expect("versions");
    let v125 = versions
        .iter()
        .find(|v| v["version"] == "1.25")
        .expect("1.25 listed");
    assert_eq!(v125["endOfStandardSupport"], "2024-05-01", "{v125:#}");
    assert!(versions.iter().any(|v| v["version"] == "1.26"));
    // The managed node group, its version and update config.
    let groups = eks["nodeGroups"].as_array().expect("nodeGroups");
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(groups[0]["version"], "1.24");
    assert_eq!(groups[0]["status"], "ACTIVE");
    assert!(
        groups[0]["maxUnavailable"].as_i64().is_some(),
        "{:#}",
        groups[0]
    );
    // Insights, with the kubelet skew one not passing.
    let insights = eks["insights"].as_array().expect("insights");
    assert!(
        insights
            .iter()
            .any(|i| i["name"] == "Kubelet version skew" && i["status"] != "PASSING"),
        "{insights:#?}"
    );
    let codes = codes_of(&r);
    let group = groups[0]["name"].as_str().unwrap();
    assert!(
        codes.contains(&format!("KUP-SKEW-007 nodegroup/{group}")),
        "{codes:#?}"
    );
    // 1.25 is past the end of EKS extended support on the pinned day.
    assert!(
        codes.contains(&"KUP-EKS-004 eks/eks-upgrades-workshop".to_string()),
        "{codes:#?}"
    );
    assert!(
        codes.iter().any(|c| c.starts_with("KUP-EKS-007 insight/")),
        "{codes:#?}"
    );
    // 1.26 is out of support too: EKS no longer offers it.
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "KUP-EKS-005")
        .expect("KUP-EKS-005");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("no longer supports version 1.26 (EKS offers 1.31, 1.32"),
        "{f:#}"
    );
    assert_eq!(
        r["upgrade"]["blockedByNodeGroups"],
        serde_json::json!([group])
    );
    // Every call kup makes, once each (DescribeInsight for the insights not passing).
    let ops = eks_ops(&sim);
    for op in [
        "DescribeCluster",
        "DescribeClusterVersions",
        "ListNodegroups",
        "DescribeNodegroup",
        "ListInsights",
        "DescribeInsight",
    ] {
        assert!(ops[op].as_u64().unwrap_or(0) >= 1, "{op}: {ops:#}");
    }
    assert_eq!(ops["DescribeCluster"], 1, "{ops:#}");

    // The human report: the EKS lines and the node-group table.
    let run = sim.kup_eks(&["check", "--target", "1.26"]);
    assert!(
        run.stdout
            .contains("cluster eks-upgrades-workshop in us-east-1 (1.25"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("EKS support:"), "{}", run.stdout);
    assert!(run.stdout.contains("NODE GROUP"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("{group} ")), "{}", run.stdout);
}

/// On the workshop's own day (its scenario pins 2023-12-01), 1.25 is in standard support until
/// 2024-05-01 (more than 90 days ahead: no warning) and EKS offers 1.26: nothing about support.
#[test]
fn check_on_the_workshop_day_finds_nothing_about_support() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup_eks(&["check", "-o", "json", "--target", "1.26"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let v125 = r["eks"]["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["version"] == "1.25").cloned())
        .expect("1.25 listed");
    assert_eq!(v125["status"], "STANDARD_SUPPORT", "{v125:#}");
    let codes = codes_of(&r);
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("KUP-EKS-00") && !c.starts_with("KUP-EKS-007")),
        "{codes:#?}"
    );
    // What still blocks is the node group, not the calendar.
    assert!(
        codes.contains(&"KUP-SKEW-007 nodegroup/mng-system".to_string()),
        "{codes:#?}"
    );
    let run = sim.kup_eks(&["check", "--target", "1.26"]);
    assert!(
        run.stdout
            .contains("EKS offers 1.23, 1.24, 1.25, 1.26, 1.27, 1.28"),
        "{}",
        run.stdout
    );
}

#[test]
fn without_credentials_the_section_is_skipped_and_the_rest_stands() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup(&["check", "-o", "json"]);
    let r = run.json();
    assert_eq!(r["eks"]["status"], "skipped", "{:#}", r["eks"]);
    let reason = r["eks"]["reason"].as_str().unwrap();
    assert!(reason.contains("DescribeCluster"), "{reason}");
    assert!(reason.contains("us-east-1"), "{reason}");
    assert!(reason.contains("no AWS credentials found"), "{reason}");
    assert!(reason.contains("pass --cluster"), "{reason}");
    // The Kubernetes part is all there.
    assert!(!codes_of(&r).is_empty());
    assert_eq!(sim.stats()["eks"]["total"], 0);

    // Named with --cluster, the same failure is an error: exit 3, naming call, region and
    // credential source.
    let run = sim.kup(&["check", "--cluster", "eks-upgrades-workshop"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for part in [
        "EKS DescribeCluster for cluster \"eks-upgrades-workshop\" in us-east-1 failed",
        "credentials: the default chain",
    ] {
        assert!(run.stderr.contains(part), "{part}: {}", run.stderr);
    }
}

#[test]
fn unknown_cluster_exits_3_naming_it() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup_eks(&["check", "--cluster", "nope"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("EKS cluster \"nope\" not found in us-east-1 (DescribeCluster: No cluster found for name: nope.)"),
        "{}",
        run.stderr
    );
}

#[test]
fn region_comes_from_the_flag_before_the_arn_and_is_required() {
    let sim = Sim::builtin("workshop");
    let run = sim.kup_eks(&["check", "-o", "json", "--region", "eu-central-1"]);
    assert_eq!(run.json()["eks"]["cluster"]["region"], "eu-central-1");

    // A kubeconfig with no EKS ARN: the cluster comes from --cluster, the region from
    // AWS_REGION, or nowhere (exit 3, saying what to set).
    let plain = plain_kubeconfig(&sim);
    let plain = plain.to_str().unwrap();
    let mut env = sim.eks_env();
    let run = sim.kup_env(
        &[
            "--kubeconfig",
            plain,
            "check",
            "--cluster",
            "eks-upgrades-workshop",
        ],
        &env,
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "no AWS region for EKS cluster \"eks-upgrades-workshop\": pass --region, set AWS_REGION"
        ),
        "{}",
        run.stderr
    );
    env.push(("AWS_REGION".into(), "ap-south-1".into()));
    let run = sim.kup_env(
        &[
            "--kubeconfig",
            plain,
            "check",
            "-o",
            "json",
            "--cluster",
            "eks-upgrades-workshop",
        ],
        &env,
    );
    assert_eq!(
        run.json()["eks"]["cluster"]["region"],
        "ap-south-1",
        "{}",
        run.stderr
    );
    // Without --cluster, such a context has no EKS cluster at all.
    let run = sim.kup_env(&["--kubeconfig", plain, "check", "-o", "json"], &env);
    let reason = run.json()["eks"]["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("names no EKS cluster"), "{reason}");
}

#[test]
fn the_arn_region_beats_aws_region_and_a_profile_is_used_when_asked_for() {
    let sim = Sim::builtin("workshop");
    let mut env = sim.eks_env();
    env.push(("AWS_REGION".into(), "ap-south-1".into()));
    let run = sim.kup_env(&["check", "-o", "json"], &env);
    assert_eq!(
        run.json()["eks"]["cluster"]["region"],
        "us-east-1",
        "{}",
        run.stderr
    );

    // A profile with its own keys and region: --profile wins over the keys in the
    // environment (as with the AWS CLI), and gives the region when nothing else does.
    let config = sim.dir.path().join("aws-config");
    std::fs::write(
        &config,
        "[profile denied]\nregion = eu-west-3\naws_access_key_id = AKIANOACCESS\n\
         aws_secret_access_key = x\n\n[profile ops]\nregion = eu-west-3\n\
         aws_access_key_id = AKIAOPS\naws_secret_access_key = x\n",
    )
    .unwrap();
    let mut env = sim.eks_env();
    env.push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    let run = sim.kup_env(
        &[
            "check",
            "--cluster",
            "eks-upgrades-workshop",
            "--profile",
            "denied",
        ],
        &env,
    );
    assert_denied(&run, "profile \"denied\" (--profile)");
    let plain = plain_kubeconfig(&sim);
    let run = sim.kup_env(
        &[
            "--kubeconfig",
            plain.to_str().unwrap(),
            "check",
            "-o",
            "json",
            "--cluster",
            "eks-upgrades-workshop",
            "--profile",
            "ops",
        ],
        &env,
    );
    assert_eq!(
        run.json()["eks"]["cluster"]["region"],
        "eu-west-3",
        "{}",
        run.stderr
    );
}

#[test]
fn throttling_is_retried_and_403_is_an_error() {
    let sim = Sim::builtin("workshop");
    sim.set_faults(kup_sim::scenario::FaultConfig {
        eks_fail_next: 3,
        eks_fail_next_code: 429,
        ..Default::default()
    });
    let run = sim.kup_eks(&["check", "-o", "json", "--cluster", "eks-upgrades-workshop"]);
    assert_eq!(run.json()["eks"]["status"], "read", "{}", run.stderr);
    assert!(
        run.json()["eks"].get("unavailable").is_none(),
        "{:#}",
        run.json()["eks"]
    );

    sim.set_faults(kup_sim::scenario::FaultConfig {
        eks_fail_next: 1000,
        eks_fail_next_code: 429,
        ..Default::default()
    });
    // AWS_MAX_ATTEMPTS is honoured (kup's own default is 6): a shorter test.
    let mut env = sim.eks_env();
    env.push(("AWS_MAX_ATTEMPTS".into(), "2".into()));
    let run = sim.kup_env(&["check", "--cluster", "eks-upgrades-workshop"], &env);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("ThrottlingException"), "{}", run.stderr);
    sim.set_faults(Default::default());

    let mut env = sim.eks_env();
    env.retain(|(k, _)| k != "AWS_ACCESS_KEY_ID");
    env.push(("AWS_ACCESS_KEY_ID".into(), "AKIANOACCESS".into()));
    let run = sim.kup_env(&["check", "--cluster", "eks-upgrades-workshop"], &env);
    assert_denied(&run, "environment (AWS_ACCESS_KEY_ID)");
}
