//! kup's DescribeCluster / ListNodegroups / DescribeNodegroup code against moto's EKS server,
//! an implementation we did not write (PyPI `moto[server]`, installed by ./scripts/test.sh).
//! moto answers 404 to DescribeClusterVersions and ListInsights: the section must say so and
//! stand. Without moto_server these tests fail on purpose.

mod common;

use aws_sdk_eks::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_eks::types::{NodegroupScalingConfig, Taint, TaintEffect, VpcConfigRequest};
use common::Sim;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_server_path() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("KUP_MOTO_SERVER") {
        return p.into();
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("moto_server"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "moto_server not found (set KUP_MOTO_SERVER or put it on PATH): run the tests \
                 with ./scripts/test.sh, which installs moto[server] from PyPI into .venv/"
            )
        })
}

fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(moto_server_path())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on {url}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto { child, url }
}

/// Creates a cluster with two node groups in moto, through the same SDK.
fn seed(url: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conf = aws_sdk_eks::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIAMOTO", "secret", None, None, "test"))
            .build();
        let eks = aws_sdk_eks::Client::from_conf(conf);
        eks.create_cluster()
            .name("eks-upgrades-workshop")
            .version("1.25")
            .role_arn("arn:aws:iam::123456789012:role/eks")
            .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-1").build())
            .send()
            .await
            .expect("CreateCluster");
        for (name, taint) in [("apps", false), ("system", true)] {
            let mut ng = eks
                .create_nodegroup()
                .cluster_name("eks-upgrades-workshop")
                .nodegroup_name(name)
                .node_role("arn:aws:iam::123456789012:role/node")
                .subnets("subnet-1")
                .scaling_config(
                    NodegroupScalingConfig::builder()
                        .min_size(1)
                        .max_size(4)
                        .desired_size(2)
                        .build(),
                )
                .labels("role", name);
            if taint {
                ng = ng.taints(
                    Taint::builder()
                        .key("CriticalAddonsOnly")
                        .value("true")
                        .effect(TaintEffect::NoSchedule)
                        .build(),
                );
            }
            ng.send().await.expect("CreateNodegroup");
        }
    });
}

#[test]
fn describe_cluster_and_node_groups_work_against_moto() {
    let moto = start_moto();
    seed(&moto.url);
    let sim = Sim::builtin("workshop");
    let env = vec![
        ("AWS_ENDPOINT_URL_EKS".to_string(), moto.url.clone()),
        ("AWS_ACCESS_KEY_ID".to_string(), "AKIAMOTO".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "secret".to_string()),
    ];
    let check = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "-o",
            "json",
            "--cluster",
            "eks-upgrades-workshop",
            "--region",
            "us-east-1",
        ];
        args.extend(extra);
        sim.kup_env(&args, &env)
    };
    let run = check(&[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let eks = &run.json()["eks"];
    assert_eq!(eks["status"], "read", "{eks:#}");
    assert_eq!(eks["cluster"]["name"], "eks-upgrades-workshop");
    assert_eq!(eks["cluster"]["version"], "1.25");
    assert_eq!(eks["cluster"]["status"], "ACTIVE");
    assert!(
        eks["cluster"]["arn"]
            .as_str()
            .is_some_and(|a| a.ends_with(":cluster/eks-upgrades-workshop")),
        "{eks:#}"
    );
    let groups = eks["nodeGroups"].as_array().expect("nodeGroups");
    let names: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(names, ["apps", "system"], "{groups:#?}");
    for g in groups {
        assert_eq!(g["desiredSize"], 2, "{g:#}");
        assert_eq!(g["minSize"], 1, "{g:#}");
        assert_eq!(g["maxSize"], 4, "{g:#}");
        assert!(g["version"].is_string(), "{g:#}");
        assert!(g["status"].is_string(), "{g:#}");
    }
    assert_eq!(groups[0]["labels"]["role"], "apps");
    assert_eq!(
        groups[1]["taints"],
        serde_json::json!([{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}])
    );
    // What moto lacks is said, not fatal.
    let unavailable: Vec<&str> = eks["unavailable"]
        .as_array()
        .map(|u| u.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    assert!(
        unavailable
            .iter()
            .any(|u| u.starts_with("DescribeClusterVersions:")),
        "{unavailable:?}"
    );
    assert!(
        unavailable.iter().any(|u| u.starts_with("ListInsights:")),
        "{unavailable:?}"
    );
    // moto implements no add-on call: the add-ons are "not read", not a failed report.
    assert!(
        unavailable.iter().any(|u| u.starts_with("ListAddons:")),
        "{unavailable:?}"
    );
    assert!(eks.get("addons").is_none(), "{eks:#}");

    // No support dates from moto: no finding is made up about the target either.
    let run = check(&["--target", "1.26"]);
    let r = run.json();
    assert!(r["eks"].get("versions").is_none(), "{:#}", r["eks"]);
    let findings = r["findings"].as_array().unwrap();
    assert!(
        !findings.iter().any(|f| f["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("KUP-EKS-00"))),
        "{findings:#?}"
    );
    // Node groups on another minor than the cluster (as moto reports them) block 1.26.
    let mut off: Vec<String> = r["eks"]["nodeGroups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["version"] != "1.25")
        .map(|g| format!("nodegroup/{}", g["name"].as_str().unwrap()))
        .collect();
    let mut blocking: Vec<String> = findings
        .iter()
        .filter(|f| f["code"] == "KUP-SKEW-007")
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect();
    off.sort();
    blocking.sort();
    assert_eq!(blocking, off, "{:#}", r["eks"]);

    // An unknown cluster: moto's ResourceNotFoundException, exit 3 naming it.
    let run = sim.kup_env(
        &["check", "--cluster", "nope", "--region", "us-east-1"],
        &env,
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("EKS cluster \"nope\" not found in us-east-1"),
        "{}",
        run.stderr
    );
}
