//! Errors of the use cases, each with a stable code that the web layer
//! turns into a message in the user's language.

use tanggap_core::Status;
use tanggap_core::lifecycle::{Action, LifecycleError};
use tanggap_core::monev::TaskError;
use tanggap_core::validate::FieldError;
use tanggap_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No valid session or token.
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong username or password")]
    InvalidCredentials,
    /// The account uses two-factor sign-in and no code was given.
    #[error("authenticator code required")]
    TotpRequired,
    #[error("account locked until {until}")]
    AccountLocked { until: jiff::Timestamp },
    /// The role may not use this function at all. Complaints outside the
    /// caller's scope are reported as [`ServiceError::NotFound`] instead, so
    /// their existence does not leak.
    #[error("not permitted")]
    Forbidden,
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    #[error("action {action} is not allowed while the complaint is {status}")]
    InvalidTransition { action: Action, status: Status },
    /// Someone else changed the complaint since the caller read it.
    #[error("complaint changed meanwhile; it is now at version {current}")]
    Conflict { current: i64 },
    /// The `Idempotency-Key` was used before for a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    #[error("username already taken")]
    UsernameTaken,
    /// A monitoring task may not take this step yet, see [`TaskError`].
    #[error("monitoring task step rejected: {0:?}")]
    Task(TaskError),
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(StoreError),
}

impl ServiceError {
    /// Stable machine-readable code, also the translation key of the message.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Unauthenticated => "unauthenticated",
            ServiceError::InvalidCredentials => "invalid_credentials",
            ServiceError::TotpRequired => "totp_required",
            ServiceError::AccountLocked { .. } => "account_locked",
            ServiceError::Forbidden => "forbidden",
            ServiceError::NotFound { .. } => "not_found",
            ServiceError::Validation(_) => "validation_failed",
            ServiceError::InvalidTransition { .. } => "invalid_transition",
            ServiceError::Conflict { .. } => "version_conflict",
            ServiceError::IdempotencyKeyReused => "idempotency_key_reused",
            ServiceError::UsernameTaken => "username_taken",
            ServiceError::Task(e) => match e {
                TaskError::RequirementMissing { .. } => "requirement_missing",
                TaskError::WrongState { .. } => "task_wrong_state",
                TaskError::ApprovalMissing => "approval_missing",
                TaskError::QuarterHasRun => "quarter_has_run",
                TaskError::ReportNotApproved => "report_not_approved",
                TaskError::RunArchived => "run_archived",
            },
            ServiceError::Internal(_) | ServiceError::Store(_) => "internal",
        }
    }

    pub fn field(field: &str, code: &'static str) -> Self {
        ServiceError::Validation(vec![FieldError::new(field, code)])
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict { current } => ServiceError::Conflict { current },
            StoreError::NotFound => ServiceError::NotFound { entity: "record" },
            other => ServiceError::Store(other),
        }
    }
}

impl From<LifecycleError> for ServiceError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::InvalidTransition { action, status } => {
                ServiceError::InvalidTransition { action, status }
            }
            LifecycleError::NotPermitted { .. } => ServiceError::Forbidden,
            LifecycleError::Invalid(errors) => ServiceError::Validation(errors),
        }
    }
}
