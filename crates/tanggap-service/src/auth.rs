//! Staff accounts, passwords, sessions and API tokens.
//!
//! Passwords are hashed with Argon2id. Session and API tokens are random
//! 256-bit values; only their SHA-256 is stored, so a copy of the database
//! does not let anyone sign in.

use crate::error::ServiceError;
use crate::{Services, now, random_hex, sha256_hex};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tanggap_core::Role;
use tanggap_core::lifecycle::{Actor, ActorKind};
use tanggap_core::validate::FieldError;
use tanggap_store::{AuditDraft, NewUser, UserRecord, micros};

/// Minimum password length for staff accounts.
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 200;

/// The signed-in staff member a request acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency: Option<String>,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::Staff {
                role: self.role,
                agency: self.agency.clone(),
            },
            user_id: Some(self.user_id),
            label: self.username.clone(),
        }
    }

    fn from_user(user: &UserRecord) -> Self {
        Self {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            agency: user.agency_code.clone(),
        }
    }
}

/// A new session: the token goes into the cookie and is never stored.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub expires_at: Timestamp,
    pub principal: Principal,
}

/// A user as listed to administrators; no password hash.
#[derive(Clone, Debug, serde::Serialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency: Option<String>,
    pub active: bool,
    pub locked: bool,
}

pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let mut salt_bytes = [0u8; 16];
    getrandom::fill(&mut salt_bytes)
        .map_err(|e| ServiceError::Internal(format!("random number generator failed: {e}")))?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| ServiceError::Internal(format!("salt encoding failed: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Builds the audit entry of a change to an account; it carries no details.
fn account_audit(actor: String, action: &str, user_id: i64) -> AuditDraft {
    AuditDraft {
        at_micros: micros(now()),
        actor,
        action: action.into(),
        entity: format!("user:{user_id}"),
        details: json!({}),
    }
}

/// Returns the time step `code` matches for a base32 secret at `at`.
fn totp_step(secret: &str, code: &str, at: Timestamp) -> Option<i64> {
    tanggap_core::totp::decode_secret(secret)
        .and_then(|secret| tanggap_core::totp::verify(&secret, code, at.as_second()))
}

fn check_password_rules(password: &str) -> Result<(), ServiceError> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        return Err(ServiceError::Validation(vec![FieldError::with_limit(
            "password",
            "too_short",
            PASSWORD_MIN,
        )]));
    }
    if length > PASSWORD_MAX {
        return Err(ServiceError::Validation(vec![FieldError::with_limit(
            "password",
            "too_long",
            PASSWORD_MAX,
        )]));
    }
    Ok(())
}

/// A hash verified against when the username does not exist, so that the
/// response time does not reveal which usernames exist.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_password("no such user: constant-time placeholder").unwrap_or_default()
});

impl Services {
    /// Creates a staff account. Used by the command line and the demo; the
    /// administrator screens come with the staff application.
    pub async fn add_user(
        &self,
        acting: Option<&Principal>,
        username: &str,
        display_name: &str,
        password: &str,
        role: Role,
        agency: Option<&str>,
    ) -> Result<i64, ServiceError> {
        if let Some(p) = acting
            && p.role != Role::SystemAdmin
        {
            return Err(ServiceError::Forbidden);
        }
        let username = username.trim();
        let valid_username = (3..=64).contains(&username.len())
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid_username {
            return Err(ServiceError::field("username", "invalid_username"));
        }
        check_password_rules(password)?;
        let agency = agency.map(str::trim).filter(|a| !a.is_empty());
        match (role.is_agency_scoped(), agency) {
            (true, None) => return Err(ServiceError::field("agency", "required")),
            (false, Some(_)) => return Err(ServiceError::field("agency", "not_applicable")),
            (true, Some(code)) if !self.reference_cache().agency_exists(code) => {
                return Err(ServiceError::field("agency", "unknown_agency"));
            }
            _ => {}
        }
        if self.store.find_user(username).await?.is_some() {
            return Err(ServiceError::UsernameTaken);
        }
        let password_hash = hash_password(password)?;
        let at = now();
        let user = NewUser {
            username: username.to_owned(),
            display_name: display_name.trim().to_owned(),
            password_hash,
            role,
            agency_code: agency.map(str::to_owned),
        };
        let audit = AuditDraft {
            at_micros: micros(at),
            actor: acting.map_or("system".into(), |p| p.actor().audit_id()),
            action: "user.create".into(),
            entity: String::new(),
            details: json!({ "role": role.code(), "agency": agency }),
        };
        Ok(self.store.insert_user(&user, micros(at), audit).await?)
    }

