//! The EKS add-on calls of `kup upgrade`: ListAddons, DescribeAddon, DescribeAddonVersions for
//! a hop, UpdateAddon, and DescribeUpdate of an add-on update.

use super::{ClusterError, Eks, UpdateState};
use crate::eks::AddonVersionOffer as Offered;

/// An installed add-on as DescribeAddon shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledAddon {
    pub name: String,
    pub version: String,
    /// ACTIVE, UPDATING, DEGRADED, ...
    pub status: String,
}

impl Eks {
    /// Every installed add-on (ListAddons + DescribeAddon each).
    pub async fn installed_addons(&self) -> Result<Vec<InstalledAddon>, ClusterError> {
        let names: Vec<String> = self
            .client
            .list_addons()
            .cluster_name(&self.cluster)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("ListAddons", e))?;
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            out.push(self.addon_state(&n).await?);
        }
        Ok(out)
    }

    pub async fn addon_state(&self, name: &str) -> Result<InstalledAddon, ClusterError> {
        let call = "DescribeAddon";
        let out = self
            .client
            .describe_addon()
            .cluster_name(&self.cluster)
            .addon_name(name)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        let a = out
            .addon()
            .ok_or_else(|| self.malformed(call, "no addon"))?;
        Ok(InstalledAddon {
            name: name.to_string(),
            version: a.addon_version().unwrap_or_default().to_string(),
            status: a
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
        })
    }

    /// The versions of `addon` compatible with Kubernetes `version` (`1.26`).
    pub async fn addon_offers(
        &self,
        addon: &str,
        version: &str,
    ) -> Result<Vec<Offered>, ClusterError> {
        let infos: Vec<_> = self
            .client
            .describe_addon_versions()
            .addon_name(addon)
            .kubernetes_version(version)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("DescribeAddonVersions", e))?;
        Ok(infos
            .iter()
            .filter(|i| i.addon_name() == Some(addon))
            .flat_map(|i| i.addon_versions())
            .filter_map(|v| {
                let compat: Vec<_> = v
                    .compatibilities()
                    .iter()
                    .filter(|c| c.cluster_version() == Some(version))
                    .collect();
                (!compat.is_empty()).then(|| Offered {
                    version: v.addon_version().unwrap_or_default().to_string(),
                    default: compat.iter().any(|c| c.default_version()),
                })
            })
            .collect())
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
        out.update()
            .and_then(|u| u.id())
            .map(str::to_string)
            .ok_or_else(|| self.malformed(call, "no update id"))
    }

    pub async fn describe_addon_update(
        &self,
        addon: &str,
        id: &str,
    ) -> Result<UpdateState, ClusterError> {
        let call = "DescribeUpdate";
        let out = self
            .client
            .describe_update()
            .name(&self.cluster)
            .addon_name(addon)
            .update_id(id)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        let u = out
            .update()
            .ok_or_else(|| self.malformed(call, "no update"))?;
        Ok(UpdateState {
            id: id.to_string(),
            status: u
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "Unknown".into()),
            errors: super::error_details(u.errors()),
        })
    }
}
