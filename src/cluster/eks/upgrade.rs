//! The EKS calls of `kup upgrade`: UpdateClusterVersion, and the cluster's own updates
//! (ListUpdates and DescribeUpdate without a node group), read to resume a run.

use super::{ClusterError, Eks, UpdateOf, UpdateState};

/// One control-plane update as DescribeUpdate shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterUpdate {
    pub id: String,
    /// The `Version` parameter (`1.26`); None for updates of another type.
    pub version: Option<String>,
    /// InProgress, Successful, Failed or Cancelled.
    pub status: String,
    /// `CODE: message (resources)` of each error.
    pub errors: Vec<String>,
}

impl Eks {
    /// UpdateClusterVersion to `version` (`1.26`); returns the update id.
    pub async fn update_cluster_version(&self, version: &str) -> Result<String, ClusterError> {
        let call = "UpdateClusterVersion";
        let out = self
            .client
            .update_cluster_version()
            .name(&self.cluster)
            .version(version)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        self.update_id(call, out.update())
    }

    /// Every update of the cluster itself (ListUpdates + DescribeUpdate each), in EKS's order.
    pub async fn cluster_updates(&self) -> Result<Vec<ClusterUpdate>, ClusterError> {
        let ids: Vec<String> = self
            .client
            .list_updates()
            .name(&self.cluster)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("ListUpdates", e))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.describe_cluster_update(&id).await?);
        }
        Ok(out)
    }

    pub async fn describe_cluster_update(&self, id: &str) -> Result<ClusterUpdate, ClusterError> {
        let u = self.update(UpdateOf::Cluster, id).await?;
        let state = UpdateState::of(id, &u);
        Ok(ClusterUpdate {
            id: state.id,
            version: u
                .params()
                .iter()
                .find(|p| p.r#type().map(|t| t.as_str()) == Some("Version"))
                .and_then(|p| p.value())
                .map(str::to_string),
            status: state.status,
            errors: state.errors,
        })
    }
}
