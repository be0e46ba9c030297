//! Time standards (mutu baku: waktu) for handling complaints, in working days.
//!
//! The defaults follow SP4N-LAPOR! practice: verification within 3 working
//! days, the agency's follow-up plan within 5, resolution within 5 days for
//! information requests, 14 for complaints and 60 for complaints that need
//! inspection, and automatic closing 10 working days after the final response
//! when the reporter does not reply. Installations override them in
//! configuration.

use crate::complaint::ComplaintType;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeStandards {
    /// From arrival to verification and dispatch.
    pub verification_days: u32,
    /// From dispatch to the agency's first follow-up.
    pub followup_days: u32,
    /// From dispatch to the final response, per type.
    pub resolution_days: ResolutionDays,
    /// From the final response to automatic resolution.
    pub auto_close_days: u32,
    /// From a hold to automatic archive when the reporter does not answer.
    pub hold_expiry_days: u32,
    /// From a reopening to the agency's new response.
    pub reopened_response_days: u32,
    /// How many working days before a deadline a reminder is recorded.
    pub reminder_days_before: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResolutionDays {
    pub information_request: u32,
    pub aspiration: u32,
    /// Complaints without inspection content.
    pub complaint: u32,
    /// Complaints that need inspection (berkadar pengawasan).
    pub supervised_complaint: u32,
}

impl Default for ResolutionDays {
    fn default() -> Self {
        Self {
            information_request: 5,
            aspiration: 14,
            complaint: 14,
            supervised_complaint: 60,
        }
    }
}

impl Default for TimeStandards {
    fn default() -> Self {
        Self {
            verification_days: 3,
            followup_days: 5,
            resolution_days: ResolutionDays::default(),
            auto_close_days: 10,
            hold_expiry_days: 10,
            reopened_response_days: 5,
            reminder_days_before: 1,
        }
    }
}

impl TimeStandards {
    /// Returns the resolution standard for a complaint of this type.
    pub fn resolution_days_for(&self, complaint_type: ComplaintType, supervision: bool) -> u32 {
        match complaint_type {
            ComplaintType::InformationRequest => self.resolution_days.information_request,
            ComplaintType::Aspiration => self.resolution_days.aspiration,
            ComplaintType::Complaint if supervision => self.resolution_days.supervised_complaint,
            ComplaintType::Complaint => self.resolution_days.complaint,
        }
    }
}
