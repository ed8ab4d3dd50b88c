//! `kup check`'s add-ons and AL2 findings end to end: kup (aws-sdk-eks) against kup-sim's EKS
//! add-on API and its kube-system workloads, over HTTP.

mod common;

use common::{Sim, SimSpec};
use serde_json::Value;

/// A 1.32 cluster on 2026-01-15, about to go to 1.33: an AL2 managed node group, and EKS
/// add-ons — vpc-cni too old for 1.33, coredns degraded, kube-proxy and the EBS CSI driver
/// behind 1.33's defaults.
const ADDONS_132: &str = r#"
cluster:
  name: addons
  region: us-east-1
  version: v1.32.9-eks-1a2b3c4
  now: 2026-01-15T09:00:00Z
eks:
  addons:
    - {name: vpc-cni, version: v1.18.3-eksbuild.2}
    - name: coredns
      status: DEGRADED
      issues:
        - code: InsufficientNumberOfReplicas
          message: The add-on is unhealthy because it doesn't have the desired number of replicas.
          resourceIds: [kube-system/coredns]
    - {name: kube-proxy, version: v1.32.0-eksbuild.2}
    - {name: aws-ebs-csi-driver, version: v1.35.0-eksbuild.1}
nodeGroups:
  - name: mng-al2
    version: "1.32"
    releaseVersion: 1.32.9-20251120
    amiType: AL2_x86_64
    instanceTypes: [m5.large]
    minSize: 2
    maxSize: 3
    desiredSize: 2
nodes:
  - {name: ip-10-0-1-10.ec2.internal, pool: mng-al2, kubeletVersion: v1.32.9-eks-1a2b3c4, zone: us-east-1a}
  - {name: ip-10-0-2-10.ec2.internal, pool: mng-al2, kubeletVersion: v1.32.9-eks-1a2b3c4, zone: us-east-1b}
"#;

fn codes_of(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
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
        .unwrap_or_default();
    v.sort();
    v
}

fn finding<'a>(report: &'a Value, code: &str, subject: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|f| f["code"] == code && f["subject"] == subject)
        })
        .unwrap_or_else(|| panic!("no {code} {subject}: {:#}", report["findings"]))
}

#[test]
fn addons_and_al2_against_1_33() {
    let sim = Sim::start(SimSpec {
        yaml: Some(ADDONS_132),
        ..Default::default()
    });
    let run = sim.kup_eks(&["check", "-o", "json", "--target", "1.33"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let codes: Vec<String> = codes_of(&r)
        .into_iter()
        .filter(|c| c.starts_with("KUP-ADDON") || c.starts_with("KUP-EKS-008"))
        .collect();
    assert_eq!(
        codes,
        [
            "KUP-ADDON-001 addon/vpc-cni",
            "KUP-ADDON-002 addon/aws-ebs-csi-driver",
            "KUP-ADDON-002 addon/kube-proxy",
            "KUP-ADDON-003 addon/coredns",
            "KUP-EKS-008 nodegroup/mng-al2",
        ],
        "{:#}",
        r["findings"]
    );
    // Incompatible: an error naming the add-on and 1.33's default, from DescribeAddonVersions.
    let f = finding(&r, "KUP-ADDON-001", "addon/vpc-cni");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("vpc-cni v1.18.3-eksbuild.2")
                && m.contains("default for 1.33 is v1.19.2-eksbuild.1")),
        "{f:#}"
    );
    // Behind the default: a warning; degraded: a warning with EKS's health issue.
    assert_eq!(
        finding(&r, "KUP-ADDON-002", "addon/aws-ebs-csi-driver")["severity"],
        "warning"
    );
    let d = finding(&r, "KUP-ADDON-003", "addon/coredns");
    assert_eq!(d["severity"], "warning");
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("DEGRADED") && m.contains("InsufficientNumberOfReplicas")),
        "{d:#}"
    );
    // AL2 at 1.33: the node group and its AL2023 replacement; its nodes are not repeated.
    let al2 = finding(&r, "KUP-EKS-008", "nodegroup/mng-al2");
    assert!(
        al2["remedy"]
            .as_str()
            .is_some_and(|m| m.contains("AL2023_x86_64_STANDARD")),
        "{al2:#}"
    );
    // The JSON carries the add-ons: EKS's view and the verdicts.
    let eks_addons = r["eks"]["addons"].as_array().expect("eks.addons");
    assert_eq!(eks_addons.len(), 4);
    let rows = r["addons"].as_array().expect("addons");
    let row = |name: &str| {
        rows.iter()
            .find(|a| a["name"] == name && a["managed"] == true)
            .unwrap_or_else(|| panic!("no row {name}: {rows:#?}"))
    };
    assert_eq!(row("vpc-cni")["verdict"], "incompatible");
    assert_eq!(row("vpc-cni")["targetDefault"], "v1.19.2-eksbuild.1");
    assert_eq!(row("coredns")["version"], "v1.11.4-eksbuild.2");
    assert_eq!(row("coredns")["status"], "DEGRADED");
    assert_eq!(row("kube-proxy")["verdict"], "behind");
    // Each call once per add-on (DescribeAddonVersions also for the core components).
    let ops = sim.stats()["eks"]["by_operation"].clone();
    assert_eq!(ops["ListAddons"], 1, "{ops:#}");
    assert_eq!(ops["DescribeAddon"], 4, "{ops:#}");
    assert_eq!(ops["DescribeAddonVersions"], 4, "{ops:#}");

    // At 1.32 (the control plane's own version): vpc-cni is compatible there, only behind;
    // no AL2 error.
    let run = sim.kup_eks(&["check", "-o", "json"]);
    let r = run.json();
    let codes: Vec<String> = codes_of(&r)
        .into_iter()
        .filter(|c| c.starts_with("KUP-ADDON") || c.starts_with("KUP-EKS-008"))
        .collect();
    assert_eq!(
        codes,
        [
            "KUP-ADDON-002 addon/aws-ebs-csi-driver",
            "KUP-ADDON-002 addon/vpc-cni",
            "KUP-ADDON-003 addon/coredns"
        ],
        "{:#}",
        r["findings"]
    );

    // The human report has the add-on table.
    let run = sim.kup_eks(&["check", "--target", "1.33"]);
    assert!(run.stdout.contains("DEFAULT AT 1.33"), "{}", run.stdout);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("vpc-cni ") && l.contains("incompatible")),
        "{}",
        run.stdout
    );
}

