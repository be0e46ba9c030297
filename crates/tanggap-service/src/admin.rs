//! Master data and the audit log, for the system administrator (and, for
//! reading the audit log, the inspectorate and the Sekda).

use crate::error::ServiceError;
use crate::{Principal, Services, now};
use serde_json::json;
use tanggap_core::Role;
use tanggap_core::audit::AuditEntry;
use tanggap_core::validate::{FieldError, Validator};
use tanggap_store::{Agency, AuditDraft, Category, Holiday, micros};

/// Holiday kinds as the joint decree names them.
pub const HOLIDAY_KINDS: &[&str] = &["libur_nasional", "cuti_bersama"];

fn require(principal: &Principal, roles: &[Role]) -> Result<(), ServiceError> {
    if roles.contains(&principal.role) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn audit(
    principal: &Principal,
    action: &str,
    entity: String,
    details: serde_json::Value,
) -> AuditDraft {
    AuditDraft {
        at_micros: micros(now()),
        actor: principal.actor().audit_id(),
        action: action.into(),
        entity,
        details,
    }
}

/// Filters of the audit log viewer.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub action_prefix: Option<String>,
    pub entity: Option<String>,
    pub before_seq: Option<i64>,
}

impl Services {
    /// Adds or changes an agency.
    pub async fn save_agency(
        &self,
        principal: &Principal,
        agency: Agency,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::SystemAdmin])?;
        let mut v = Validator::default();
        let code = v
            .required_text("code", Some(&agency.code), 32)
            .to_uppercase();
        if !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            v.push(FieldError::new("code", "invalid_value"));
        }
        let name = v.required_text("name", Some(&agency.name), 200);
        let short_name = v.optional_text("short_name", agency.short_name.as_deref(), 50);
        let kind = v.required_text("kind", Some(&agency.kind), 50);
        v.finish().map_err(ServiceError::Validation)?;
        let record = Agency {
            code: code.clone(),
            name,
            short_name,
            kind,
            active: agency.active,
        };
        self.store
            .upsert_agencies(
                std::slice::from_ref(&record),
                audit(
                    principal,
                    "agency.save",
                    format!("agency:{code}"),
                    json!({ "active": record.active }),
                ),
            )
            .await?;
        self.reload_reference().await
    }

    /// Adds or changes a holiday, then rebuilds the working-day calendar.
    /// Deadlines already computed keep their value.
    pub async fn save_holiday(
        &self,
        principal: &Principal,
        holiday: Holiday,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::SystemAdmin])?;
        let mut v = Validator::default();
        if !HOLIDAY_KINDS.contains(&holiday.kind.as_str()) {
            v.push(FieldError::new("kind", "invalid_value"));
        }
        let description = v.required_text("description", Some(&holiday.description), 200);
        v.finish().map_err(ServiceError::Validation)?;
        let record = Holiday {
            description,
            ..holiday
        };
        self.store
            .upsert_holidays(
                std::slice::from_ref(&record),
                audit(
                    principal,
                    "holiday.save",
                    format!("holiday:{}", record.day),
                    json!({ "kind": record.kind }),
                ),
            )
            .await?;
        self.reload_reference().await
    }

    pub async fn delete_holiday(
        &self,
        principal: &Principal,
        day: jiff::civil::Date,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::SystemAdmin])?;
        let deleted = self
            .store
            .delete_holiday(
                day,
                audit(
                    principal,
                    "holiday.delete",
                    format!("holiday:{day}"),
                    json!({}),
                ),
            )
            .await?;
        if !deleted {
            return Err(ServiceError::NotFound { entity: "holiday" });
        }
        self.reload_reference().await
    }

    /// Adds a category or subcategory, or switches one on or off.
    pub async fn save_category(
        &self,
        principal: &Principal,
        category: Category,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::SystemAdmin])?;
        let mut v = Validator::default();
        let name = v
            .required_text("category", Some(&category.category), 200)
            .to_uppercase();
        let sub = v
            .optional_text("subcategory", Some(&category.subcategory), 200)
            .map(|s| s.to_uppercase())
            .unwrap_or_default();
        v.finish().map_err(ServiceError::Validation)?;
        let mut rows = vec![Category {
            category: name.clone(),
            subcategory: sub.clone(),
            active: category.active,
        }];
        if !sub.is_empty() && !self.reference_cache().category_exists(&name) {
            rows.insert(
                0,
                Category {
                    category: name.clone(),
                    subcategory: String::new(),
                    active: true,
                },
            );
        }
        self.store
            .upsert_categories(
                &rows,
                audit(
                    principal,
                    "category.save",
                    format!("category:{name}"),
                    json!({ "active": category.active }),
                ),
            )
            .await?;
        self.reload_reference().await
    }

    /// Activates or deactivates an account; nobody can deactivate themself.
    pub async fn set_user_active(
        &self,
        principal: &Principal,
        username: &str,
        active: bool,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::SystemAdmin])?;
        let user = self
            .store
            .find_user(username)
            .await?
            .ok_or(ServiceError::NotFound { entity: "user" })?;
        if user.id == principal.user_id && !active {
            return Err(ServiceError::field("username", "cannot_deactivate_self"));
        }
        self.store
            .set_user_active(
                user.id,
                active,
                audit(
                    principal,
                    "user.set_active",
                    format!("user:{}", user.id),
                    json!({ "active": active }),
                ),
            )
            .await?;
        Ok(())
    }

    /// Reads the audit log, newest first, 50 entries a page.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        query: AuditQuery,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        require(
            principal,
            &[Role::SystemAdmin, Role::Inspectorate, Role::CitySecretary],
        )?;
        let clean = |s: Option<String>| {
            s.map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty() && s.len() <= 100)
        };
        Ok(self
            .store
            .list_audit(
                clean(query.action_prefix).as_deref(),
                clean(query.entity).as_deref(),
                query.before_seq,
                50,
            )
            .await?)
    }

    /// Returns the time standards in force, for display.
    pub fn time_standards(&self) -> std::sync::Arc<tanggap_core::TimeStandards> {
        self.standards()
    }

    /// Saves new time standards. Deadlines already computed keep their
    /// value; every deadline computed from now on uses the new standards.
    pub async fn save_time_standards(
        &self,
        principal: &Principal,
        standards: tanggap_core::TimeStandards,
    ) -> Result<(), ServiceError> {
        require(principal, &[Role::SystemAdmin])?;
        let r = &standards.resolution_days;
        let fields = [
            ("verification_days", standards.verification_days),
            ("followup_days", standards.followup_days),
            ("resolution_days.information_request", r.information_request),
            ("resolution_days.aspiration", r.aspiration),
            ("resolution_days.complaint", r.complaint),
            (
                "resolution_days.supervised_complaint",
                r.supervised_complaint,
            ),
            ("auto_close_days", standards.auto_close_days),
            ("hold_expiry_days", standards.hold_expiry_days),
            ("reopened_response_days", standards.reopened_response_days),
            ("reminder_days_before", standards.reminder_days_before),
        ];
        let errors: Vec<FieldError> = fields
            .iter()
            .filter(|(name, days)| *days > 365 || (*days == 0 && *name != "reminder_days_before"))
            .map(|(name, _)| FieldError::new(*name, "out_of_range"))
            .collect();
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let value =
            serde_json::to_string(&standards).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.store
            .put_setting(
                crate::reference::TIME_STANDARDS_SETTING,
                &value,
                audit(
                    principal,
                    "settings.time_standards",
                    "settings:time_standards".into(),
                    json!(standards),
                ),
            )
            .await?;
        self.reload_reference().await
    }
}
