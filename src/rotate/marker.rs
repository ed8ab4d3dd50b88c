//! The rotation marker kup writes on every node it touches, `kup.dev/rotation: RUNID/PHASE`, so
//! that a second run (or `--abort`) knows what an interrupted one did. A node someone else had
//! already cordoned when kup marked it carries `RUNID/PHASE/already-cordoned`, so `--abort`
//! leaves that cordon alone. Pure: parse and format.

use std::fmt;

use serde::Serialize;

use super::plan::WorkloadRef;
use crate::model::WorkloadKind;

/// The annotation holding the marker.
pub const ROTATION_ANNOTATION: &str = "kup.dev/rotation";

/// The workloads whose pods a run moves off the node, written with the cordon as
/// `Kind/NAMESPACE/NAME,...`: a run that resumes after those pods are gone (an earlier run
/// evicted them) still waits for the workloads to be available again before it calls the node
/// verified.
pub const WORKLOADS_ANNOTATION: &str = "kup.dev/rotation-workloads";

/// `Deployment/default/nginx,StatefulSet/db/pg`, sorted, without duplicates.
pub fn format_workloads<'a>(ws: impl IntoIterator<Item = &'a WorkloadRef>) -> String {
    let set: std::collections::BTreeSet<&WorkloadRef> = ws.into_iter().collect();
    let parts: Vec<String> = set
        .into_iter()
        .map(|w| format!("{}/{}/{}", w.kind.as_str(), w.namespace, w.name))
        .collect();
    parts.join(",")
}

/// The workloads of a `WORKLOADS_ANNOTATION`; entries that are not `Kind/NAMESPACE/NAME` with a
/// known kind are skipped (someone edited the annotation: verify what can be read).
pub fn parse_workloads(text: &str) -> Vec<WorkloadRef> {
    text.split(',')
        .filter_map(|entry| {
            let mut parts = entry.trim().splitn(3, '/');
            let kind = WorkloadKind::from_kind(parts.next()?)?;
            let namespace = parts.next().filter(|s| !s.is_empty())?;
            let name = parts.next().filter(|s| !s.is_empty() && !s.contains('/'))?;
            Some(WorkloadRef {
                kind,
                namespace: namespace.to_string(),
                name: name.to_string(),
            })
        })
        .collect()
}

/// How far a node's rotation got. Ordered: each phase implies the previous ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// `spec.unschedulable` set by kup.
    Cordoned,
    /// Every evictable pod evicted and gone.
    Drained,
    /// The Node deleted (Karpenter's finalizer terminates the instance).
    Deleted,
    /// Replacement capacity Ready at the target and the evicted workloads available again.
    Verified,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Cordoned,
        Phase::Drained,
        Phase::Deleted,
        Phase::Verified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Cordoned => "cordoned",
            Phase::Drained => "drained",
            Phase::Deleted => "deleted",
            Phase::Verified => "verified",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed `kup.dev/rotation` value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Marker {
    pub run_id: String,
    pub phase: Phase,
    /// The node was already cordoned (not by kup) when kup marked it: kup must not uncordon it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_cordoned: bool,
}

/// The third part of a marker on a node kup found cordoned.
const ALREADY_CORDONED: &str = "already-cordoned";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unreadable rotation marker {value:?} (annotation {ROTATION_ANNOTATION}): expected \
     RUNID/PHASE or RUNID/PHASE/already-cordoned with PHASE one of cordoned, drained, deleted, \
     verified"
)]
pub struct MarkerError {
    pub value: String,
}

impl Marker {
    pub fn new(run_id: impl Into<String>, phase: Phase) -> Marker {
        Marker {
            run_id: run_id.into(),
            phase,
            already_cordoned: false,
        }
    }

    /// The same marker, saying whether the node was cordoned before kup marked it.
    pub fn already_cordoned(mut self, yes: bool) -> Marker {
        self.already_cordoned = yes;
        self
    }

    /// The same run and cordon origin at another phase.
    pub fn at(&self, phase: Phase) -> Marker {
        Marker {
            phase,
            ..self.clone()
        }
    }

