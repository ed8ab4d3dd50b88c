//! The EKS add-on writes of `kup upgrade`: UpdateAddon, and DescribeUpdate of an add-on update
//! (the reads are `cluster/addons.rs`'s, shared with `kup check`).

use super::{ClusterError, Eks, UpdateOf, UpdateState};
use crate::addons::Addon;

impl Eks {
    /// Every installed add-on (ListAddons + DescribeAddon each); any failure fails the step.
    pub async fn installed_addons(&self) -> Result<Vec<Addon>, ClusterError> {
        let mut out = Vec::new();
        for n in self.addon_names().await? {
            out.push(self.describe_addon(&n).await?);
        }
        Ok(out)
    }

    /// UpdateAddon to `version`, keeping the user's configuration changes (PRESERVE).
    pub async fn update_addon(&self, addon: &str, version: &str) -> Result<String, ClusterError> {
        let call = "UpdateAddon";
        let out = self
            .client
            .update_addon()
            .cluster_name(&self.cluster)
            .addon_name(addon)
            .addon_version(version)
            .resolve_conflicts(aws_sdk_eks::types::ResolveConflicts::Preserve)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        self.update_id(call, out.update())
    }

    pub async fn describe_addon_update(
        &self,
        addon: &str,
        id: &str,
    ) -> Result<UpdateState, ClusterError> {
        let u = self.update(UpdateOf::Addon(addon), id).await?;
        Ok(UpdateState::of(id, &u))
    }
}