    pub async fn list_users(
        &self,
        acting: Option<&Principal>,
    ) -> Result<Vec<UserSummary>, ServiceError> {
        if let Some(p) = acting
            && p.role != Role::SystemAdmin
        {
            return Err(ServiceError::Forbidden);
        }
        let at = micros(now());
        Ok(self
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| UserSummary {
                id: u.id,
                locked: u.locked_until.is_some_and(|until| until > at),
                username: u.username,
                display_name: u.display_name,
                role: u.role,
                agency: u.agency_code,
                active: u.active,
            })
            .collect())
    }

    /// Sets a user's password; by an administrator (`acting` is a system
    /// admin), by the user themself, or from the command line (`None`).
    pub async fn set_password(
        &self,
        acting: Option<&Principal>,
        username: &str,
        password: &str,
    ) -> Result<(), ServiceError> {
        if let Some(p) = acting
            && p.role != Role::SystemAdmin
            && p.username != username
        {
            return Err(ServiceError::Forbidden);
        }
        check_password_rules(password)?;
        let user = self
            .store
            .find_user(username)
            .await?
            .ok_or(ServiceError::NotFound { entity: "user" })?;
        let hash = hash_password(password)?;
        let audit = account_audit(
            acting.map_or("system".into(), |p| p.actor().audit_id()),
            "user.set_password",
            user.id,
        );
        self.store.set_password(user.id, &hash, audit).await?;
        Ok(())
    }

    /// Starts turning on two-factor sign-in: makes a new secret and returns
    /// it (base32) with the `otpauth://` URI for the authenticator app. It
    /// takes effect only after [`Self::confirm_totp`].
    pub async fn begin_totp(
        &self,
        principal: &Principal,
    ) -> Result<(String, String), ServiceError> {
        let mut secret = [0u8; 20];
        getrandom::fill(&mut secret)
            .map_err(|e| ServiceError::Internal(format!("random number generator failed: {e}")))?;
        let encoded = tanggap_core::totp::encode_secret(&secret);
        self.store
            .set_totp_pending(principal.user_id, Some(&encoded))
            .await?;
        let uri = tanggap_core::totp::provisioning_uri(
            &format!("Tanggap {}", self.config.tracking_prefix),
            &principal.username,
            &secret,
        );
        Ok((encoded, uri))
    }

    /// Turns two-factor sign-in on once the user proves the app shows the
    /// right code for the pending secret.
    pub async fn confirm_totp(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<(), ServiceError> {
        let user = self
            .store
            .get_user(principal.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let pending = user
            .totp_pending_secret
            .ok_or_else(|| ServiceError::field("code", "totp_not_started"))?;
        let valid = totp_step(&pending, code, now()).is_some();
        if !valid {
            return Err(ServiceError::field("code", "wrong_code"));
        }
        let audit = account_audit(principal.actor().audit_id(), "user.totp_enabled", user.id);
        self.store.set_totp(user.id, Some(&pending), audit).await?;
        Ok(())
    }

    /// Turns two-factor sign-in off; needs a current code from the app.
    pub async fn disable_totp(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<(), ServiceError> {
        let user = self
            .store
            .get_user(principal.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let Some(secret) = user.totp_secret else {
            return Ok(());
        };
        let valid = totp_step(&secret, code, now()).is_some();
        if !valid {
            return Err(ServiceError::field("code", "wrong_code"));
        }
        let audit = account_audit(principal.actor().audit_id(), "user.totp_disabled", user.id);
        self.store.set_totp(user.id, None, audit).await?;
        Ok(())
    }

    /// Turns off two-step sign-in of an account whose owner lost the
    /// authenticator: by a system administrator, or from the command line.
    pub async fn reset_totp(
        &self,
        acting: Option<&Principal>,
        username: &str,
    ) -> Result<(), ServiceError> {
        if let Some(p) = acting
            && p.role != Role::SystemAdmin
        {
            return Err(ServiceError::Forbidden);
        }
        let user = self
            .store
            .find_user(username)
            .await?
            .ok_or(ServiceError::NotFound { entity: "user" })?;
        let audit = account_audit(
            acting.map_or("system".into(), |p| p.actor().audit_id()),
            "user.totp_reset",
            user.id,
        );
        self.store.set_totp(user.id, None, audit).await?;
        Ok(())
    }

    /// Tells whether the user signs in with an authenticator code.
    pub async fn totp_enabled(&self, principal: &Principal) -> Result<bool, ServiceError> {
        Ok(self
            .store
            .get_user(principal.user_id)
            .await?
            .is_some_and(|u| u.totp_secret.is_some()))
    }

    /// Changes the signed-in user's own password after checking the current one.
    pub async fn change_own_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
    ) -> Result<(), ServiceError> {
        let user = self
            .store
            .get_user(principal.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        if !verify_password(current, &user.password_hash) {
            return Err(ServiceError::field("current_password", "wrong_password"));
        }
        self.set_password(Some(principal), &principal.username, new)
            .await
    }

    /// Signs in with username and password and opens a session.
    ///
    /// After `lockout_failures` wrong passwords in a row the account is
    /// locked for `lockout_minutes`, even for the right password.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<Session, ServiceError> {
        let at = now();
        let Some(user) = self.store.find_user(username.trim()).await? else {
            verify_password(password, &DUMMY_HASH);
            return Err(ServiceError::InvalidCredentials);
        };
        if let Some(until) = user.locked_until
            && until > micros(at)
        {
            return Err(ServiceError::AccountLocked {
                until: tanggap_store::from_micros(until)?,
            });
        }
        // An account with two-step sign-in asks for the code before the
        // password is checked, so the question does not confirm a password.
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        if user.totp_secret.is_some() && code.is_none() {
            return Err(ServiceError::TotpRequired);
        }
        if !user.active || !verify_password(password, &user.password_hash) {
            let failures = user.failed_logins + 1;
            let locked_until = (failures >= self.config.lockout_failures)
                .then(|| micros(at + SignedDuration::from_mins(self.config.lockout_minutes)));
            self.store
                .record_login_failure(user.id, locked_until)
                .await?;
            if locked_until.is_some() {
                tracing::warn!(
                    user_id = user.id,
                    "account locked after repeated failed sign-ins"
                );
                self.store
                    .append_audit(AuditDraft {
                        at_micros: micros(at),
                        actor: "system".into(),
                        action: "user.locked".into(),
                        entity: format!("user:{}", user.id),
                        details: json!({ "failures": failures }),
                    })
                    .await?;
            }
            return Err(ServiceError::InvalidCredentials);
        }
        if let Some(secret) = &user.totp_secret {
            let Some(code) = code else {
                return Err(ServiceError::TotpRequired);
            };
            let step = totp_step(secret, code, at);
            let fresh = match step {
                Some(step) => self.store.use_totp_step(user.id, step).await?,
                None => false,
            };
            if !fresh {
                // A wrong or replayed code counts like a wrong password.
                let failures = user.failed_logins + 1;
                let locked_until = (failures >= self.config.lockout_failures)
                    .then(|| micros(at + SignedDuration::from_mins(self.config.lockout_minutes)));
                self.store
                    .record_login_failure(user.id, locked_until)
                    .await?;
                return Err(ServiceError::InvalidCredentials);
            }
        }
        self.store.record_login_success(user.id).await?;
        let token = random_hex(32)?;
        let expires_at = at + SignedDuration::from_hours(self.config.session_hours);
        self.store
            .insert_session(
                &sha256_hex(token.as_bytes()),
                user.id,
                micros(at),
                micros(expires_at),
            )
            .await?;
        self.store
            .append_audit(AuditDraft {
                at_micros: micros(at),
                actor: format!("user:{}", user.id),
                action: "session.login".into(),
                entity: format!("user:{}", user.id),
                details: json!({}),
            })
            .await?;
        Ok(Session {
            token,
            expires_at,
            principal: Principal::from_user(&user),
        })
    }

    pub async fn logout(&self, token: &str) -> Result<(), ServiceError> {
        self.store
            .delete_session(&sha256_hex(token.as_bytes()))
            .await?;
        Ok(())
    }

    /// Resolves a session cookie to its user.
    pub async fn authenticate_session(&self, token: &str) -> Result<Principal, ServiceError> {
        let credential = self
            .store
            .find_session(&sha256_hex(token.as_bytes()), micros(now()))
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        self.principal_for(credential.user_id).await
    }

    /// Resolves an API token (`Authorization: Bearer ...`) to its user.
    pub async fn authenticate_token(&self, token: &str) -> Result<Principal, ServiceError> {
        let credential = self
            .store
            .find_api_token(&sha256_hex(token.as_bytes()))
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        self.principal_for(credential.user_id).await
    }

    async fn principal_for(&self, user_id: i64) -> Result<Principal, ServiceError> {
        let user = self
            .store
            .get_user(user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        if !user.active {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(Principal::from_user(&user))
    }

    /// Issues an API token for an integration acting as `username`. The
    /// token is returned once and only its hash is stored.
    pub async fn create_api_token(
        &self,
        acting: Option<&Principal>,
        username: &str,
        name: &str,
    ) -> Result<String, ServiceError> {
        if let Some(p) = acting
            && p.role != Role::SystemAdmin
        {
            return Err(ServiceError::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ServiceError::field("name", "invalid_value"));
        }
        let user = self
            .store
            .find_user(username)
            .await?
            .ok_or(ServiceError::NotFound { entity: "user" })?;
        let token = format!("tgp_{}", random_hex(32)?);
        let at = now();
        let audit = AuditDraft {
            at_micros: micros(at),
            actor: acting.map_or("system".into(), |p| p.actor().audit_id()),
            action: "api_token.create".into(),
            entity: format!("user:{}", user.id),
            details: json!({ "name": name }),
        };
        self.store
            .insert_api_token(
                user.id,
                name,
                &sha256_hex(token.as_bytes()),
                micros(at),
                audit,
            )
            .await?;
        Ok(token)
    }
}
