//! The EKS REST-JSON API over real HTTP: every operation kup calls, its errors (unknown
//! cluster / node group, 403s, injected throttling, paging), and managed node group updates
//! rolled by the world (drain through evictions, PodEvictionFailure, force).

mod common;

use common::{Resp, get, req, send_json};
use kup_sim::scenario::{ScenarioSource, builtin};
use kup_sim::{SimHandle, SimOptions, start};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";
const DENIED: &str = "AWS4-HMAC-SHA256 Credential=AKIANOACCESS/20261124/us-east-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";
const CLUSTER: &str = "eks-upgrades-workshop";

async fn sim(text: &str) -> SimHandle {
    let opts = SimOptions {
        source: ScenarioSource {
            text: Some(("test-scenario".into(), text.into())),
            ..Default::default()
        },
        listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        token: None,
        readonly_token: None,
        noaccess_token: None,
    };
    start(opts).await.unwrap_or_else(|e| panic!("start: {e}"))
}

/// The workshop, its clock `speed` times real time.
fn workshop(speed: u32, extra: &str) -> String {
    let text = builtin("workshop").unwrap_or_else(|| panic!("no workshop scenario"));
    let text = text.replace("speed: 60", &format!("speed: {speed}"));
    format!("{text}\n{extra}")
}

async fn eks(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Resp {
    let b = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
    let mut headers = vec![("Authorization", AUTH)];
    if b.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    req(addr, method, path, &headers, b.as_deref().unwrap_or(b"")).await
}

fn assert_error(r: &Resp, status: u16, code: &str) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("x-amzn-errortype"), Some(code));
    let v = r.json();
    assert!(v["message"].is_string(), "{v}");
    v
}

