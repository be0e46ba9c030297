//! The workflow of the quarterly report document (SOP 04/humpro) as a
//! table of steps. Each step names the SOP activity it fulfils, the state a
//! version must be in and the state it leads to.
//!
//! A version is immutable: its figures, narrative and files never change.
//! Writing the narrative or regenerating the figures makes a new version
//! in `draft`, which supersedes the older versions that were not approved,
//! so every approval belongs to exactly one set of PDF bytes.

use crate::complaint::coded_enum;
use serde::{Deserialize, Serialize};

coded_enum! {
    /// Where a version of the quarterly report stands.
    ReportState {
        /// Generated; the complaint team completes the narrative.
        Draft = "draft",
        /// Submitted to the head of section (Kepala Bagian Humas dan Protokol).
        Submitted = "submitted",
        /// Returned with a note by the head of section or the Sekda.
        Returned = "returned",
        /// Accepted by the head of section; waits for the Sekda.
        Reviewed = "reviewed",
        /// Approved by the Sekda, bound to the SHA-256 of its PDF; archived.
        Approved = "approved",
        /// Replaced by a newer version before approval.
        Superseded = "superseded",
    }
}

coded_enum! {
    /// A step of the workflow.
    ReportStep {
        /// Generates a draft version with the figures frozen.
        Generate = "generate",
        /// Makes a new version with a changed narrative; an approved version
        /// stays approved, and the new one needs its own approval.
        Revise = "revise",
        /// Submits a draft to the head of section.
        Submit = "submit",
        /// The head of section accepts the draft for the Sekda.
        Accept = "accept",
        /// The head of section returns the draft with a note.
        ReturnByHead = "return_by_head",
        /// The Sekda approves the version.
        Approve = "approve",
        /// The Sekda returns the version with a note.
        ReturnBySecretary = "return_by_secretary",
        /// The central admin publishes an approved version on the public page.
        Publish = "publish",
    }
}

/// One row of the workflow table.
#[derive(Clone, Copy, Debug)]
pub struct StepRule {
    pub step: ReportStep,
    /// States the version must be in; empty for steps that make a new version.
    pub from: &'static [ReportState],
    /// State after the step; for a new version, the new version's state.
    pub to: ReportState,
    /// Id of the activity in `sop/04-humpro.toml` that the step fulfils.
    pub activity: &'static str,
}

use ReportState::*;

/// The workflow. Generate and Revise make a new version, the other steps
/// change the state of an existing one.
pub const REPORT_STEPS: &[StepRule] = &[
    StepRule {
        step: ReportStep::Generate,
        from: &[],
        to: Draft,
        activity: "draft",
    },
    StepRule {
        step: ReportStep::Revise,
        from: &[Draft, Returned, Approved],
        to: Draft,
        activity: "narrate",
    },
    StepRule {
        step: ReportStep::Submit,
        from: &[Draft],
        to: Submitted,
        activity: "review",
    },
    StepRule {
        step: ReportStep::Accept,
        from: &[Submitted],
        to: Reviewed,
        activity: "is_review_accepted",
    },
    StepRule {
        step: ReportStep::ReturnByHead,
        from: &[Submitted],
        to: Returned,
        activity: "is_review_accepted",
    },
    StepRule {
        step: ReportStep::Approve,
        from: &[Reviewed],
        to: Approved,
        activity: "approve",
    },
    StepRule {
        step: ReportStep::ReturnBySecretary,
        from: &[Reviewed],
        to: Returned,
        activity: "is_approved",
    },
    StepRule {
        step: ReportStep::Publish,
        from: &[Approved],
        to: Approved,
        activity: "publish",
    },
];

/// Returns the rule of a step.
pub fn rule(step: ReportStep) -> &'static StepRule {
    REPORT_STEPS
        .iter()
        .find(|r| r.step == step)
        .unwrap_or(&REPORT_STEPS[0])
}

/// Returns the state after `step` from `state`, or `None` when the step is
/// not allowed there.
pub fn next_state(step: ReportStep, state: ReportState) -> Option<ReportState> {
    let rule = rule(step);
    rule.from.contains(&state).then_some(rule.to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sop::Sop;

    #[test]
    fn every_step_has_one_rule() {
        for step in ReportStep::ALL {
            let rows = REPORT_STEPS.iter().filter(|r| r.step == *step).count();
            assert_eq!(rows, 1, "{step}");
        }
    }

    /// The quarterly report's SOP defines every activity the workflow names.
    #[test]
    fn referenced_sop_activities_exist() {
        let sop = Sop::parse(include_str!("../../../sop/04-humpro.toml")).expect("SOP 04 parses");
        assert_eq!(sop.number, "04/humpro");
        for rule in REPORT_STEPS {
            assert!(
                sop.activity_index(rule.activity).is_some(),
                "04/humpro lacks activity {}",
                rule.activity
            );
        }
    }

    #[test]
    fn approval_needs_review() {
        assert_eq!(next_state(ReportStep::Approve, Draft), None);
        assert_eq!(next_state(ReportStep::Approve, Submitted), None);
        assert_eq!(next_state(ReportStep::Approve, Reviewed), Some(Approved));
        assert_eq!(next_state(ReportStep::Approve, Superseded), None);
    }

    #[test]
    fn returned_version_is_revised() {
        assert_eq!(
            next_state(ReportStep::ReturnByHead, Submitted),
            Some(Returned)
        );
        assert_eq!(next_state(ReportStep::Submit, Returned), None);
        assert_eq!(next_state(ReportStep::Revise, Returned), Some(Draft));
        assert_eq!(next_state(ReportStep::Revise, Submitted), None);
        assert_eq!(next_state(ReportStep::Revise, Approved), Some(Draft));
    }
}
