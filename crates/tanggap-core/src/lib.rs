//! Domain vocabulary and rules of Tanggap.
//!
//! This crate owns the words the rest of the system speaks: complaints and
//! their lifecycle, channels, agencies, roles, the working-day calendar and
//! the time standards. It performs no I/O and has no async code, so every
//! rule here can be tested in isolation.

pub mod attachment;
pub mod audit;
pub mod calendar;
pub mod complaint;
pub mod lifecycle;
pub mod monev;
pub mod report_workflow;
pub mod role;
pub mod sop;
pub mod standards;
pub mod totp;
pub mod triage;
pub mod validate;

pub use calendar::WorkingCalendar;
pub use complaint::{
    ArchiveReason, Channel, Complaint, ComplaintId, ComplaintType, Deadlines, IntakeProcedure,
    Location, Reporter, Satisfaction, Status,
};
pub use lifecycle::{Action, Actor, ActorKind, Command, Event, Visibility};
pub use role::Role;
pub use standards::TimeStandards;