#[tokio::test]
async fn describe_cluster_errors_auth_faults_and_stats() {
    let h = sim(&workshop(60, "")).await;
    let a = h.addr;
    let r = eks(a, "GET", &format!("/clusters/{CLUSTER}"), None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    let c = &r.json()["cluster"];
    assert_eq!(c["name"], CLUSTER);
    assert_eq!(
        c["arn"],
        format!("arn:aws:eks:us-east-1:111122223333:cluster/{CLUSTER}")
    );
    assert_eq!(c["version"], "1.25");
    assert_eq!(c["platformVersion"], "eks.15");
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["endpoint"], h.url());
    assert_eq!(c["upgradePolicy"]["supportType"], "STANDARD");
    assert_eq!(c["tags"], json!({}));
    assert!(c["createdAt"].is_f64() || c["createdAt"].is_u64(), "{c}");
    assert!(c["kubernetesNetworkConfig"]["serviceIpv4Cidr"].is_string());

    // Unknown cluster: moto's wording, the name in the body.
    let r = eks(a, "GET", "/clusters/nope", None).await;
    let e = assert_error(&r, 404, "ResourceNotFoundException");
    assert_eq!(e["message"], "No cluster found for name: nope.");
    assert_eq!(e["clusterName"], "nope");
    let r = eks(a, "GET", "/clusters/nope/node-groups", None).await;
    assert_error(&r, 404, "ResourceNotFoundException");

    // Unsigned and denied callers.
    let r = req(a, "GET", &format!("/clusters/{CLUSTER}"), &[], b"").await;
    assert_error(&r, 403, "MissingAuthenticationTokenException");
    let r = req(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}"),
        &[("Authorization", DENIED)],
        b"",
    )
    .await;
    let e = assert_error(&r, 403, "AccessDeniedException");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("eks:DescribeCluster")),
        "{e}"
    );

    // Injected EKS faults: exactly the next N EKS requests; the k8s API is not affected.
    let r = send_json(
        a,
        "PUT",
        "/sim/faults",
        "application/json",
        &json!({"eks_fail_next": 2, "eks_fail_next_code": 429}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(get(a, "/api/v1/nodes").await.status, 200);
    let r = eks(a, "GET", &format!("/clusters/{CLUSTER}"), None).await;
    let e = assert_error(&r, 429, "ThrottlingException");
    assert_eq!(e["message"], "Rate exceeded");
    let r = eks(a, "GET", &format!("/clusters/{CLUSTER}/node-groups"), None).await;
    assert_error(&r, 429, "ThrottlingException");
    assert_eq!(
        eks(a, "GET", &format!("/clusters/{CLUSTER}"), None)
            .await
            .status,
        200
    );
    for (code, name) in [
        (500, "ServerException"),
        (503, "ServiceUnavailableException"),
    ] {
        send_json(
            a,
            "PUT",
            "/sim/faults",
            "application/json",
            &json!({"eks_fail_next": 1, "eks_fail_next_code": code}),
        )
        .await;
        let r = eks(a, "GET", &format!("/clusters/{CLUSTER}"), None).await;
        assert_error(&r, code, name);
    }

    let r = eks(a, "GET", "/clusters/x/no-such-thing", None).await;
    assert_eq!(r.status, 404);

    let stats = get(a, "/sim/stats").await.json();
    let ops = &stats["eks"]["by_operation"];
    assert_eq!(ops["DescribeCluster"], 8, "{stats}");
    assert_eq!(ops["ListNodegroups"], 2);
    assert_eq!(ops["Unknown"], 1);
    assert_eq!(stats["eks"]["total"], 11);
    // EKS requests are not Kubernetes requests.
    assert_eq!(stats["requests"]["by_verb_resource"]["list nodes"], 1);
    h.shutdown().await;
}

#[tokio::test]
async fn node_groups_list_page_and_describe() {
    let mut groups = String::from("nodeGroups:\n");
    for i in 0..5 {
        groups.push_str(&format!(
            "  - name: ng-{i}\n    version: \"1.24\"\n    labels: {{role: ng-{i}}}\n    taints: [\"dedicated=ng-{i}:NoSchedule\", \"spot:PreferNoSchedule\"]\n    maxUnavailable: 2\n"
        ));
    }
    let text = format!(
        "cluster: {{name: paged, version: v1.25.16-eks-3025e55, region: us-west-2, accountId: \"123456789012\"}}\n{groups}nodes:\n  - count: 3\n    pool: ng-1\n"
    );
    let h = sim(&text).await;
    let a = h.addr;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &token {
            Some(t) => format!("/clusters/paged/node-groups?maxResults=2&nextToken={t}"),
            None => "/clusters/paged/node-groups?maxResults=2".to_string(),
        };
        let r = eks(a, "GET", &path, None).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        let items = v["nodegroups"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2);
        seen.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)));
        pages += 1;
        match v["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["ng-0", "ng-1", "ng-2", "ng-3", "ng-4"]);
    let r = eks(a, "GET", "/clusters/paged/node-groups?maxResults=0", None).await;
    assert_error(&r, 400, "InvalidParameterException");
    let r = eks(
        a,
        "GET",
        "/clusters/paged/node-groups?nextToken=garbage",
        None,
    )
    .await;
    assert_error(&r, 400, "InvalidParameterException");

    let r = eks(a, "GET", "/clusters/paged/node-groups/ng-1", None).await;
    assert_eq!(r.status, 200);
    let g = &r.json()["nodegroup"];
    assert_eq!(g["nodegroupName"], "ng-1");
    assert_eq!(g["clusterName"], "paged");
    assert!(g["nodegroupArn"].as_str().is_some_and(|s| {
        s.starts_with("arn:aws:eks:us-west-2:123456789012:nodegroup/paged/ng-1/")
    }));
    assert_eq!(g["version"], "1.24");
    assert_eq!(g["releaseVersion"], "1.24.17-20240129");
    assert_eq!(g["status"], "ACTIVE");
    assert_eq!(g["capacityType"], "ON_DEMAND");
    assert_eq!(g["scalingConfig"]["desiredSize"], 3);
    assert_eq!(g["instanceTypes"], json!(["m5.large"]));
    assert_eq!(g["amiType"], "AL2_x86_64");
    assert_eq!(g["labels"], json!({"role": "ng-1"}));
    assert_eq!(
        g["taints"],
        json!([{"key": "dedicated", "value": "ng-1", "effect": "NO_SCHEDULE"},
               {"key": "spot", "effect": "PREFER_NO_SCHEDULE"}])
    );
    assert_eq!(g["updateConfig"], json!({"maxUnavailable": 2}));
    assert_eq!(g["health"], json!({"issues": []}));
    assert!(g["nodeRole"].is_string() && g["subnets"].is_array());
    assert!(g["modifiedAt"].as_f64().is_some_and(|t| t > 1.6e9));

    let r = eks(a, "GET", "/clusters/paged/node-groups/nope", None).await;
    let e = assert_error(&r, 404, "ResourceNotFoundException");
    assert_eq!(e["message"], "No node group found for name: nope.");
    assert_eq!(e["nodegroupName"], "nope");
    h.shutdown().await;
}

