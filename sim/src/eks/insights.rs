//! Upgrade insights (ListInsights / DescribeInsight), computed from the sim's live state as
//! EKS computes them, then the scenario's `insights:` applied (same name: replaced).

use super::uuid_like;
use crate::resources::Kind;
use crate::state::SimState;
use serde_json::{Value, json};

pub const KUBELET_SKEW: &str = "Kubelet version skew";
pub const ADDON_COMPAT: &str = "Amazon EKS add-on version compatibility";

/// One insight, in the Insight shape (InsightSummary is a subset of its keys).
pub fn all(st: &SimState) -> Vec<Value> {
    let now = st.clock.now();
    let ts = super::epoch(now);
    let cp = super::control_plane_minor(&st.cluster.git_version);
    let next = format!("1.{}", cp + 1);
    let id = |name: &str| uuid_like(crate::world::objects::fnv64(name), 1);
    let mut out = Vec::new();

    // Kubelet skew against the next minor: kubelets may be 3 minors older than the API server
    // from 1.28 on, 2 before (Kubernetes version skew policy).
    let allowed = if cp + 1 >= 28 { 3 } else { 2 };
    let mut worst = "PASSING";
    let mut resources = Vec::new();
    for n in st.store.list(Kind::Node, None) {
        let kubelet = n
            .pointer("/status/nodeInfo/kubeletVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let m = super::control_plane_minor(kubelet);
        if m == 0 {
            continue;
        }
        let status = if m + allowed < cp + 1 {
            "ERROR"
        } else if m + allowed == cp + 1 {
            "WARNING"
        } else {
            continue;
        };
        if status == "ERROR" || worst == "PASSING" {
            worst = status;
        }
        let name = n
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        resources.push(json!({
            "insightStatus": {"status": status, "reason": format!("Node kubelet version {kubelet} is {} minor versions behind Kubernetes {next}.", cp + 1 - m)},
            "kubernetesResourceUri": format!("/api/v1/nodes/{name}"),
        }));
    }
    let reason = match worst {
        "PASSING" => {
            "Kubelet versions of worker nodes are within the supported skew of the next version."
                .to_string()
        }
        "WARNING" => format!(
            "Some worker nodes run a kubelet at the oldest version Kubernetes {next} supports; they must be upgraded before the following upgrade."
        ),
        _ => format!("Some worker nodes run a kubelet older than Kubernetes {next} supports."),
    };
    out.push(json!({
        "id": id(KUBELET_SKEW),
        "name": KUBELET_SKEW,
        "category": "UPGRADE_READINESS",
        "kubernetesVersion": next,
        "lastRefreshTime": ts,
        "lastTransitionTime": ts,
        "description": "Checks for kubelet versions of worker nodes in the cluster to see if upgrade would cause kubelet version skew to be out of the supported policy.",
        "insightStatus": {"status": worst, "reason": reason},
        "recommendation": "Upgrade your worker nodes to match the Kubernetes version of your cluster control plane before upgrading the control plane.",
        "additionalInfo": {
            "Kubelet version skew policy": "https://kubernetes.io/releases/version-skew-policy/#kubelet",
            "Updating a managed node group": "https://docs.aws.amazon.com/eks/latest/userguide/update-managed-node-group.html",
        },
        "resources": resources,
        "categorySpecificSummary": {},
    }));

    out.push(json!({
        "id": id(ADDON_COMPAT),
        "name": ADDON_COMPAT,
        "category": "UPGRADE_READINESS",
        "kubernetesVersion": next,
        "lastRefreshTime": ts,
        "lastTransitionTime": ts,
        "description": "Checks version of installed EKS add-ons to ensure they are compatible with the next version of Kubernetes.",
        "insightStatus": {"status": "PASSING", "reason": "All installed Amazon EKS add-on versions are compatible with the next Kubernetes version."},
        "recommendation": "Upgrade your EKS add-on to a version compatible with the next Kubernetes version.",
        "additionalInfo": {"Amazon EKS add-ons": "https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html"},
        "resources": [],
        "categorySpecificSummary": {"addonCompatibilityDetails": []},
    }));

    let deprecated = format!("Deprecated APIs removed in Kubernetes v{next}");
    out.push(super::deprecations::insight(st, &next, id(&deprecated), ts));

    for spec in &st.eks.settings.insights {
        let v = json!({
            "id": spec.id.clone().unwrap_or_else(|| id(&spec.name)),
            "name": spec.name,
            "category": spec.category.clone().unwrap_or_else(|| "UPGRADE_READINESS".into()),
            "kubernetesVersion": spec.kubernetes_version.clone().unwrap_or_else(|| next.clone()),
            "lastRefreshTime": ts,
            "lastTransitionTime": ts,
            "description": spec.description.clone().unwrap_or_default(),
            "insightStatus": {"status": spec.status, "reason": spec.reason.clone().unwrap_or_default()},
            "recommendation": spec.recommendation.clone().unwrap_or_default(),
            "additionalInfo": spec.additional_info,
            "resources": spec.resources.iter().map(|r| json!({
                "insightStatus": {"status": spec.status, "reason": spec.reason.clone().unwrap_or_default()},
                "kubernetesResourceUri": r,
            })).collect::<Vec<_>>(),
            "categorySpecificSummary": {},
        });
        match out.iter_mut().find(|i| i["name"] == json!(spec.name)) {
            Some(i) => *i = v,
            None => out.push(v),
        }
    }
    out
}

/// The InsightSummary of an insight.
pub fn summary(i: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for k in [
        "id",
        "name",
        "category",
        "kubernetesVersion",
        "lastRefreshTime",
        "lastTransitionTime",
        "description",
        "insightStatus",
    ] {
        if let Some(v) = i.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    Value::Object(m)
}
