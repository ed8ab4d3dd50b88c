//! EKS add-ons through aws-sdk-eks: ListAddons, DescribeAddon for each (a few at a time) and
//! DescribeAddonVersions for the installed add-ons plus the core components (kube-proxy,
//! coredns, vpc-cni), turned into the plain `crate::addons` types. Every version EKS offers is
//! read (no `kubernetesVersion`), so the report can judge any target.

use super::ClusterError;
use super::eks::{Eks, each, issue_text};
use crate::addons::{Addon, AddonVersion, AddonVersions};

/// Judged by their image tag when not installed as EKS add-ons.
pub const CORE_COMPONENTS: [&str; 3] = ["kube-proxy", "coredns", "vpc-cni"];

impl Eks {
    /// The installed add-ons that could be described, the version lists, and why the others
    /// could not be read. Only ListAddons failing fails it.
    pub(super) async fn addons_each(
        &self,
    ) -> Result<(Vec<Addon>, Vec<AddonVersions>, Vec<String>), ClusterError> {
        let names = self.addon_names().await?;
        let (mut addons, mut failed) =
            each(&names, "DescribeAddon", |n| self.describe_addon(n)).await;
        let mut wanted: Vec<String> = names.clone();
        for c in CORE_COMPONENTS {
            if !wanted.iter().any(|n| n == c) {
                wanted.push(c.to_string());
            }
        }
        let (versions, more) =
            each(&wanted, "DescribeAddonVersions", |n| self.addon_versions(n)).await;
        failed.extend(more);
        addons.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((addons, versions, failed))
    }

    /// ListAddons, every page.
    pub async fn addon_names(&self) -> Result<Vec<String>, ClusterError> {
        self.client()
            .list_addons()
            .cluster_name(&self.cluster)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("ListAddons", e))
    }

    pub async fn describe_addon(&self, name: &str) -> Result<Addon, ClusterError> {
        let call = "DescribeAddon";
        let out = self
            .client()
            .describe_addon()
            .cluster_name(&self.cluster)
            .addon_name(name)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        let a = out
            .addon()
            .ok_or_else(|| self.malformed(call, "no addon"))?;
        Ok(Addon {
            name: a.addon_name().unwrap_or(name).to_string(),
            version: a.addon_version().unwrap_or_default().to_string(),
            status: a
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
            health_issues: a
                .health()
                .map(|h| {
                    h.issues()
                        .iter()
                        .map(|i| issue_text(i.code().map(|c| c.as_str()), i.message()))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Every version EKS offers of one add-on, with the minors each supports.
    pub async fn addon_versions(&self, name: &str) -> Result<AddonVersions, ClusterError> {
        let infos: Vec<_> = self
            .client()
            .describe_addon_versions()
            .addon_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("DescribeAddonVersions", e))?;
        let versions = infos
            .iter()
            .filter(|i| i.addon_name() == Some(name))
            .flat_map(|i| i.addon_versions())
            .map(|v| AddonVersion {
                version: v.addon_version().unwrap_or_default().to_string(),
                compatibilities: v
                    .compatibilities()
                    .iter()
                    .filter_map(|c| Some((c.cluster_version()?.to_string(), c.default_version())))
                    .collect(),
            })
            .collect();
        Ok(AddonVersions {
            name: name.to_string(),
            versions,
        })
    }
}