#[tokio::test]
async fn cluster_versions_and_insights() {
    let extra = r#"
insights:
  - name: Cluster health issues
    status: ERROR
    reason: The cluster's IAM role is missing
    recommendation: Restore the role.
    resources: [/api/v1/namespaces/kube-system]
eksVersions:
  - version: "1.25"
    releaseDate: 2023-02-22
    endOfStandardSupport: 2099-01-01
    endOfExtendedSupport: 2100-01-01
    patchVersion: 1.25.16
"#;
    // The workshop's cluster on 2025-07-01: three weeks after 1.26 left extended support.
    let text =
        workshop(60, extra).replace("now: 2023-12-01T09:00:00Z", "now: 2025-07-01T00:00:00Z");
    assert!(
        text.contains("now: 2025-07-01"),
        "the workshop pins its clock"
    );
    let h = sim(&text).await;
    let a = h.addr;
    let r = eks(
        a,
        "GET",
        "/cluster-versions?clusterType=eks&clusterVersions=1.25&clusterVersions=1.26",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let list = r.json()["clusterVersions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let versions: Vec<&str> = list
        .iter()
        .filter_map(|v| v["clusterVersion"].as_str())
        .collect();
    assert_eq!(versions, ["1.26", "1.25"]);
    let v125 = &list[1];
    // The scenario moved 1.25's end of support far out.
    assert_eq!(v125["versionStatus"], "STANDARD_SUPPORT");
    assert_eq!(v125["status"], "standard-support");
    assert_eq!(v125["kubernetesPatchVersion"], "1.25.16");
    assert_eq!(v125["clusterType"], "eks");
    assert_eq!(
        v125["endOfStandardSupportDate"].as_f64(),
        Some(4070908800.0)
    );
    // The built-in calendar: 1.26 left extended support on 2025-06-11.
    assert_eq!(list[0]["versionStatus"], "UNSUPPORTED");
    assert_eq!(
        list[0]["endOfExtendedSupportDate"].as_f64(),
        Some(1749600000.0)
    );

    // Everything, paged; exactly one default.
    let r = eks(
        a,
        "GET",
        "/cluster-versions?includeAll=true&maxResults=5",
        None,
    )
    .await;
    let v = r.json();
    assert_eq!(v["clusterVersions"].as_array().map(Vec::len), Some(5));
    let t = v["nextToken"].as_str().unwrap_or_default().to_string();
    assert!(!t.is_empty());
    let r = eks(
        a,
        "GET",
        &format!("/cluster-versions?includeAll=true&nextToken={t}"),
        None,
    )
    .await;
    assert!(
        r.json()["clusterVersions"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    let r = eks(a, "GET", "/cluster-versions?defaultOnly=true", None).await;
    assert_eq!(
        r.json()["clusterVersions"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(r.json()["clusterVersions"][0]["defaultVersion"], true);
    let r = eks(a, "GET", "/cluster-versions?clusterType=gke", None).await;
    assert_error(&r, 400, "InvalidParameterException");

    // Insights: computed from the nodes (kubelet 1.24 under a 1.25 control plane is at the
    // edge of what 1.26 allows), plus the scenario's.
    let filter = json!({"filter": {"categories": ["UPGRADE_READINESS"]}});
    let r = eks(
        a,
        "POST",
        &format!("/clusters/{CLUSTER}/insights"),
        Some(&filter),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let insights = r.json()["insights"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = insights.iter().filter_map(|i| i["name"].as_str()).collect();
    assert!(names.contains(&"Kubelet version skew"), "{names:?}");
    assert!(names.contains(&"Amazon EKS add-on version compatibility"));
    assert!(names.contains(&"Deprecated APIs removed in Kubernetes v1.26"));
    assert!(names.contains(&"Cluster health issues"));
    let skew = insights
        .iter()
        .find(|i| i["name"] == "Kubelet version skew")
        .cloned()
        .unwrap_or_default();
    assert_eq!(skew["kubernetesVersion"], "1.26");
    assert_eq!(skew["insightStatus"]["status"], "WARNING");
    assert!(
        skew.get("recommendation").is_none(),
        "a summary has no recommendation"
    );

    let r = eks(
        a,
        "GET",
        &format!(
            "/clusters/{CLUSTER}/insights/{}",
            skew["id"].as_str().unwrap_or("")
        ),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let full = &r.json()["insight"];
    assert!(
        full["recommendation"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let uris: Vec<&str> = full["resources"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|r| r["kubernetesResourceUri"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(uris.len(), 3, "every node runs kubelet 1.24: {uris:?}");
    assert!(uris.contains(&"/api/v1/nodes/ip-192-168-12-47.ec2.internal"));

    let only_errors = json!({"filter": {"statuses": ["ERROR"]}, "maxResults": 1});
    let r = eks(
        a,
        "POST",
        &format!("/clusters/{CLUSTER}/insights"),
        Some(&only_errors),
    )
    .await;
    let v = r.json();
    assert_eq!(v["insights"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["insights"][0]["name"], "Cluster health issues");
    assert!(v.get("nextToken").is_none());

    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/insights/nope"),
        None,
    )
    .await;
    assert_error(&r, 404, "ResourceNotFoundException");
    h.shutdown().await;
}

async fn describe_update(a: SocketAddr, id: &str) -> Value {
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates/{id}?nodegroupName=mng-system"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["update"].clone()
}

/// Poll DescribeUpdate until it leaves InProgress (generous deadline).
async fn wait_update(a: SocketAddr, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let u = describe_update(a, id).await;
        if u["status"] != "InProgress" {
            return u;
        }
        assert!(Instant::now() < deadline, "update still in progress: {u}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start_update(a: SocketAddr, body: &Value) -> String {
    let r = eks(
        a,
        "POST",
        &format!("/clusters/{CLUSTER}/node-groups/mng-system/update-version"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let u = r.json()["update"].clone();
    assert_eq!(u["status"], "InProgress");
    assert_eq!(u["type"], "VersionUpdate");
    assert_eq!(u["errors"], json!([]));
    u["id"].as_str().unwrap_or_default().to_string()
}

async fn group_nodes(a: SocketAddr) -> Vec<Value> {
    let r = get(
        a,
        "/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dmng-system",
    )
    .await;
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn update_nodegroup_version_rolls_the_workshop_group() {
    let h = sim(&workshop(600, "")).await;
    let a = h.addr;
    let old: Vec<String> = group_nodes(a)
        .await
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(old.len(), 2);

    let path = format!("/clusters/{CLUSTER}/node-groups/mng-system/update-version");
    let r = eks(a, "POST", &path, Some(&json!({"version": "1.26"}))).await;
    assert_error(&r, 400, "InvalidParameterException");
    let r = eks(
        a,
        "POST",
        "/clusters/eks-upgrades-workshop/node-groups/nope/update-version",
        Some(&json!({})),
    )
    .await;
    assert_error(&r, 404, "ResourceNotFoundException");

    let r = eks(
        a,
        "POST",
        &path,
        Some(&json!({"clientRequestToken": "t-1"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let u = r.json()["update"].clone();
    let id = u["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(id.len(), 36, "uuid-shaped: {id}");
    assert_eq!(
        u["params"],
        json!([{"type": "Version", "value": "1.25"}, {"type": "ReleaseVersion", "value": "1.25.16-20241121"}])
    );
    // The same token again: the same update; another update meanwhile: 409.
    let r = eks(
        a,
        "POST",
        &path,
        Some(&json!({"clientRequestToken": "t-1"})),
    )
    .await;
    assert_eq!(r.json()["update"]["id"], json!(id));
    let r = eks(a, "POST", &path, Some(&json!({}))).await;
    assert_error(&r, 409, "ResourceInUseException");
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/node-groups/mng-system"),
        None,
    )
    .await;
    assert_eq!(r.json()["nodegroup"]["status"], "UPDATING");
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates?nodegroupName=mng-system"),
        None,
    )
    .await;
    assert_eq!(r.json()["updateIds"], json!([id]));
    let r = eks(a, "GET", &format!("/clusters/{CLUSTER}/updates/{id}"), None).await;
    assert_error(&r, 404, "ResourceNotFoundException");

    let u = wait_update(a, &id).await;
    assert_eq!(u["status"], "Successful", "{u}");

    let nodes = group_nodes(a).await;
    assert_eq!(nodes.len(), 2, "back to the group's size");
    for n in &nodes {
        let name = n["metadata"]["name"].as_str().unwrap_or_default();
        assert!(
            !old.iter().any(|o| o == name),
            "old node {name} still there"
        );
        assert_eq!(
            n["status"]["nodeInfo"]["kubeletVersion"],
            "v1.25.16-eks-3025e55"
        );
        assert_eq!(
            n["metadata"]["labels"]["eks.amazonaws.com/capacityType"],
            "ON_DEMAND"
        );
        assert!(n["metadata"]["labels"]["eks.amazonaws.com/nodegroup-image"].is_string());
        assert!(n["spec"]["unschedulable"].is_null(), "{n}");
    }
    let new_names: Vec<&str> = nodes
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .collect();
    // coredns was rescheduled onto the new nodes and is Ready.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(
            a,
            "/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns",
        )
        .await;
        let pods = r.json()["items"].as_array().cloned().unwrap_or_default();
        let ok = pods.len() == 2
            && pods.iter().all(|p| {
                p["status"]["phase"] == "Running"
                    && new_names.contains(&p["spec"]["nodeName"].as_str().unwrap_or(""))
            });
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "coredns not back: {pods:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/node-groups/mng-system"),
        None,
    )
    .await;
    let g = r.json()["nodegroup"].clone();
    assert_eq!(g["status"], "ACTIVE");
    assert_eq!(g["version"], "1.25");
    assert_eq!(g["releaseVersion"], "1.25.16-20241121");
    assert_eq!(g["scalingConfig"]["desiredSize"], 2);

    let stats = get(a, "/sim/stats").await.json();
    assert_eq!(stats["pdb_violations"], 0, "{stats}");
    assert_eq!(stats["pods_lost"], 0, "{stats}");
    assert!(
        stats["evictions"].as_u64().is_some_and(|e| e >= 2),
        "{stats}"
    );
    assert!(
        stats["nodes_terminated"].as_u64().is_some_and(|e| e >= 2),
        "{stats}"
    );
    // maxUnavailable is 1: never two group nodes cordoned at once.
    assert_eq!(stats["max_unschedulable_nodes"], 1, "{stats}");

    // Insights follow the live nodes: only the old Karpenter node still lags.
    let r = eks(
        a,
        "POST",
        &format!("/clusters/{CLUSTER}/insights"),
        Some(&json!({})),
    )
    .await;
    let skew_id = r.json()["insights"]
        .as_array()
        .and_then(|l| l.iter().find(|i| i["name"] == "Kubelet version skew"))
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/insights/{skew_id}"),
        None,
    )
    .await;
    let res = r.json()["insight"]["resources"].clone();
    assert_eq!(
        res,
        json!([{"insightStatus": {"status": "WARNING", "reason": "Node kubelet version v1.24.17-eks-a59e1f0 is 2 minor versions behind Kubernetes 1.26."},
                "kubernetesResourceUri": "/api/v1/nodes/ip-192-168-60-113.ec2.internal"}])
    );
    h.shutdown().await;
}

const BLOCKING_PDB: &str = r#"
pdbs:
  - name: coredns-pdb
    namespace: kube-system
    minAvailable: 2
    selector: {k8s-app: kube-dns}
"#;

#[tokio::test]
async fn a_blocking_pdb_fails_the_update_after_the_eviction_timeout() {
    let text = workshop(600, BLOCKING_PDB)
        .replace("  speed: 600", "  speed: 600\n  podEvictionTimeout: 2m");
    let h = sim(&text).await;
    let a = h.addr;
    let id = start_update(a, &json!({})).await;
    let u = wait_update(a, &id).await;
    assert_eq!(u["status"], "Failed", "{u}");
    let e = &u["errors"][0];
    assert_eq!(e["errorCode"], "PodEvictionFailure");
    assert!(
        e["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("mng-system"))
    );
    assert_eq!(e["resourceIds"].as_array().map(Vec::len), Some(1));
    let stats = get(a, "/sim/stats").await.json();
    assert_eq!(stats["pdb_violations"], 0, "{stats}");
    assert_eq!(stats["pods_lost"], 0, "{stats}");
    assert!(
        stats["evictions_blocked"].as_u64().is_some_and(|n| n > 0),
        "{stats}"
    );
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/node-groups/mng-system"),
        None,
    )
    .await;
    let g = r.json()["nodegroup"].clone();
    assert_eq!(g["status"], "ACTIVE");
    assert_eq!(g["version"], "1.24", "a failed update leaves the version");
    h.shutdown().await;
}

#[tokio::test]
async fn force_rolls_through_a_blocking_pdb() {
    let text = workshop(600, BLOCKING_PDB)
        .replace("  speed: 600", "  speed: 600\n  podEvictionTimeout: 1m");
    let h = sim(&text).await;
    let a = h.addr;
    let id = start_update(a, &json!({"force": true, "version": "1.25"})).await;
    let u = wait_update(a, &id).await;
    assert_eq!(u["status"], "Successful", "{u}");
    for n in group_nodes(a).await {
        assert_eq!(
            n["status"]["nodeInfo"]["kubeletVersion"],
            "v1.25.16-eks-3025e55"
        );
    }
    h.shutdown().await;
}

#[test]
fn bad_eks_sections_of_a_scenario_are_reported_with_their_place() {
    let load = |text: &str| {
        kup_sim::scenario::load(&ScenarioSource {
            text: Some(("eks.yaml".into(), text.into())),
            ..Default::default()
        })
    };
    let e = load("insights:\n  - name: x\n    status: FINE\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("eks.yaml:2:"), "{e}");
    assert!(e.contains("FINE"), "{e}");
    let e = load("eksVersions:\n  - version: \"1.36\"\n    releaseDate: soon\n    endOfStandardSupport: 2027-07-20\n    endOfExtendedSupport: 2028-07-20\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("eks.yaml:2:") && e.contains("releaseDate"),
        "{e}"
    );
    let ok = load("timing: {podEvictionTimeout: 2m}\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.eks.pod_eviction_timeout, Duration::from_secs(120));
    assert_eq!(
        load("cluster: {name: x}\n")
            .map(|s| s.eks.pod_eviction_timeout)
            .ok(),
        Some(Duration::from_secs(900))
    );
}
