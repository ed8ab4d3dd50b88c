//! Short forms to full Kubernetes objects (k8s-openapi types, serialized to JSON), shaped like
//! what a real EKS cluster returns: node status, labels, pool labels, Karpenter objects.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::core::v1::DaemonEndpoint;
use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerPort, EmptyDirVolumeSource, Namespace, Node, NodeAddress,
    NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus, NodeSystemInfo, Pod, PodSpec,
    PodStatus, PodTemplateSpec, ResourceRequirements, Taint, Toleration, Volume, VolumeMount,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(crate) type Labels = BTreeMap<String, String>;

/// Serialize a k8s-openapi object; these types always serialize, so a failure is a bug here.
pub(crate) fn to_json<T: serde::Serialize>(obj: &T) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

pub(crate) fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(crate) fn namespace(name: &str) -> Value {
    let mut v = to_json(&Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".to_string(),
                name.to_string(),
            )])),
            ..Default::default()
        },
        spec: Some(k8s_openapi::api::core::v1::NamespaceSpec {
            finalizers: Some(vec!["kubernetes".into()]),
        }),
        ..Default::default()
    });
    v["status"] = json!({"phase": "Active"});
    v
}

/// Capacity of an EC2 instance type: (vCPUs, memory GiB, max pods with the VPC CNI).
pub(crate) fn instance_shape(instance_type: &str) -> (u32, u32, u32) {
    match instance_type {
        "t3.medium" => (2, 4, 17),
        "t3.large" => (2, 8, 35),
        "t3.xlarge" => (4, 16, 58),
        "m5.large" | "m6i.large" | "m7i.large" => (2, 8, 29),
        "m5.xlarge" | "m6i.xlarge" | "m7i.xlarge" => (4, 16, 58),
        "m5.2xlarge" | "m6i.2xlarge" | "m7i.2xlarge" => (8, 32, 58),
        "m5.4xlarge" | "m6i.4xlarge" | "m7i.4xlarge" => (16, 64, 234),
        "m5.8xlarge" | "m6i.8xlarge" => (32, 128, 234),
        "c5.large" | "c6i.large" => (2, 4, 29),
        "c5.xlarge" | "c6i.xlarge" => (4, 8, 58),
        "c5.2xlarge" | "c6i.2xlarge" => (8, 16, 58),
        "r5.large" | "r6i.large" => (2, 16, 29),
        "r5.xlarge" | "r6i.xlarge" => (4, 32, 58),
        _ => (2, 8, 29),
    }
}

/// Node capacity in the units the kubelet reports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Capacity {
    pub cpu_milli: u64,
    pub memory_ki: u64,
    pub pods: u64,
}

impl Capacity {
    pub(crate) fn of_instance(instance_type: &str) -> Self {
        let (cpu, gib, pods) = instance_shape(instance_type);
        // The kubelet reports a little less than the nominal GiB (m5.large: 7910360Ki of 8Gi).
        Capacity {
            cpu_milli: cpu as u64 * 1000,
            memory_ki: gib as u64 * 988_795,
            pods: pods as u64,
        }
    }

    /// EKS AMI reservations: kube-reserved CPU (6% / 1% / 0.5% / 0.25% per core) and memory
    /// (255Mi + 11Mi per pod) plus the 100Mi hard-eviction threshold.
    pub(crate) fn allocatable(self) -> (u64, u64) {
        let cores = self.cpu_milli / 1000;
        let reserved = 60 * cores.min(1)
            + 10 * cores.clamp(1, 2).saturating_sub(1)
            + 5 * cores.clamp(2, 4).saturating_sub(2)
            + cores.saturating_sub(4).saturating_mul(5) / 2;
        let mem_reserved = self
            .pods
            .saturating_mul(11)
            .saturating_add(355)
            .saturating_mul(1024);
        (
            self.cpu_milli.saturating_sub(reserved),
            self.memory_ki.saturating_sub(mem_reserved),
        )
    }
}

