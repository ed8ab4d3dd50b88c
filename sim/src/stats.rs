//! Counters for tests and the benchmark, served at `GET /sim/stats`.

use std::collections::BTreeMap;

/// Safety counters: the world keeps them; a correct kup keeps `pdb_violations` and `pods_lost` at 0.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SafetyStats {
    /// Evictions (or deletions) that left a PDB below what it allows.
    pub pdb_violations: u64,
    /// Pods deleted without a controller to replace them.
    pub pods_lost: u64,
    /// Most nodes with spec.unschedulable=true at one time.
    pub max_unschedulable_nodes: u64,
    /// NodePool name -> most of its nodes disrupted at one time (deleting, or marked
    /// `karpenter.sh/disrupted` by Karpenter): never above what its budgets allow.
    pub max_disrupting_by_pool: BTreeMap<String, u64>,
    /// `namespace/name` of each PDB -> lowest count of Ready pods it selected, seen at any time.
    pub min_ready_by_pdb: BTreeMap<String, u64>,
    /// Accepted evictions (201).
    pub evictions: u64,
    /// Evictions refused with 429 because of a PDB.
    pub evictions_blocked: u64,
    /// Nodes Karpenter launched.
    pub nodes_launched: u64,
    /// Nodes removed (finalizer done / deleted).
    pub nodes_terminated: u64,
}

/// API request counters (everything but `/sim/*`), kept by the HTTP side.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RequestStats {
    /// Every API request, including discovery, `/version` and refused ones (401/403/faults).
    pub total: u64,
    /// Resource requests by Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection).
    pub by_verb: BTreeMap<String, u64>,
    /// Resource requests by resource (`pods`, `nodes/status`, `pods/eviction`).
    pub by_resource: BTreeMap<String, u64>,
    /// `"list nodes": 10`.
    pub by_verb_resource: BTreeMap<String, u64>,
    /// Kubernetes API answers by Content-Type (`application/json`,
    /// `application/vnd.kubernetes.protobuf`, ...), errors included: which wire was used.
    pub by_content_type: BTreeMap<String, u64>,
    /// Protobuf list pages the `corrupt_protobuf_pages` fault cut in half.
    pub protobuf_pages_cut: u64,
}

/// EKS API request counters (not part of `requests`).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EksStats {
    pub total: u64,
    /// Requests that change something (Update*, Create*, Delete*, Tag*), refused ones too.
    pub writes: u64,
    /// `"DescribeCluster": 2`, ... (`Unknown` for paths no operation matches).
    pub by_operation: BTreeMap<String, u64>,
}

/// Everything `GET /sim/stats` reports besides the safety counters.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub requests: RequestStats,
    /// EKS API requests, every one (refused and faulted ones too).
    pub eks: EksStats,
    /// SSM API requests (`POST /` with `X-Amz-Target: AmazonSSM.*`), same shape as `eks`.
    pub ssm: EksStats,
    /// Requests with a method other than GET/HEAD (`/sim/*` excluded), dry runs excepted.
    pub writes: u64,
    /// Writes that asked for `dryRun` (they change nothing).
    pub dry_run_writes: u64,
    /// Response body bytes sent (after compression; watch events included).
    pub bytes_sent: u64,
}

impl Counters {
    /// Count one API request; `verb_resource` is None for non-resource paths (discovery, /version).
    pub fn count(&mut self, is_write: bool, verb_resource: Option<(&str, &str)>) {
        self.requests.total += 1;
        if is_write {
            self.writes += 1;
        }
        if let Some((verb, resource)) = verb_resource {
            *self.requests.by_verb.entry(verb.to_string()).or_default() += 1;
            *self
                .requests
                .by_resource
                .entry(resource.to_string())
                .or_default() += 1;
            *self
                .requests
                .by_verb_resource
                .entry(format!("{verb} {resource}"))
                .or_default() += 1;
        }
    }

    /// Count one Kubernetes API answer's Content-Type.
    pub fn count_content_type(&mut self, content_type: &str) {
        *self
            .requests
            .by_content_type
            .entry(content_type.to_string())
            .or_default() += 1;
    }

    /// Count one SSM API request.
    pub fn ssm_count(&mut self, operation: &str) {
        self.ssm.total += 1;
        *self
            .ssm
            .by_operation
            .entry(operation.to_string())
            .or_default() += 1;
    }

    /// Count one EKS API request.
    pub fn count_eks(&mut self, operation: &str) {
        self.eks.total += 1;
        if [
            "Update",
            "Create",
            "Delete",
            "Tag",
            "Untag",
            "Associate",
            "Disassociate",
        ]
        .iter()
        .any(|p| operation.starts_with(p))
        {
            self.eks.writes += 1;
        }
        *self
            .eks
            .by_operation
            .entry(operation.to_string())
            .or_default() += 1;
    }

    /// The `/sim/stats` document: `requests`, `writes`, `bytes_sent`, and every field of
    /// `SafetyStats` at top level.
    pub fn to_json(&self, safety: &SafetyStats) -> serde_json::Value {
        let mut doc = match serde_json::to_value(safety) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        doc.insert(
            "requests".into(),
            serde_json::to_value(&self.requests).unwrap_or_default(),
        );
        doc.insert(
            "eks".into(),
            serde_json::to_value(&self.eks).unwrap_or_default(),
        );
        doc.insert(
            "ssm".into(),
            serde_json::to_value(&self.ssm).unwrap_or_default(),
        );
        doc.insert("writes".into(), self.writes.into());
        doc.insert("dry_run_writes".into(), self.dry_run_writes.into());
        doc.insert("bytes_sent".into(), self.bytes_sent.into());
        serde_json::Value::Object(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_json() {
        let mut c = Counters::default();
        c.count(false, Some(("list", "nodes")));
        c.count(false, Some(("list", "nodes")));
        c.count(true, Some(("create", "pods/eviction")));
        c.count(false, None);
        let j = c.to_json(&SafetyStats {
            pdb_violations: 2,
            ..Default::default()
        });
        assert_eq!(j["requests"]["total"], 4);
        assert_eq!(j["requests"]["by_verb_resource"]["list nodes"], 2);
        assert_eq!(j["requests"]["by_resource"]["pods/eviction"], 1);
        assert_eq!(j["writes"], 1);
        assert_eq!(j["pdb_violations"], 2);
        assert!(j.get("min_ready_by_pdb").is_some());
    }
}
