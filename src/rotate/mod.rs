//! `kup rotate`: replace lagging nodes batch by batch. `plan` decides (pure), `marker` reads and
//! writes the resumable per-node state, `event` is what the executor streams with `-o json`.

pub mod event;
pub mod execute;
pub mod marker;
pub mod plan;

pub use event::RotateEvent;
pub use marker::{Marker, MarkerError, Phase, ROTATION_ANNOTATION, WORKLOADS_ANNOTATION};
pub use plan::{
    AbortNode, AbortPlan, Batch, BlockReason, Blocker, EksNodeGroup, MaxUnavailable,
    MaxUnavailableError, Mode, NodeGroupStep, PlanError, PlanOptions, PlanSummary, PlannedNode,
    PlannedPod, PodRef, ReplaceAction, Replacement, RotatePlan, SkippedNode, WorkloadRef,
    abort_plan, plan,
};
