//! Master data screens for the system administrator, and the audit log
//! viewer for the system administrator, the inspectorate and the Sekda.

use super::complaints::{Opt, error_page};
use super::session::render;
use super::views::local_time;
use super::{CsrfToken, Layout, csrf_valid, current_user, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tanggap_core::Role;
use tanggap_service::admin::{AuditQuery, HOLIDAY_KINDS};
use tanggap_service::{Principal, ServiceError};
use tanggap_store::{Agency, Category, Holiday};

/// The admin sub-menu.
pub(crate) struct Tab {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

pub(crate) fn tabs(lang: Lang, current: &str) -> Vec<Tab> {
    [
        ("/admin/pengguna", "admin-users"),
        ("/admin/perangkat-daerah", "admin-agencies"),
        ("/admin/kategori", "admin-categories"),
        ("/admin/hari-libur", "admin-holidays"),
        ("/admin/standar-waktu", "admin-standards"),
        (super::open311_keys::PATH, "open311-keys-tab"),
        ("/admin/pemberitahuan", "outbox-title"),
        ("/audit", "nav-audit"),
    ]
    .into_iter()
    .map(|(href, key)| Tab {
        href,
        label: lang.text(key, &[]),
        current: href == current,
    })
    .collect()
}

/// A table of text cells with per-row forms described by the template.
#[derive(Template)]
#[template(path = "admin.html")]
pub(crate) struct AdminPage {
    pub l: Layout,
    pub tabs: Vec<Tab>,
    pub section: &'static str,
    pub errors: Vec<String>,
    pub users: Vec<UserRow>,
    pub agencies: Vec<Agency>,
    pub categories: Vec<CategoryRow>,
    pub holidays: Vec<HolidayRow>,
    /// (form field name, label, working days).
    pub standards: Vec<(&'static str, String, u32)>,
    pub roles: Vec<Opt>,
    pub agency_options: Vec<Opt>,
    pub holiday_kinds: Vec<Opt>,
}

pub(crate) struct UserRow {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency: String,
    pub active: bool,
    pub locked: bool,
}

pub(crate) struct CategoryRow {
    pub name: String,
    pub subcategories: usize,
    pub active: bool,
}

pub(crate) struct HolidayRow {
    pub day: String,
    pub kind: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub(crate) struct AuditPage {
    pub l: Layout,
    pub tabs: Vec<Tab>,
    pub entries: Vec<AuditRow>,
    pub action: String,
    pub entity: String,
    pub older: Option<String>,
}

pub(crate) struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub details: String,
}

/// Returns the signed-in system administrator, or the response to send instead.
pub(crate) async fn admin_user(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    back: &str,
) -> Result<Principal, Response> {
    let lang = page_lang(headers);
    match current_user(state, headers).await {
        None => Err(Redirect::to(&format!("/masuk?kembali={back}")).into_response()),
        Some(user) if user.role == Role::SystemAdmin => Ok(user),
        Some(user) => Err(error_page(
            state,
            lang,
            Some(user),
            csrf.to_owned(),
            ServiceError::Forbidden.into(),
        )),
    }
}

async fn page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    section: &'static str,
    errors: Vec<String>,
    saved: bool,
) -> Result<AdminPage, ApiError> {
    let s = &state.services;
    let path = match section {
        "users" => "/admin/pengguna",
        "agencies" => "/admin/perangkat-daerah",
        "categories" => "/admin/kategori",
        "holidays" => "/admin/hari-libur",
        _ => "/admin/standar-waktu",
    };
    let mut page = AdminPage {
        l: Layout {
            lang,
            user: Some(user.clone()),
            csrf,
            path: path.into(),
            title: lang.text("admin-title", &[]),
            flash: saved.then(|| lang.text("admin-saved", &[])),
        },
        tabs: tabs(lang, path),
        section,
        errors,
        users: Vec::new(),
        agencies: Vec::new(),
        categories: Vec::new(),
        holidays: Vec::new(),
        standards: Vec::new(),
        roles: Role::ALL
            .iter()
            .map(|r| Opt {
                value: r.code().into(),
                label: lang.text(&format!("role-{}", r.code()), &[]),
                selected: false,
            })
            .collect(),
        agency_options: std::iter::once(Opt {
            value: String::new(),
            label: "—".into(),
            selected: true,
        })
        .chain(s.agency_options().into_iter().map(|(code, name)| Opt {
            value: code,
            label: name,
            selected: false,
        }))
        .collect(),
        holiday_kinds: HOLIDAY_KINDS
            .iter()
            .map(|k| Opt {
                value: (*k).into(),
                label: lang.text(&format!("holiday-{k}"), &[]),
                selected: false,
            })
            .collect(),
    };
    match section {
        "users" => {
            page.users = s
                .list_users(Some(&user))
                .await?
                .into_iter()
                .map(|u| UserRow {
                    role: lang.text(&format!("role-{}", u.role.code()), &[]),
                    agency: u.agency.unwrap_or_default(),
                    username: u.username,
                    display_name: u.display_name,
                    active: u.active,
                    locked: u.locked,
                })
                .collect();
        }
        "agencies" => page.agencies = s.agencies().await?,
        "categories" => {
            let all = s.categories().await?;
            page.categories = all
                .iter()
                .filter(|c| c.subcategory.is_empty())
                .map(|c| CategoryRow {
                    name: c.category.clone(),
                    subcategories: all
                        .iter()
                        .filter(|x| x.category == c.category && !x.subcategory.is_empty())
                        .count(),
                    active: c.active,
                })
                .collect();
        }
        "holidays" => {
            page.holidays = s
                .holidays()
                .await?
                .into_iter()
                .rev()
                .map(|h| HolidayRow {
                    day: h.day.to_string(),
                    kind: lang.text(&format!("holiday-{}", h.kind), &[]),
                    description: h.description,
                })
                .collect();
        }
        _ => {
            page.standards = standard_fields(&s.time_standards())
                .into_iter()
                .map(|(name, key, days)| (name, lang.text(key, &[]), days))
                .collect();
        }
    }
    Ok(page)
}

/// Lists the time standards as (form field, label key, working days).
fn standard_fields(t: &tanggap_core::TimeStandards) -> Vec<(&'static str, &'static str, u32)> {
    let r = &t.resolution_days;
    vec![
        (
            "verification_days",
            "standard-verification_days",
            t.verification_days,
        ),
        ("followup_days", "standard-followup_days", t.followup_days),
        (
            "information_request",
            "standard-resolution-information_request",
            r.information_request,
        ),
        ("aspiration", "standard-resolution-aspiration", r.aspiration),
        ("complaint", "standard-resolution-complaint", r.complaint),
        (
            "supervised_complaint",
            "standard-resolution-supervised_complaint",
            r.supervised_complaint,
        ),
        (
            "auto_close_days",
            "standard-auto_close_days",
            t.auto_close_days,
        ),
        (
            "hold_expiry_days",
            "standard-hold_expiry_days",
            t.hold_expiry_days,
        ),
        (
            "reopened_response_days",
            "standard-reopened_response_days",
            t.reopened_response_days,
        ),
        (
            "reminder_days_before",
            "standard-reminder_days_before",
            t.reminder_days_before,
        ),
    ]
}

#[derive(Deserialize)]
pub(crate) struct Saved {
    ok: Option<String>,
}

impl Saved {
    /// Tells whether the page follows a saved change (`?ok=1`).
    pub(crate) fn is_saved(&self) -> bool {
        self.ok.is_some()
    }
}

fn section_of(name: &str) -> Option<&'static str> {
    match name {
        "pengguna" => Some("users"),
        "perangkat-daerah" => Some("agencies"),
        "kategori" => Some("categories"),
        "hari-libur" => Some("holidays"),
        "standar-waktu" => Some("standards"),
        _ => None,
    }
}

pub(crate) async fn index() -> Redirect {
    Redirect::to("/admin/pengguna")
}

pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(saved): Query<Saved>,
) -> Response {
    let lang = page_lang(&headers);
    let Some(section) = section_of(&name) else {
        let user = current_user(&state, &headers).await;
        return error_page(&state, lang, user, csrf, ApiError::RouteNotFound);
    };
    let user = match admin_user(&state, &headers, &csrf, "/admin").await {
        Ok(user) => user,
        Err(response) => return response,
    };
    match page(
        &state,
        lang,
        user.clone(),
        csrf.clone(),
        section,
        Vec::new(),
        saved.ok.is_some(),
    )
    .await
    {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => error_page(&state, lang, Some(user), csrf, e),
    }
}