/// A 1.32 cluster whose kube-proxy runs as a plain DaemonSet at `tag`.
fn self_managed(tag: &str) -> String {
    format!(
        r#"
cluster:
  name: plain
  version: v1.32.9-eks-1a2b3c4
  now: 2026-01-15T09:00:00Z
nodeGroups:
  - {{name: mng, version: "1.32", releaseVersion: 1.32.9-20251120, amiType: AL2023_x86_64_STANDARD, instanceTypes: [m6i.large], minSize: 1, maxSize: 2, desiredSize: 1}}
nodes:
  - {{name: ip-10-0-1-10.ec2.internal, pool: mng, kubeletVersion: v1.32.9-eks-1a2b3c4}}
workloads:
  - kind: DaemonSet
    name: kube-proxy
    namespace: kube-system
    labels: {{k8s-app: kube-proxy}}
    image: 602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:{tag}
    tolerations: [{{operator: Exists}}]
"#
    )
}

#[test]
fn self_managed_kube_proxy_too_new_and_too_old() {
    let sim = Sim::start(SimSpec {
        yaml: Some(&self_managed("v1.33.0-minimal-eksbuild.1")),
        ..Default::default()
    });
    let run = sim.kup_eks(&["check", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let f = finding(&r, "KUP-ADDON-004", "daemonset/kube-system/kube-proxy");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("newer than the target 1.32")),
        "{f:#}"
    );
    let row = &r["addons"][0];
    assert_eq!(row["managed"], false, "{row:#}");
    assert_eq!(row["version"], "v1.33.0-minimal-eksbuild.1");
    assert_eq!(row["verdict"], "kubeProxyTooNew");

    // At 1.32 a kube-proxy of 1.28 lags the API server by 4 minors, the kubelets too.
    let sim = Sim::start(SimSpec {
        yaml: Some(&self_managed("v1.28.15-minimal-eksbuild.1")),
        ..Default::default()
    });
    let run = sim.kup_eks(&["check", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let skew: Vec<&Value> = r["findings"]
        .as_array()
        .map(|f| f.iter().filter(|f| f["code"] == "KUP-ADDON-004").collect())
        .unwrap_or_default();
    assert_eq!(skew.len(), 2, "{skew:#?}");
    assert!(
        skew.iter().any(|f| f["message"]
            .as_str()
            .is_some_and(|m| m.contains("by more than 3 minors"))),
        "{skew:#?}"
    );

    // Within the policy (one minor behind, the target's default known): a warning only.
    let sim = Sim::start(SimSpec {
        yaml: Some(&self_managed("v1.31.2-minimal-eksbuild.3")),
        ..Default::default()
    });
    let run = sim.kup_eks(&["check", "-o", "json"]);
    let r = run.json();
    let f = finding(&r, "KUP-ADDON-002", "daemonset/kube-system/kube-proxy");
    assert_eq!(f["severity"], "warning");
    assert!(
        !codes_of(&r).iter().any(|c| c.starts_with("KUP-ADDON-004")),
        "{:#}",
        r["findings"]
    );
}

/// Self-managed nodes (no node group, no Karpenter) on Amazon Linux 2: at 1.33 their osImage
/// is what tells, with or without EKS.
#[test]
fn al2_nodes_by_os_image_at_1_33() {
    let sim = Sim::start(SimSpec {
        yaml: Some(
            r#"
cluster: {name: selfmanaged, version: v1.32.9-eks-1a2b3c4, now: 2026-01-15T09:00:00Z}
nodes:
  - {name: worker-1, kubeletVersion: v1.32.9-eks-1a2b3c4}
  - {name: worker-2, kubeletVersion: v1.32.9-eks-1a2b3c4}
"#,
        ),
        ..Default::default()
    });
    for run in [
        sim.kup(&["check", "-o", "json", "--target", "1.33"]),
        sim.kup_eks(&["check", "-o", "json", "--target", "1.33"]),
    ] {
        assert_eq!(run.code, 1, "{}", run.stderr);
        let r = run.json();
        let f = finding(&r, "KUP-EKS-008", "node/worker-1");
        assert!(
            f["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("2 node(s) in no known pool run Amazon Linux 2")),
            "{f:#}"
        );
    }
    // At 1.32 AL2 is still published: nothing.
    let r = sim.kup(&["check", "-o", "json"]).json();
    assert!(
        !codes_of(&r).iter().any(|c| c.starts_with("KUP-EKS-008")),
        "{:#}",
        r["findings"]
    );
}
