//! Where a run continues, from what the cluster and EKS show (never from a file on the
//! laptop): the control plane's `/version`, the cluster's updates (ListUpdates +
//! DescribeUpdate), and the nodes still behind. A control-plane update InProgress, or
//! Successful while `/version` has not moved yet, is followed, never started a second time.

use crate::version::{Version, minor_of};

/// One control-plane update EKS reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateSeen {
    pub id: String,
    /// `1.26`.
    pub version: Option<String>,
    /// InProgress, Successful, Failed, Cancelled.
    pub status: String,
}

/// What a run sees before each step.
#[derive(Clone, Debug)]
pub struct Observed {
    /// `/version`.
    pub control_plane: Version,
    pub updates: Vec<UpdateSeen>,
    /// Nodes (and managed node groups, by EKS's version) behind the control plane's minor.
    pub behind: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Gate, then UpdateClusterVersion, then wait for it.
    Gate,
    /// An update EKS already has for this hop: wait for it, start none.
    FollowUpdate(String),
    /// Another kind of cluster update (logging, endpoint access, ...) is in progress: EKS
    /// refuses a version update until it ends, so wait for it, then look again.
    WaitOther(String),
    /// Add-ons, node groups, Karpenter nodes, then verify.
    Nodes,
    /// Every node at `--to`.
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resume {
    /// `1.26`.
    pub hop: Version,
    pub step: Step,
}

/// The next step toward `to`.
pub fn resume(o: &Observed, to: &Version) -> Resume {
    let cp = (o.control_plane.major, o.control_plane.minor);
    let hop_of = |v: &str| minor_of(v).map(|(major, m)| Version::new(major, m, None));
    // An update in flight, or one EKS finished that `/version` does not show yet.
    let pending = o.updates.iter().find(|u| {
        u.status == "InProgress"
            || (u.status == "Successful"
                && u.version
                    .as_deref()
                    .and_then(minor_of)
                    .is_some_and(|v| v > cp))
    });
    if let Some(u) = pending
        && let Some(hop) = u.version.as_deref().and_then(hop_of)
    {
        return Resume {
            hop,
            step: Step::FollowUpdate(u.id.clone()),
        };
    }
    let here = Version::new(cp.0, cp.1, None);
    if o.behind > 0 {
        return Resume {
            hop: here,
            step: Step::Nodes,
        };
    }
    if (to.major, to.minor) > cp {
        if let Some(u) = o
            .updates
            .iter()
            .find(|u| u.status == "InProgress" && u.version.is_none())
        {
            return Resume {
                hop: Version::new(cp.0, cp.1 + 1, None),
                step: Step::WaitOther(u.id.clone()),
            };
        }
        return Resume {
            hop: Version::new(cp.0, cp.1 + 1, None),
            step: Step::Gate,
        };
    }
    Resume {
        hop: here,
        step: Step::Done,
    }
}