/// Handles every admin form: `what` names the change.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path((name, what)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let Some(section) = section_of(&name) else {
        let user = current_user(&state, &headers).await;
        return error_page(&state, lang, user, csrf, ApiError::RouteNotFound);
    };
    let user = match admin_user(&state, &headers, &csrf, "/admin").await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let pairs = form_pairs(&body);
    let result: Result<(), ApiError> = if !csrf_valid(&headers, &pairs) {
        Err(ApiError::BadRequest(lang.text("error-csrf", &[])))
    } else {
        apply_change(&state, &user, section, &what, &pairs).await
    };
    match result {
        Ok(()) => Redirect::to(&format!("/admin/{name}?ok=1")).into_response(),
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            match page(
                &state,
                lang,
                user.clone(),
                csrf.clone(),
                section,
                errors,
                false,
            )
            .await
            {
                Ok(p) => render(status, &p),
                Err(e) => error_page(&state, lang, Some(user), csrf, e),
            }
        }
    }
}

async fn apply_change(
    state: &AppState,
    user: &Principal,
    section: &str,
    what: &str,
    pairs: &[(String, String)],
) -> Result<(), ApiError> {
    let s = &state.services;
    let get = |key: &str| form_value(pairs, key).unwrap_or("").to_owned();
    let raw = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let checked = |key: &str| form_value(pairs, key).is_some();
    match (section, what) {
        ("users", "tambah") => {
            let role = Role::from_code(&get("role"))
                .ok_or_else(|| ApiError::from(ServiceError::field("role", "invalid_value")))?;
            let agency = get("agency");
            let display = get("display_name");
            let username = get("username");
            s.add_user(
                Some(user),
                &username,
                if display.is_empty() {
                    &username
                } else {
                    &display
                },
                &raw("password"),
                role,
                (!agency.is_empty()).then_some(agency.as_str()),
            )
            .await?;
        }
        ("users", "aktif") => {
            s.set_user_active(user, &get("username"), get("active") == "true")
                .await?
        }
        ("users", "sandi") => {
            s.set_password(Some(user), &get("username"), &raw("password"))
                .await?
        }
        ("agencies", "simpan") => {
            s.save_agency(
                user,
                Agency {
                    code: get("code"),
                    name: get("name"),
                    short_name: Some(get("short_name")).filter(|v| !v.is_empty()),
                    kind: get("kind"),
                    active: checked("active"),
                },
            )
            .await?;
        }
        ("categories", "simpan") => {
            s.save_category(
                user,
                Category {
                    category: get("category"),
                    subcategory: get("subcategory"),
                    active: checked("active"),
                },
            )
            .await?;
        }
        ("holidays", "simpan") => {
            let day = get("day")
                .parse()
                .map_err(|_| ApiError::from(ServiceError::field("day", "invalid_value")))?;
            s.save_holiday(
                user,
                Holiday {
                    day,
                    kind: get("kind"),
                    description: get("description"),
                },
            )
            .await?;
        }
        ("holidays", "hapus") => {
            let day = get("day")
                .parse()
                .map_err(|_| ApiError::from(ServiceError::field("day", "invalid_value")))?;
            s.delete_holiday(user, day).await?;
        }
        ("standards", "simpan") => {
            let days = |key: &str| -> Result<u32, ApiError> {
                get(key)
                    .parse::<u32>()
                    .map_err(|_| ServiceError::field(key, "out_of_range").into())
            };
            let standards = tanggap_core::TimeStandards {
                verification_days: days("verification_days")?,
                followup_days: days("followup_days")?,
                resolution_days: tanggap_core::standards::ResolutionDays {
                    information_request: days("information_request")?,
                    aspiration: days("aspiration")?,
                    complaint: days("complaint")?,
                    supervised_complaint: days("supervised_complaint")?,
                },
                auto_close_days: days("auto_close_days")?,
                hold_expiry_days: days("hold_expiry_days")?,
                reopened_response_days: days("reopened_response_days")?,
                reminder_days_before: days("reminder_days_before")?,
            };
            s.save_time_standards(user, standards).await?;
        }
        _ => return Err(ApiError::RouteNotFound),
    }
    Ok(())
}