/// How a node belongs to its pool.
#[derive(Clone, Debug)]
pub(crate) enum PoolLink {
    /// A Karpenter Provisioner (`karpenter.sh/provisioner-name`).
    Provisioner(String),
    /// A Karpenter NodePool (`karpenter.sh/nodepool`).
    NodePool(String),
    /// An EKS managed node group (`eks.amazonaws.com/nodegroup`).
    NodeGroup(String),
    None,
}

impl PoolLink {
    pub(crate) fn is_karpenter(&self) -> bool {
        matches!(self, PoolLink::Provisioner(_) | PoolLink::NodePool(_))
    }
}

/// Everything needed to build one Node object.
#[derive(Clone, Debug)]
pub(crate) struct NodeParams {
    pub name: String,
    pub ip: String,
    pub kubelet_version: String,
    pub pool: PoolLink,
    /// Pool and user labels (the well-known ones are added here).
    pub labels: Labels,
    pub annotations: Labels,
    pub taints: Vec<Taint>,
    pub instance_type: String,
    pub zone: String,
    pub region: String,
    pub capacity: Capacity,
    pub ready: bool,
    pub unschedulable: bool,
    pub created: Timestamp,
    /// EC2 instance id (`i-...`).
    pub instance_id: String,
}

/// The IP a node gets from its index: 192.168.x.y, spread like VPC subnets per zone.
pub(crate) fn node_ip(index: usize, zone_index: usize) -> String {
    let host = index / 3;
    format!(
        "192.168.{}.{}",
        32 + zone_index * 32 + (host / 250) % 32,
        10 + host % 240
    )
}

/// `ip-192-168-60-113.ec2.internal` (us-east-1) or `ip-...REGION.compute.internal`.
pub(crate) fn node_name_for_ip(ip: &str, region: &str) -> String {
    let dashed = ip.replace('.', "-");
    if region == "us-east-1" {
        format!("ip-{dashed}.ec2.internal")
    } else {
        format!("ip-{dashed}.{region}.compute.internal")
    }
}

/// A managed node group's nodes report the OS of its AMI type (AL2_*, AL2023_*, BOTTLEROCKET_*).
pub(crate) fn set_os_image(node: &mut Value, ami_type: &str) {
    let (os, kernel) = if ami_type.starts_with("AL2023") {
        (
            "Amazon Linux 2023.7.20250609",
            "6.1.134-152.225.amzn2023.x86_64",
        )
    } else if ami_type.starts_with("AL2_") {
        ("Amazon Linux 2", "5.10.198-187.748.amzn2.x86_64")
    } else if ami_type.starts_with("BOTTLEROCKET") {
        ("Bottlerocket OS 1.39.1 (aws-k8s)", "6.1.131")
    } else {
        return;
    };
    if let Some(info) = node.pointer_mut("/status/nodeInfo") {
        info["osImage"] = Value::from(os);
        info["kernelVersion"] = Value::from(kernel);
    }
}

