//! Which version an EKS add-on moves to at a hop (pure): the hop's default version
//! (`--addons default`) or the newest compatible one (`--addons latest`), from what
//! DescribeAddonVersions offers; never a downgrade, nothing when it is already there.

use crate::addons::version_key;
pub use crate::eks::AddonVersionOffer as Offered;

/// The version to update to, or None when the add-on stays (already there or newer, or
/// nothing offered for the hop).
pub fn target_version(current: &str, offered: &[Offered], latest: bool) -> Option<String> {
    let pick = if latest {
        offered.iter().max_by_key(|o| version_key(&o.version))
    } else {
        offered.iter().find(|o| o.default)
    }?;
    (version_key(&pick.version) > version_key(current)).then(|| pick.version.clone())
}

/// The installed add-ons and what EKS offers each at every hop, from what the snapshot's EKS
/// read holds (DescribeAddon, DescribeAddonVersions); empty when skipped or not read (the plan
/// then names the step without versions). A hop is absent where the add-on's versions were not read.
pub fn addon_offers(
    snapshot: &crate::model::Snapshot,
    opts: &super::UpgradeOptions,
) -> Vec<super::AddonOffers> {
    let (crate::eks::EksSection::Read(info), Some(cp)) =
        (&snapshot.eks, snapshot.control_plane.version())
    else {
        return Vec::new();
    };
    if opts.addons == super::AddonsMode::Skip {
        return Vec::new();
    }
    let hops = super::hops(cp, &opts.to);
    let installed = info.addons.as_deref().unwrap_or_default();
    installed
        .iter()
        .map(|a| {
            let lists = info.addon_versions.iter().find(|l| l.name == a.name);
            super::AddonOffers {
                name: a.name.clone(),
                version: a.version.clone(),
                offered: lists
                    .map(|l| {
                        hops.iter()
                            .map(|h| (h.minor_str(), l.offered_for(&h.minor_str())))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(v: &str, default: bool) -> Offered {
        Offered {
            version: v.into(),
            default,
        }
    }

    #[test]
    fn default_latest_and_never_down() {
        let o = [
            offer("v1.19.2-eksbuild.1", true),
            offer("v1.20.4-eksbuild.2", false),
            offer("v1.18.3-eksbuild.2", false),
        ];
        assert_eq!(
            target_version("v1.18.3-eksbuild.2", &o, false).as_deref(),
            Some("v1.19.2-eksbuild.1")
        );
        assert_eq!(
            target_version("v1.18.3-eksbuild.2", &o, true).as_deref(),
            Some("v1.20.4-eksbuild.2")
        );
        assert_eq!(target_version("v1.19.2-eksbuild.1", &o, false), None);
        // Newer than the hop's default already: left alone.
        assert_eq!(target_version("v1.20.4-eksbuild.2", &o, false), None);
        assert_eq!(target_version("v1.11.1-eksbuild.13", &[], false), None);
        // eksbuild numbers compare as numbers.
        assert!(version_key("v1.11.1-eksbuild.13") > version_key("v1.11.1-eksbuild.9"));
    }
}