    /// `RUNID/PHASE` or `RUNID/PHASE/already-cordoned`. Run ids may not contain `/` but need
    /// not be anything in particular; an empty run id is refused.
    pub fn parse(value: &str) -> Result<Marker, MarkerError> {
        let err = || MarkerError {
            value: value.to_string(),
        };
        let mut parts = value.trim().split('/');
        let (Some(run_id), Some(phase)) = (parts.next(), parts.next()) else {
            return Err(err());
        };
        let already_cordoned = match parts.next() {
            None => false,
            Some(ALREADY_CORDONED) => true,
            Some(_) => return Err(err()),
        };
        if parts.next().is_some() || run_id.is_empty() {
            return Err(err());
        }
        let phase = Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == phase)
            .ok_or_else(err)?;
        Ok(Marker::new(run_id, phase).already_cordoned(already_cordoned))
    }

    /// The marker a node carries, if any: None when absent, Some(Err) when unreadable.
    pub fn of(annotations: &crate::model::Labels) -> Option<Result<Marker, MarkerError>> {
        annotations
            .get(ROTATION_ANNOTATION)
            .map(|v| Marker::parse(v))
    }
}

/// The annotation value, `RUNID/PHASE[/already-cordoned]`.
impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.run_id, self.phase)?;
        if self.already_cordoned {
            write!(f, "/{ALREADY_CORDONED}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        for phase in Phase::ALL {
            let m = Marker::new("r-20261124-0551", phase);
            assert_eq!(Marker::parse(&m.to_string()), Ok(m.clone()));
            let pre = m.already_cordoned(true);
            assert_eq!(
                pre.to_string(),
                format!("r-20261124-0551/{phase}/already-cordoned")
            );
            assert_eq!(Marker::parse(&pre.to_string()), Ok(pre));
        }
        let m = Marker::parse("r1/cordoned/already-cordoned").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            m.at(Phase::Verified).to_string(),
            "r1/verified/already-cordoned"
        );
    }

    #[test]
    fn bad_markers_are_errors_not_panics() {
        for bad in [
            "",
            "/",
            "run",
            "run/",
            "/cordoned",
            "run/evicted",
            "a/b/cordoned",
            "run/Cordoned",
            "run/cordoned/",
            "run/cordoned/yes",
            "run/cordoned/already-cordoned/x",
        ] {
            let e = Marker::parse(bad);
            assert!(e.is_err(), "{bad:?} parsed as {e:?}");
        }
        let msg = Marker::parse("x/y").err().map(|e| e.to_string());
        assert!(msg.is_some_and(|m| m.contains("\"x/y\"") && m.contains("kup.dev/rotation")));
    }

    #[test]
    fn phases_are_ordered_and_serialise_lowercase() {
        assert!(Phase::Cordoned < Phase::Drained && Phase::Deleted < Phase::Verified);
        let json = serde_json::to_value(Marker::new("r1", Phase::Drained)).unwrap_or_default();
        assert_eq!(json, serde_json::json!({"runId": "r1", "phase": "drained"}));
    }

    #[test]
    fn marker_of_annotations() {
        let mut a = crate::model::Labels::new();
        assert!(Marker::of(&a).is_none());
        a.insert(ROTATION_ANNOTATION.into(), "r1/deleted".into());
        assert_eq!(Marker::of(&a), Some(Ok(Marker::new("r1", Phase::Deleted))));
    }

    #[test]
    fn workloads_round_trip_and_bad_entries_are_skipped() {
        let w = |kind, ns: &str, name: &str| WorkloadRef {
            kind,
            namespace: ns.into(),
            name: name.into(),
        };
        let ws = [
            w(WorkloadKind::StatefulSet, "db", "pg"),
            w(WorkloadKind::Deployment, "default", "nginx"),
            w(WorkloadKind::Deployment, "default", "nginx"),
        ];
        let text = format_workloads(&ws);
        assert_eq!(text, "Deployment/default/nginx,StatefulSet/db/pg");
        assert_eq!(parse_workloads(&text), vec![ws[1].clone(), ws[0].clone()]);
        assert_eq!(
            parse_workloads("Deployment/default/nginx, Gadget/x/y,Deployment//z,Deployment/a/b/c,"),
            vec![ws[1].clone()]
        );
        assert!(parse_workloads("").is_empty());
    }
}