pub(crate) fn node(p: &NodeParams) -> Value {
    let (arch, os) = ("amd64", "linux");
    // EKS publishes no Amazon Linux 2 AMIs from 1.33 on: newer kubelets run AL2023.
    let (os_image, kernel) = match super::file::minor_of(&p.kubelet_version) {
        Some(m) if m >= 33 => (
            "Amazon Linux 2023.7.20250609",
            "6.1.134-152.225.amzn2023.x86_64",
        ),
        _ => ("Amazon Linux 2", "5.10.198-187.748.amzn2.x86_64"),
    };
    let mut labels = Labels::new();
    let mut put = |k: &str, v: &str| {
        labels.insert(k.to_string(), v.to_string());
    };
    put("beta.kubernetes.io/arch", arch);
    put("beta.kubernetes.io/instance-type", &p.instance_type);
    put("beta.kubernetes.io/os", os);
    put("failure-domain.beta.kubernetes.io/region", &p.region);
    put("failure-domain.beta.kubernetes.io/zone", &p.zone);
    put("kubernetes.io/arch", arch);
    put("kubernetes.io/hostname", &p.name);
    put("kubernetes.io/os", os);
    put("node.kubernetes.io/instance-type", &p.instance_type);
    put("topology.kubernetes.io/region", &p.region);
    put("topology.kubernetes.io/zone", &p.zone);
    let family = p.instance_type.split('.').next().unwrap_or_default();
    match &p.pool {
        PoolLink::Provisioner(name) | PoolLink::NodePool(name) => {
            let key = if matches!(p.pool, PoolLink::Provisioner(_)) {
                "karpenter.sh/provisioner-name"
            } else {
                "karpenter.sh/nodepool"
            };
            put(key, name);
            put("karpenter.sh/capacity-type", "on-demand");
            put("karpenter.sh/initialized", "true");
            if matches!(p.pool, PoolLink::NodePool(_)) {
                put("karpenter.sh/registered", "true");
                put("karpenter.k8s.aws/instance-family", family);
            }
            // The category is the family's first character (`m` of `m5`); by char, as the
            // instance type comes from the user.
            let category: String = family.chars().take(1).collect();
            put("karpenter.k8s.aws/instance-category", &category);
        }
        PoolLink::NodeGroup(name) => {
            put("eks.amazonaws.com/nodegroup", name);
            put("eks.amazonaws.com/capacityType", "ON_DEMAND");
            put("eks.amazonaws.com/nodegroup-image", "ami-0c9b3a6f8e8c3e7d1");
        }
        PoolLink::None => {}
    }
    for (k, v) in &p.labels {
        labels.insert(k.clone(), v.clone());
    }
    let mut annotations = Labels::from([
        (
            "alpha.kubernetes.io/provided-node-ip".to_string(),
            p.ip.clone(),
        ),
        ("node.alpha.kubernetes.io/ttl".to_string(), "0".to_string()),
        (
            "volumes.kubernetes.io/controller-managed-attach-detach".to_string(),
            "true".to_string(),
        ),
    ]);
    annotations.extend(p.annotations.clone());
    let now = Time(p.created);
    let mut taints = p.taints.clone();
    if !p.ready {
        for effect in ["NoSchedule", "NoExecute"] {
            taints.push(Taint {
                key: "node.kubernetes.io/not-ready".into(),
                effect: effect.into(),
                time_added: (effect == "NoExecute").then(|| now.clone()),
                value: None,
            });
        }
    }
    if p.unschedulable {
        taints.push(Taint {
            key: "node.kubernetes.io/unschedulable".into(),
            effect: "NoSchedule".into(),
            time_added: Some(now.clone()),
            value: None,
        });
    }
    let cond = |kind: &str, status: &str, reason: &str, message: &str| NodeCondition {
        type_: kind.into(),
        status: status.into(),
        last_heartbeat_time: Some(now.clone()),
        last_transition_time: Some(now.clone()),
        reason: Some(reason.into()),
        message: Some(message.into()),
    };
    let ready = if p.ready {
        cond(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        )
    } else {
        cond(
            "Ready",
            "False",
            "KubeletNotReady",
            "container runtime network not ready: NetworkReady=false",
        )
    };
    let (cpu_alloc, mem_alloc) = p.capacity.allocatable();
    let resources = |cpu: String, mem: String, eph: &str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu)),
            ("ephemeral-storage".to_string(), Quantity(eph.to_string())),
            ("hugepages-1Gi".to_string(), Quantity("0".into())),
            ("hugepages-2Mi".to_string(), Quantity("0".into())),
            ("memory".to_string(), Quantity(mem)),
            ("pods".to_string(), Quantity(p.capacity.pods.to_string())),
        ])
    };
    let cpu_q = |m: u64| {
        if m.is_multiple_of(1000) {
            (m / 1000).to_string()
        } else {
            format!("{m}m")
        }
    };
    let serial = p.instance_id.trim_start_matches("i-");
    let node = Node {
        metadata: ObjectMeta {
            name: Some(p.name.clone()),
            labels: Some(labels),
            annotations: Some(annotations),
            creation_timestamp: Some(now.clone()),
            finalizers: p
                .pool
                .is_karpenter()
                .then(|| vec!["karpenter.sh/termination".to_string()]),
            ..Default::default()
        },
        spec: Some(NodeSpec {
            provider_id: Some(format!("aws:///{}/{}", p.zone, p.instance_id)),
            taints: (!taints.is_empty()).then_some(taints),
            unschedulable: p.unschedulable.then_some(true),
            ..Default::default()
        }),
        status: Some(NodeStatus {
            capacity: Some(resources(
                cpu_q(p.capacity.cpu_milli),
                format!("{}Ki", p.capacity.memory_ki),
                "20959212Ki",
            )),
            allocatable: Some(resources(
                cpu_q(cpu_alloc),
                format!("{mem_alloc}Ki"),
                "18242267924",
            )),
            conditions: Some(vec![
                cond(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                cond(
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                cond(
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                ),
                ready,
            ]),
            addresses: Some(vec![
                NodeAddress {
                    type_: "InternalIP".into(),
                    address: p.ip.clone(),
                },
                NodeAddress {
                    type_: "InternalDNS".into(),
                    address: p.name.clone(),
                },
                NodeAddress {
                    type_: "Hostname".into(),
                    address: p.name.clone(),
                },
            ]),
            daemon_endpoints: Some(NodeDaemonEndpoints {
                kubelet_endpoint: Some(DaemonEndpoint { port: 10250 }),
            }),
            node_info: Some(NodeSystemInfo {
                machine_id: format!("ec2{:0>29}", &serial[..serial.len().min(29)]),
                system_uuid: format!(
                    "ec2{}-0000-0000-0000-000000000000",
                    &format!("{serial:0>5}")[..5]
                ),
                boot_id: format!(
                    "b00{}-0000-4000-8000-000000000000",
                    &format!("{serial:0>5}")[..5]
                ),
                kernel_version: kernel.into(),
                os_image: os_image.into(),
                container_runtime_version: "containerd://1.7.2".into(),
                kubelet_version: p.kubelet_version.clone(),
                kube_proxy_version: p.kubelet_version.clone(),
                operating_system: os.into(),
                architecture: arch.into(),
                swap: None,
            }),
            ..Default::default()
        }),
    };
    to_json(&node)
}

/// The `karpenter.sh/v1alpha5` Provisioner, with only the fields given (as the seed shows it).
pub(crate) fn provisioner(
    name: &str,
    labels: &Labels,
    taints: &[Taint],
    startup_taints: &[Taint],
    requirements: &[Value],
    node_class: &str,
    limits: &Labels,
) -> Value {
    let mut spec = serde_json::Map::new();
    if !labels.is_empty() {
        spec.insert("labels".into(), json!(labels));
    }
    spec.insert("providerRef".into(), json!({"name": node_class}));
    if !requirements.is_empty() {
        spec.insert("requirements".into(), json!(requirements));
    }
    if !limits.is_empty() {
        spec.insert("limits".into(), json!({"resources": limits}));
    }
    if !startup_taints.is_empty() {
        spec.insert("startupTaints".into(), to_json(&startup_taints));
    }
    if !taints.is_empty() {
        spec.insert("taints".into(), to_json(&taints));
    }
    json!({"apiVersion": "karpenter.sh/v1alpha5", "kind": "Provisioner", "metadata": {"name": name}, "spec": spec})
}

/// A NodePool at `karpenter.sh/v1` or `karpenter.sh/v1beta1`, with the CRD's defaults filled.
#[allow(clippy::too_many_arguments)]
pub(crate) fn nodepool(
    api_version: &str,
    name: &str,
    labels: &Labels,
    taints: &[Taint],
    startup_taints: &[Taint],
    requirements: &[Value],
    node_class: &str,
    limits: &Labels,
) -> Value {
    let v1 = api_version == "karpenter.sh/v1";
    let mut requirements = requirements.to_vec();
    if requirements.is_empty() {
        requirements = vec![
            json!({"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}),
            json!({"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}),
            json!({"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}),
        ];
    }
    let mut tspec = serde_json::Map::new();
    if v1 {
        tspec.insert("expireAfter".into(), json!("720h"));
        tspec.insert(
            "nodeClassRef".into(),
            json!({"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class}),
        );
    } else {
        // As a cluster whose CRDs store v1 holds it: the v1beta1-only nodeClassRef.apiVersion
        // is pruned.
        tspec.insert(
            "nodeClassRef".into(),
            json!({"kind": "EC2NodeClass", "name": node_class}),
        );
    }
    tspec.insert("requirements".into(), json!(requirements));
    if !startup_taints.is_empty() {
        tspec.insert("startupTaints".into(), to_json(&startup_taints));
    }
    if !taints.is_empty() {
        tspec.insert("taints".into(), to_json(&taints));
    }
    let mut template = serde_json::Map::new();
    if !labels.is_empty() {
        template.insert("metadata".into(), json!({"labels": labels}));
    }
    template.insert("spec".into(), Value::Object(tspec));
    let disruption = if v1 {
        json!({"budgets": [{"nodes": "10%"}], "consolidateAfter": "0s", "consolidationPolicy": "WhenEmptyOrUnderutilized"})
    } else {
        json!({"budgets": [{"nodes": "10%"}], "consolidationPolicy": "WhenUnderutilized"})
    };
    let mut spec = serde_json::Map::new();
    spec.insert("disruption".into(), disruption);
    if !limits.is_empty() {
        spec.insert("limits".into(), json!(limits));
    }
    spec.insert("template".into(), Value::Object(template));
    json!({"apiVersion": api_version, "kind": "NodePool", "metadata": {"name": name, "uid": nodepool_uid(name)}, "spec": spec})
}

/// A NodePool's uid, fixed by its name so that its NodeClaims can name their owner.
fn nodepool_uid(name: &str) -> String {
    // FNV-1a, twice over, into the uuid layout.
    let fnv = |seed: u64| {
        name.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    super::text::uuid_from(fnv(0xcbf2_9ce4_8422_2325), fnv(0x8422_2325_cbf2_9ce4))
}

/// The imageID of a scenario NodeClaim until the world resolves its EC2NodeClass at the node's
/// kubelet version (see world::nodeclass).
pub(crate) const SCENARIO_IMAGE_ID: &str = "ami-0c9b3a6f8e8c3e7d1";

/// The NodeClaim Karpenter keeps for a node it launched from a NodePool.
pub(crate) fn nodeclaim(
    api_version: &str,
    claim_name: &str,
    node: &NodeParams,
    pool: &str,
    node_class: &str,
) -> Value {
    let v1 = api_version == "karpenter.sh/v1";
    let node_class_ref = if v1 {
        json!({"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class})
    } else {
        json!({"kind": "EC2NodeClass", "name": node_class})
    };
    let (cpu, mem) = node.capacity.allocatable();
    let when = rfc3339(node.created);
    let conds: Vec<Value> = ["Launched", "Registered", "Initialized", "Ready"]
        .iter()
        .map(|t| json!({"type": t, "status": "True", "lastTransitionTime": when, "reason": t, "message": ""}))
        .collect();
    json!({
        "apiVersion": api_version,
        "kind": "NodeClaim",
        "metadata": {
            "name": claim_name,
            "labels": {"karpenter.sh/nodepool": pool, "karpenter.sh/capacity-type": "on-demand", "node.kubernetes.io/instance-type": node.instance_type, "topology.kubernetes.io/zone": node.zone},
            "finalizers": ["karpenter.sh/termination"],
            "ownerReferences": [{"apiVersion": api_version, "kind": "NodePool", "name": pool, "uid": nodepool_uid(pool), "blockOwnerDeletion": true}],
        },
        "spec": {
            "nodeClassRef": node_class_ref,
            "requirements": [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": [node.instance_type]}],
        },
        "status": {
            "nodeName": node.name,
            "providerID": format!("aws:///{}/{}", node.zone, node.instance_id),
            "imageID": SCENARIO_IMAGE_ID,
            "capacity": {"cpu": (node.capacity.cpu_milli / 1000).to_string(), "memory": format!("{}Ki", node.capacity.memory_ki), "pods": node.capacity.pods.to_string()},
            "allocatable": {"cpu": format!("{cpu}m"), "memory": format!("{mem}Ki"), "pods": node.capacity.pods.to_string()},
            "conditions": conds,
        },
    })
}

/// A pod template as the short workload form describes it.
#[derive(Clone, Debug, Default)]
pub(crate) struct PodParams {
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub image: String,
    pub node_selector: Labels,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<Affinity>,
    pub resources: Option<ResourceRequirements>,
    pub empty_dir: bool,
    pub port: Option<i32>,
    pub termination_grace_period_seconds: Option<i64>,
}

pub(crate) fn pod_spec(p: &PodParams) -> PodSpec {
    let mut volume_mounts = Vec::new();
    let mut volumes = Vec::new();
    if p.empty_dir {
        volume_mounts.push(VolumeMount {
            name: "cache".into(),
            mount_path: "/cache".into(),
            ..Default::default()
        });
        volumes.push(Volume {
            name: "cache".into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
    }
    PodSpec {
        containers: vec![Container {
            name: p.name.clone(),
            image: Some(p.image.clone()),
            ports: p.port.map(|port| {
                vec![ContainerPort {
                    container_port: port,
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]
            }),
            resources: p.resources.clone(),
            volume_mounts: (!volume_mounts.is_empty()).then_some(volume_mounts),
            termination_message_path: Some("/dev/termination-log".into()),
            termination_message_policy: Some("File".into()),
            image_pull_policy: Some("IfNotPresent".into()),
            ..Default::default()
        }],
        volumes: (!volumes.is_empty()).then_some(volumes),
        node_selector: (!p.node_selector.is_empty()).then(|| p.node_selector.clone()),
        tolerations: (!p.tolerations.is_empty()).then(|| p.tolerations.clone()),
        affinity: p.affinity.clone(),
        restart_policy: Some("Always".into()),
        termination_grace_period_seconds: Some(p.termination_grace_period_seconds.unwrap_or(30)),
        dns_policy: Some("ClusterFirst".into()),
        scheduler_name: Some("default-scheduler".into()),
        security_context: Some(Default::default()),
        ..Default::default()
    }
}

fn template(p: &PodParams) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(p.labels.clone()),
            annotations: (!p.annotations.is_empty()).then(|| p.annotations.clone()),
            ..Default::default()
        }),
        spec: Some(pod_spec(p)),
    }
}

fn meta(name: &str, namespace: &str, labels: &Labels) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(namespace.to_string()),
        labels: (!labels.is_empty()).then(|| labels.clone()),
        ..Default::default()
    }
}

fn selector(labels: &Labels) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels.clone()),
        match_expressions: None,
    }
}

pub(crate) fn deployment(namespace: &str, replicas: i32, p: &PodParams) -> Value {
    to_json(&Deployment {
        metadata: meta(&p.name, namespace, &p.labels),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: selector(&p.labels),
            template: template(p),
            ..Default::default()
        }),
        status: None,
    })
}

pub(crate) fn statefulset(namespace: &str, replicas: i32, p: &PodParams) -> Value {
    to_json(&StatefulSet {
        metadata: meta(&p.name, namespace, &p.labels),
        spec: Some(StatefulSetSpec {
            replicas: Some(replicas),
            selector: selector(&p.labels),
            service_name: Some(p.name.clone()),
            template: template(p),
            ..Default::default()
        }),
        status: None,
    })
}

pub(crate) fn daemonset(namespace: &str, p: &PodParams) -> Value {
    to_json(&DaemonSet {
        metadata: meta(&p.name, namespace, &p.labels),
        spec: Some(DaemonSetSpec {
            selector: selector(&p.labels),
            template: template(p),
            ..Default::default()
        }),
        status: None,
    })
}

/// A bare pod (no controller), left Pending for the scheduler unless bound to `node_name`.
pub(crate) fn bare_pod(
    name: &str,
    namespace: &str,
    p: &PodParams,
    node_name: Option<&str>,
) -> Value {
    let mut spec = pod_spec(p);
    spec.node_name = node_name.map(str::to_string);
    spec.service_account_name = Some("default".into());
    to_json(&Pod {
        metadata: ObjectMeta {
            annotations: (!p.annotations.is_empty()).then(|| p.annotations.clone()),
            ..meta(name, namespace, &p.labels)
        },
        spec: Some(spec),
        status: Some(PodStatus {
            phase: Some("Pending".into()),
            qos_class: None,
            ..Default::default()
        }),
    })
}

pub(crate) fn pdb(
    name: &str,
    namespace: &str,
    min_available: Option<IntOrString>,
    max_unavailable: Option<IntOrString>,
    match_labels: &Labels,
) -> Value {
    to_json(&PodDisruptionBudget {
        metadata: meta(name, namespace, &Labels::new()),
        spec: Some(PodDisruptionBudgetSpec {
            min_available,
            max_unavailable,
            selector: Some(selector(match_labels)),
            ..Default::default()
        }),
        status: None,
    })
}

/// The Karpenter controller Deployment as the Helm chart (charts/karpenter) renders it:
/// `karpenter.labels` on the Deployment, name/instance on the pods, container `controller`,
/// image `public.ecr.aws/karpenter/controller:VERSION@sha256:…` (the digest is made up, fixed
/// by the version), and the chart's affinity keeping it off Karpenter's own nodes.
pub(crate) fn karpenter_deployment(
    version: &str,
    namespace: &str,
    release: &str,
    replicas: i64,
) -> Value {
    let name = if release.contains("karpenter") {
        release.to_string()
    } else {
        format!("{release}-karpenter")
    };
    let chart = format!("karpenter-{}", version.replace('+', "_"));
    let digest: String = (0..4u64)
        .map(|i| {
            let h = version.bytes().fold(0xcbf2_9ce4_8422_2325_u64 ^ i, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            format!("{h:016x}")
        })
        .collect();
    let selector =
        json!({"app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": release});
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "helm.sh/chart": chart,
                "app.kubernetes.io/name": "karpenter",
                "app.kubernetes.io/instance": release,
                "app.kubernetes.io/version": version,
                "app.kubernetes.io/managed-by": "Helm",
            },
            "annotations": {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace},
        },
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "strategy": {"rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {
                    "serviceAccountName": name,
                    "priorityClassName": "system-cluster-critical",
                    "dnsPolicy": "ClusterFirst",
                    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}]}}},
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                    "containers": [{
                        "name": "controller",
                        "image": format!("public.ecr.aws/karpenter/controller:{version}@sha256:{digest}"),
                        "imagePullPolicy": "IfNotPresent",
                        "env": [
                            {"name": "KUBERNETES_MIN_VERSION", "value": "1.19.0-0"},
                            {"name": "SYSTEM_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                        ],
                        "ports": [{"name": "http-metrics", "containerPort": 8080, "protocol": "TCP"}],
                        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
                    }],
                },
            },
        },
    })
}