#[derive(Deserialize)]
pub(crate) struct AuditParams {
    action: Option<String>,
    entity: Option<String>,
    before: Option<i64>,
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(params): Query<AuditParams>,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/audit").into_response();
    };
    let query = AuditQuery {
        action_prefix: params.action.clone(),
        entity: params.entity.clone(),
        before_seq: params.before,
    };
    let entries = match state.services.audit_log(&user, query).await {
        Ok(entries) => entries,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let older = (entries.len() == 50).then(|| {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        if let Some(action) = &params.action {
            pairs.append_pair("action", action);
        }
        if let Some(entity) = &params.entity {
            pairs.append_pair("entity", entity);
        }
        if let Some(last) = entries.last() {
            pairs.append_pair("before", &last.seq.to_string());
        }
        format!("/audit?{}", pairs.finish())
    });
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: jiff::Timestamp::from_microsecond(e.at_micros)
                .map(|t| local_time(&state.services, t))
                .unwrap_or_default(),
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            details: e.details,
        })
        .collect();
    let tabs = if user.role == Role::SystemAdmin {
        tabs(lang, "/audit")
    } else {
        Vec::new()
    };
    let page = AuditPage {
        l: Layout {
            lang,
            user: Some(user),
            csrf,
            path: "/audit".into(),
            title: lang.text("audit-title", &[]),
            flash: None,
        },
        tabs,
        entries: rows,
        action: params.action.unwrap_or_default(),
        entity: params.entity.unwrap_or_default(),
        older,
    };
    render(StatusCode::OK, &page)
}
