//! Complaint pages: the list, one complaint with its actions, and the form
//! that records a complaint from a channel outside LAPOR!.

use super::session::render;
use super::views::{Row, agency_label, due_text, local_time, row, title_of};
use super::{CsrfToken, Layout, csrf_valid, current_user, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::api::complaints::command;
use crate::api::dto::ActionRequest;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tanggap_core::lifecycle::{Action, Intake, Visibility};
use tanggap_core::validate::FieldError;
use tanggap_core::{Channel, ComplaintId, ComplaintType, Location, Reporter, Role, Status};
use tanggap_service::complaints::{ComplaintView, ListQuery};
use tanggap_service::{Principal, ServiceError};
use tanggap_store::Sort;

/// One option of a select.
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One input of an action form.
pub(crate) struct FormField {
    /// `textarea`, `text`, `select`, `multiselect` or `checkbox`.
    pub kind: &'static str,
    pub name: &'static str,
    pub label: String,
    pub required: bool,
    pub value: String,
    pub options: Vec<Opt>,
}

impl FormField {
    fn new(kind: &'static str, name: &'static str, label: String) -> Self {
        Self {
            kind,
            name,
            label,
            required: false,
            value: String::new(),
            options: Vec::new(),
        }
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    fn options(mut self, options: Vec<Opt>) -> Self {
        self.options = options;
        self
    }
}

/// An action the user may take, as a small form.
pub(crate) struct ActionForm {
    /// The action's name in the URL.
    pub name: &'static str,
    pub title: String,
    pub fields: Vec<FormField>,
}

pub(crate) struct Item {
    pub label: String,
    pub value: String,
}

pub(crate) struct EventItem {
    pub when: String,
    pub title: String,
    pub actor: String,
    pub public: bool,
    pub text: Option<String>,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "detail.html")]
pub(crate) struct DetailPage {
    pub l: Layout,
    pub id: i64,
    pub tracking: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: String,
    pub body: String,
    pub facts: Vec<Item>,
    pub deadlines: Vec<Item>,
    pub reporter: Vec<Item>,
    pub reporter_hidden: bool,
    pub events: Vec<EventItem>,
    pub forms: Vec<ActionForm>,
    pub version: i64,
    pub errors: Vec<String>,
    pub attachments: super::attachments::AttachmentSection,
    pub map: Option<super::map::MapView>,
}

#[derive(Template)]
#[template(path = "list.html")]
pub(crate) struct ListPage {
    pub l: Layout,
    pub rows: Vec<Row>,
    pub count: String,
    pub page_label: String,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub statuses: Vec<Opt>,
    pub channels: Vec<Opt>,
    pub types: Vec<Opt>,
    pub sorts: Vec<Opt>,
    pub q: String,
    pub overdue: bool,
    pub export_href: String,
    /// Whether rows carry checkboxes for bulk dispatch.
    pub bulk: bool,
    pub agencies: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub l: Layout,
    pub message: String,
    pub details: Vec<String>,
}

#[derive(Template)]
#[template(path = "new.html")]
pub(crate) struct NewPage {
    pub l: Layout,
    /// Help text of the file input: accepted kinds and limits.
    pub attachment_help: String,
    pub errors: Vec<String>,
    pub warning: Option<String>,
    pub channels: Vec<Opt>,
    pub types: Vec<Opt>,
    pub categories: Vec<Opt>,
    pub kelurahan: Vec<Opt>,
    pub v: NewValues,
}

/// Values typed into the recording form, shown again after an error.
#[derive(Default)]
pub(crate) struct NewValues {
    pub channel_reference: String,
    pub received_at: String,
    pub title: String,
    pub body: String,
    pub address: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub nik: String,
    pub reporter_address: String,
    pub anonymous: bool,
    pub confidential: bool,
}

fn layout(lang: Lang, user: Principal, csrf: String, path: String, title: String) -> Layout {
    Layout {
        lang,
        user: Some(user),
        csrf,
        path,
        title,
        flash: None,
    }
}

/// Renders an error as a page in the user's language.
pub(crate) fn error_page(
    state: &AppState,
    lang: Lang,
    user: Option<Principal>,
    csrf: String,
    error: ApiError,
) -> Response {
    let _ = state;
    let (status, message, details) = match &error {
        ApiError::Service(ServiceError::NotFound { .. }) | ApiError::RouteNotFound => (
            StatusCode::NOT_FOUND,
            lang.text("error-page-not-found", &[]),
            Vec::new(),
        ),
        _ => describe(&error, lang),
    };
    let page = ErrorPage {
        l: Layout {
            lang,
            user,
            csrf,
            path: "/beranda".into(),
            title: lang.text("error-title", &[]),
            flash: None,
        },
        message,
        details,
    };
    render(status, &page)
}

fn options<T: Copy + PartialEq>(
    all: &[T],
    selected: Option<T>,
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Opt> {
    all.iter()
        .map(|item| Opt {
            value: code(*item).to_owned(),
            label: label(*item),
            selected: selected == Some(*item),
        })
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct ListParams {
    status: Option<String>,
    channel: Option<String>,
    #[serde(rename = "type")]
    complaint_type: Option<String>,
    overdue: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    /// Results of a bulk dispatch, for the confirmation.
    dispatched: Option<u32>,
    failed: Option<u32>,
}

impl ListParams {
    /// Builds the service query of these filters, 25 complaints a page.
    pub(crate) fn query(&self) -> ListQuery {
        ListQuery {
            statuses: self
                .status
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter_map(|s| Status::from_code(s.trim()))
                .collect(),
            complaint_type: self
                .complaint_type
                .as_deref()
                .and_then(ComplaintType::from_code),
            channel: self.channel.as_deref().and_then(Channel::from_code),
            overdue: self
                .overdue
                .as_deref()
                .is_some_and(|v| v == "true" || v == "on"),
            text: self.q.clone(),
            sort: match self.sort.as_deref() {
                Some("received_newest") => Sort::ReceivedNewest,
                Some("received_oldest") => Sort::ReceivedOldest,
                _ => Sort::DueAt,
            },
            page: self.page.unwrap_or(1).max(1),
            per_page: 25,
            ..ListQuery::default()
        }
    }

    /// Encodes the filters as a query string, for links to this list or its export.
    pub(crate) fn to_query_string(&self) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("status", &self.status),
            ("channel", &self.channel),
            ("type", &self.complaint_type),
            ("overdue", &self.overdue),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        for (name, value) in fields {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                pairs.append_pair(name, value);
            }
        }
        pairs.finish()
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(params): Query<ListParams>,
) -> Response {
    let path = uri
        .path_and_query()
        .map_or("/pengaduan".to_owned(), |p| p.to_string());
    let Some(user) = current_user(&state, &headers).await else {
        let back: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
        return Redirect::to(&format!("/masuk?kembali={back}")).into_response();
    };
    let lang = page_lang(&headers);
    let query = params.query();
    let statuses = query.statuses.clone();
    let (channel, complaint_type, overdue) = (query.channel, query.complaint_type, query.overdue);
    let q = params.q.clone().unwrap_or_default();
    let page = match state.services.list_complaints(&user, query).await {
        Ok(page) => page,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let pages = ((page.total + page.per_page - 1) / page.per_page).max(1);
    let filters = params.to_query_string();
    let link = |n: i64| {
        if filters.is_empty() {
            format!("/pengaduan?page={n}")
        } else {
            format!("/pengaduan?{filters}&page={n}")
        }
    };
    let status_label = |s: Status| lang.text(&format!("status-{}", s.code()), &[]);
    let mut status_options = vec![Opt {
        value: String::new(),
        label: lang.text("list-any", &[]),
        selected: statuses.is_empty(),
    }];
    status_options.extend(Status::ALL.iter().map(|s| Opt {
        value: s.code().to_owned(),
        label: status_label(*s),
        selected: statuses.len() == 1 && statuses[0] == *s,
    }));
    if statuses.len() > 1 {
        let codes: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
        let labels: Vec<String> = statuses.iter().map(|s| status_label(*s)).collect();
        status_options.push(Opt {
            value: codes.join(","),
            label: labels.join(" + "),
            selected: true,
        });
    }
    let with_any = |mut opts: Vec<Opt>, any_selected: bool| {
        opts.insert(
            0,
            Opt {
                value: String::new(),
                label: lang.text("list-any", &[]),
                selected: any_selected,
            },
        );
        opts
    };
    let channels = with_any(
        options(Channel::ALL, channel, Channel::code, |c| {
            lang.text(&format!("channel-{}", c.code()), &[])
        }),
        channel.is_none(),
    );
    let types = with_any(
        options(
            ComplaintType::ALL,
            complaint_type,
            ComplaintType::code,
            |t| lang.text(&format!("type-{}", t.code()), &[]),
        ),
        complaint_type.is_none(),
    );
    let sorts = ["due_at", "received_newest", "received_oldest"]
        .iter()
        .map(|s| Opt {
            value: (*s).to_owned(),
            label: lang.text(&format!("sort-{s}"), &[]),
            selected: params.sort.as_deref().unwrap_or("due_at") == *s,
        })
        .collect();
    // The central admin may dispatch verified and returned complaints
    // several at a time from the list.
    let bulk = user.role == Role::CentralAdmin;
    let rows: Vec<Row> = page
        .items
        .iter()
        .map(|v| {
            let mut r = row(&state.services, lang, v);
            r.selectable = bulk && v.allowed_actions.contains(&Action::Dispatch);
            r
        })
        .collect();
    let bulk = bulk && rows.iter().any(|r| r.selectable);
    let mut layout = layout(lang, user, csrf, path, lang.text("list-title", &[]));
    layout.flash = match (params.dispatched, params.failed) {
        (Some(ok), failed) => Some(lang.text(
            "bulk-result",
            &[
                ("ok", ok.to_string()),
                ("failed", failed.unwrap_or(0).to_string()),
            ],
        )),
        _ => None,
    };
    let list_page = ListPage {
        l: layout,
        bulk,
        agencies: agency_options(&state, None),
        rows,
        count: lang.text(
            if page.total_capped {
                "list-count-capped"
            } else {
                "list-count"
            },
            &[("total", page.total.to_string())],
        ),
        page_label: lang.text(
            "list-page",
            &[
                ("page", page.page.to_string()),
                ("pages", pages.to_string()),
            ],
        ),
        previous: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < pages).then(|| link(page.page + 1)),
        export_href: format!("/pengaduan/ekspor.csv?{filters}"),
        statuses: status_options,
        channels,
        types,
        sorts,
        q,
        overdue,
    };
    render(StatusCode::OK, &list_page)
}

/// Upper-cases the first letter, for labels used as headings.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One-time confirmation shown on the next page the user opens.
pub(crate) const FLASH_COOKIE: &str = "tanggap_flash";

#[derive(Deserialize)]
pub(crate) struct DetailParams {
    ok: Option<String>,
}

pub(crate) async fn detail(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<DetailParams>,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!(
            "/masuk?kembali=/pengaduan/{}",
            id.chars().filter(char::is_ascii_digit).collect::<String>()
        ))
        .into_response();
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, lang, Some(user), csrf, ApiError::RouteNotFound);
    };
    let stored_flash = crate::auth::cookie(&headers, FLASH_COOKIE).map(|value| {
        form_urlencoded::parse(format!("m={value}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    });
    let flash = stored_flash.clone().or_else(|| {
        params.ok.as_deref().map(|action| {
            let key = format!("action-{}", action.replace('-', "_"));
            if lang.has(&key) {
                lang.text("detail-saved", &[("action", lang.text(&key, &[]))])
            } else {
                lang.text("detail-saved-generic", &[])
            }
        })
    });
    let mut response = detail_page(
        &state,
        lang,
        user,
        csrf,
        id,
        StatusCode::OK,
        Vec::new(),
        flash,
    )
    .await;
    if stored_flash.is_some()
        && let Ok(value) = axum::http::HeaderValue::from_str(&format!(
            "{FLASH_COOKIE}=; Path=/pengaduan/{id}; HttpOnly; SameSite=Strict; Max-Age=0"
        ))
    {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, value);
    }
    response
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page with its error and flash states"
)]
async fn detail_page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    id: i64,
    status: StatusCode,
    errors: Vec<String>,
    flash: Option<String>,
) -> Response {
    let s = &state.services;
    let view = match s.get_complaint(&user, ComplaintId(id)).await {
        Ok(view) => view,
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let events = match s.complaint_history(&user, ComplaintId(id)).await {
        Ok(events) => events,
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let attachments = match s.attachments(&user, ComplaintId(id)).await {
        Ok(attachments) => super::attachments::section(lang, &view, attachments),
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let c = &view.complaint;
    let map = super::map::map_view(
        lang,
        &c.location,
        c.location
            .kelurahan_code
            .as_deref()
            .and_then(|code| s.region_name(code)),
        state.config.map_tile_url.as_deref(),
    );
    let t = |key: &str| lang.text(key, &[]);
    let yes_no = |b: bool| if b { t("yes") } else { t("no") };

    let mut facts = vec![
        Item {
            label: t("detail-received"),
            value: local_time(s, c.received_at),
        },
        Item {
            label: t("detail-channel"),
            value: t(&format!("channel-{}", c.channel.code())),
        },
    ];
    if let Some(reference) = &c.channel_reference
        && view.identity_visible
    {
        facts.push(Item {
            label: t("detail-reference"),
            value: reference.clone(),
        });
    }
    facts.push(Item {
        label: t("detail-procedure"),
        value: c.procedure.code().to_owned(),
    });
    facts.push(Item {
        label: t("detail-type"),
        value: t(&format!("type-{}", c.complaint_type.code())),
    });
    facts.push(Item {
        label: t("detail-supervision"),
        value: yes_no(c.supervision),
    });
    if let Some(category) = &c.category {
        let value = match &c.subcategory {
            Some(sub) => format!("{category} / {sub}"),
            None => category.clone(),
        };
        facts.push(Item {
            label: t("detail-category"),
            value,
        });
    }
    if !c.tags.is_empty() {
        facts.push(Item {
            label: t("detail-tags"),
            value: c.tags.join(", "),
        });
    }
    if let Some(text) = &c.location.text {
        facts.push(Item {
            label: t("detail-location"),
            value: text.clone(),
        });
    }
    if let Some(code) = &c.location.kelurahan_code {
        let name = s.region_name(code).unwrap_or_else(|| code.clone());
        facts.push(Item {
            label: t("detail-kelurahan"),
            value: name,
        });
    }
    if let (Some(lat), Some(lng)) = (c.location.latitude, c.location.longitude) {
        facts.push(Item {
            label: t("detail-coordinates"),
            value: format!("{lat:.5}, {lng:.5}"),
        });
    }
    if c.lead_agency.is_some() {
        facts.push(Item {
            label: t("detail-lead"),
            value: agency_label(s, c.lead_agency.as_deref()),
        });
    }
    if !c.supporting_agencies.is_empty() {
        let names: Vec<String> = c
            .supporting_agencies
            .iter()
            .map(|a| agency_label(s, Some(a)))
            .collect();
        facts.push(Item {
            label: t("detail-supporting"),
            value: names.join(", "),
        });
    }
    if let Some(tanggap_core::ArchiveReason::Duplicate { of }) = c.archive_reason
        && let Ok(original) = s.get_complaint(&user, of).await
    {
        facts.push(Item {
            label: t("detail-duplicate-of"),
            value: original.complaint.tracking_number,
        });
    }
    if let Some(institution) = &c.forwarded_to {
        facts.push(Item {
            label: t("detail-forwarded-to"),
            value: institution.clone(),
        });
    }
    if let Some(satisfaction) = &c.satisfaction {
        let mut value = t(if satisfaction.satisfied {
            "satisfaction-yes"
        } else {
            "satisfaction-no"
        });
        if let Some(rating) = satisfaction.rating {
            value.push_str(&format!(
                " · {}",
                lang.text("detail-rating", &[("rating", rating.to_string())])
            ));
        }
        facts.push(Item {
            label: t("detail-satisfaction"),
            value,
        });
    }

    // Only the deadlines that still run get a countdown; past stages show
    // their due date alone.
    let d = &c.deadlines;
    let mut deadlines = Vec::new();
    for (key, at) in [
        ("deadline-verification", d.verification_due_at),
        ("deadline-followup", d.followup_due_at),
        ("deadline-resolution", d.resolution_due_at),
        ("deadline-hold", d.hold_expires_at),
        ("deadline-auto-close", d.auto_close_at),
    ] {
        let Some(instant) = at else { continue };
        let running = Some(instant) == d.due_at
            || (c.status == Status::OnHold && Some(instant) == d.hold_expires_at)
            || (c.status == Status::Responded && Some(instant) == d.auto_close_at);
        let value = if running {
            due_text(s, lang, at).0
        } else {
            s.calendar()
                .due_date(instant)
                .strftime("%d/%m/%Y")
                .to_string()
        };
        deadlines.push(Item {
            label: t(key),
            value,
        });
    }
    if c.status == Status::Returned && d.due_at.is_some() {
        deadlines.push(Item {
            label: t("deadline-redispatch"),
            value: due_text(s, lang, d.due_at).0,
        });
    }

    let reporter = if view.identity_visible {
        let r = &c.reporter;
        [
            ("detail-name", &r.name),
            ("detail-phone", &r.phone),
            ("detail-email", &r.email),
            ("detail-nik", &r.nik),
            ("detail-address", &r.address),
        ]
        .into_iter()
        .filter_map(|(key, value)| {
            value.as_ref().map(|v| Item {
                label: t(key),
                value: v.clone(),
            })
        })
        .chain(c.anonymous.then(|| Item {
            label: t("detail-anonymous"),
            value: t("yes"),
        }))
        .chain(c.confidential.then(|| Item {
            label: t("detail-confidential"),
            value: t("yes"),
        }))
        .collect()
    } else {
        Vec::new()
    };

    let events = events
        .into_iter()
        .map(|stored| {
            let e = stored.event;
            let mut detail = String::new();
            if let Some(from) = e.from_status
                && from != e.to_status
            {
                detail = format!(
                    "{} → {}",
                    t(&format!("status-{}", from.code())),
                    t(&format!("status-{}", e.to_status.code()))
                );
            }
            if let Some(lead) = e.data.get("lead_agency").and_then(Value::as_str)
                && e.action == Action::Dispatch
            {
                detail.push_str(&format!(" · {}", agency_label(s, Some(lead))));
            }
            if let Some(institution) = e.data.get("institution").and_then(Value::as_str) {
                detail.push_str(&format!(" · {institution}"));
            }
            EventItem {
                when: local_time(s, e.at),
                title: capitalise(&t(&format!("action-{}", e.action.code()))),
                actor: match e.actor.label.as_str() {
                    "sistem" | "pelapor" => t(&format!("actor-{}", e.actor.label)),
                    _ => e.actor.label,
                },
                public: e.visibility == Visibility::Public,
                text: e.text,
                detail,
            }
        })
        .collect();

    let forms = action_forms(state, lang, &view);
    let page = DetailPage {
        l: Layout {
            lang,
            user: Some(user),
            csrf,
            path: format!("/pengaduan/{id}"),
            title: format!("{} — {}", c.tracking_number, title_of(&view)),
            flash,
        },
        id,
        tracking: c.tracking_number.clone(),
        title: title_of(&view),
        status: c.status.code(),
        status_label: t(&format!("status-{}", c.status.code())),
        body: c.body.clone(),
        facts,
        deadlines,
        reporter,
        reporter_hidden: !view.identity_visible,
        events,
        forms,
        version: c.version,
        errors,
        attachments,
        map,
    };
    render(status, &page)
}

/// Renders the complaint page again with errors, for forms handled elsewhere.
pub(crate) async fn detail_with_errors(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    id: i64,
    status: StatusCode,
    errors: Vec<String>,
) -> Response {
    detail_page(state, lang, user, csrf, id, status, errors, None).await
}

fn agency_options(state: &AppState, selected: Option<&str>) -> Vec<Opt> {
    let reference = state.services.agency_options();
    reference
        .into_iter()
        .map(|(code, name)| Opt {
            selected: selected == Some(code.as_str()),
            value: code,
            label: name,
        })
        .collect()
}

fn category_options(state: &AppState, lang: Lang, selected: Option<&str>) -> Vec<Opt> {
    let mut opts = vec![Opt {
        value: String::new(),
        label: lang.text("form-choose", &[]),
        selected: selected.is_none(),
    }];
    opts.extend(state.services.category_names().into_iter().map(|name| Opt {
        selected: selected == Some(name.as_str()),
        label: name.clone(),
        value: name,
    }));
    opts
}

/// Builds the forms of the actions the user may take now.
fn action_forms(state: &AppState, lang: Lang, view: &ComplaintView) -> Vec<ActionForm> {
    let t = |key: &str| lang.text(key, &[]);
    let c = &view.complaint;
    let mut forms = Vec::new();
    let mut reply_done = false;
    for action in &view.allowed_actions {
        let (name, fields): (&'static str, Vec<FormField>) = match action {
            Action::Verify => (
                "verify",
                vec![
                    FormField::new("select", "complaint_type", t("detail-type"))
                        .required()
                        .options(options(
                            ComplaintType::ALL,
                            Some(c.complaint_type),
                            ComplaintType::code,
                            |k| t(&format!("type-{}", k.code())),
                        )),
                    FormField::new("text", "title", t("form-title")).value(title_of(view)),
                    FormField::new("select", "category", t("detail-category"))
                        .required()
                        .options(category_options(state, lang, c.category.as_deref())),
                    FormField::new("text", "subcategory", t("form-subcategory"))
                        .value(c.subcategory.clone().unwrap_or_default()),
                    FormField::new("text", "tags", t("form-tags")).value(c.tags.join(", ")),
                    FormField::new("checkbox", "supervision", t("form-supervision")),
                ],
            ),
            Action::Hold => (
                "hold",
                vec![FormField::new("textarea", "question", t("form-question")).required()],
            ),
            Action::Complete => (
                "complete",
                vec![FormField::new("textarea", "text", t("form-text")).required()],
            ),
            Action::Archive => (
                "archive",
                vec![
                    FormField::new("select", "reason", t("form-archive-reason"))
                        .required()
                        .options(
                            ["spam", "duplicate", "not_a_complaint", "unintelligible"]
                                .iter()
                                .map(|r| Opt {
                                    value: (*r).to_owned(),
                                    label: t(&format!("archive-{r}")),
                                    selected: false,
                                })
                                .collect(),
                        ),
                    FormField::new("text", "duplicate_of", t("form-duplicate-of")),
                    FormField::new("textarea", "note", t("form-note")),
                ],
            ),
            Action::Dispatch => (
                "dispatch",
                vec![
                    FormField::new("select", "lead_agency", t("form-lead-agency"))
                        .required()
                        .options(agency_options(state, None)),
                    FormField::new("multiselect", "supporting_agencies", t("form-supporting"))
                        .options(agency_options(state, None)),
                    FormField::new("textarea", "instruction", t("form-instruction")),
                ],
            ),
            Action::Return => (
                "return",
                vec![FormField::new("textarea", "reason", t("form-reason")).required()],
            ),
            Action::Forward => (
                "forward",
                vec![
                    FormField::new("text", "institution", t("form-institution")).required(),
                    FormField::new("textarea", "note", t("form-note")),
                ],
            ),
            Action::FollowUp => (
                "follow-up",
                vec![FormField::new("textarea", "text", t("form-text")).required()],
            ),
            Action::Respond => (
                "respond",
                vec![FormField::new("textarea", "text", t("form-text")).required()],
            ),
            Action::ReporterAccept | Action::ReporterReject => {
                if reply_done {
                    continue;
                }
                reply_done = true;
                (
                    "reporter-reply",
                    vec![
                        FormField::new("select", "satisfied", t("form-satisfied"))
                            .required()
                            .options(vec![
                                Opt {
                                    value: "true".into(),
                                    label: t("yes"),
                                    selected: true,
                                },
                                Opt {
                                    value: "false".into(),
                                    label: t("no"),
                                    selected: false,
                                },
                            ]),
                        FormField::new("select", "rating", t("form-rating")).options(
                            std::iter::once(Opt {
                                value: String::new(),
                                label: t("form-choose"),
                                selected: true,
                            })
                            .chain((1..=5).map(|n| Opt {
                                value: n.to_string(),
                                label: n.to_string(),
                                selected: false,
                            }))
                            .collect(),
                        ),
                        FormField::new("textarea", "comment", t("form-comment")),
                    ],
                )
            }
            Action::Resolve => (
                "resolve",
                vec![FormField::new("textarea", "note", t("form-note"))],
            ),
            Action::Reopen => (
                "reopen",
                vec![FormField::new("textarea", "reason", t("form-reason")).required()],
            ),
            Action::Note => (
                "note",
                vec![FormField::new("textarea", "text", t("form-text")).required()],
            ),
            Action::Link => (
                "link",
                vec![FormField::new("text", "related", t("form-related")).required()],
            ),
            _ => continue,
        };
        let title = match name {
            "reporter-reply" => t("form-satisfied"),
            _ => capitalise(&t(&format!("action-{}", action.code()))),
        };
        forms.push(ActionForm {
            name,
            title,
            fields,
        });
    }
    forms
}

/// Resolves a complaint reference typed by a user: a tracking number or an id.
async fn resolve_reference(
    state: &AppState,
    user: &Principal,
    field: &str,
    text: &str,
) -> Result<i64, ApiError> {
    if let Ok(id) = text.parse::<i64>() {
        return Ok(id);
    }
    state
        .services
        .find_complaint(user, text)
        .await
        .map(|view| view.complaint.id.0)
        .map_err(|_| {
            ServiceError::Validation(vec![FieldError::new(field, "unknown_complaint")]).into()
        })
}

/// Turns the form of an action into the API's action request.
async fn action_request(
    state: &AppState,
    user: &Principal,
    pairs: &[(String, String)],
) -> Result<ActionRequest, ApiError> {
    let mut object = Map::new();
    let mut supporting = Vec::new();
    for (key, value) in pairs {
        let value = value.trim();
        match key.as_str() {
            "csrf" => {}
            "supporting_agencies" => {
                if !value.is_empty() {
                    supporting.push(json!(value));
                }
            }
            _ if value.is_empty() => {}
            "version" => {
                let version = value
                    .parse::<i64>()
                    .map_err(|_| ApiError::BadRequest("version".into()))?;
                object.insert(key.clone(), json!(version));
            }
            "supervision" => {
                object.insert(key.clone(), json!(true));
            }
            "satisfied" => {
                object.insert(key.clone(), json!(value == "true"));
            }
            "rating" => {
                let rating = value.parse::<u8>().map_err(|_| {
                    ApiError::from(ServiceError::Validation(vec![FieldError::new(
                        "rating",
                        "out_of_range",
                    )]))
                })?;
                object.insert(key.clone(), json!(rating));
            }
            "tags" => {
                let tags: Vec<&str> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect();
                object.insert(key.clone(), json!(tags));
            }
            "duplicate_of" | "related" => {
                let id = resolve_reference(state, user, key, value).await?;
                object.insert(key.clone(), json!(id));
            }
            _ => {
                object.insert(key.clone(), json!(value));
            }
        }
    }
    if !supporting.is_empty() {
        object.insert("supporting_agencies".into(), Value::Array(supporting));
    }
    serde_json::from_value(Value::Object(object)).map_err(|e| ApiError::BadRequest(e.to_string()))
}

pub(crate) async fn act(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/pengaduan/{id}")).into_response();
    };
    let pairs = form_pairs(&body);
    if !csrf_valid(&headers, &pairs) {
        let errors = vec![lang.text("error-csrf", &[])];
        return detail_page(
            &state,
            lang,
            user,
            csrf,
            id,
            StatusCode::FORBIDDEN,
            errors,
            None,
        )
        .await;
    }
    let result = async {
        let request = action_request(&state, &user, &pairs).await?;
        let version = request.version;
        let command = command(&action, request)?;
        state
            .services
            .act(&user, ComplaintId(id), version, command)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!(
            "/pengaduan/{id}?ok={}",
            action.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
        ))
        .into_response(),
        Err(
            e @ (ApiError::Service(ServiceError::NotFound { .. }) | ApiError::UnknownAction(_)),
        ) => error_page(&state, lang, Some(user), csrf, e),
        Err(e) => {
            let (status, title, fields) = describe(&e, lang);
            let mut errors = vec![title];
            errors.extend(fields);
            detail_page(&state, lang, user, csrf, id, status, errors, None).await
        }
    }
}

fn new_layout(lang: Lang, user: Principal, csrf: String) -> Layout {
    layout(
        lang,
        user,
        csrf,
        "/pengaduan/baru".into(),
        lang.text("new-title", &[]),
    )
}

/// The choices of the recording form's selects.
#[derive(Default)]
struct NewSelections {
    channel: Option<Channel>,
    complaint_type: Option<ComplaintType>,
    category: Option<String>,
    kelurahan: Option<String>,
}

fn new_page_for(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    v: NewValues,
    chosen: &NewSelections,
) -> NewPage {
    let channels: Vec<Channel> = Channel::ALL
        .iter()
        .copied()
        .filter(|c| user.role == Role::CentralAdmin || *c != Channel::Lapor)
        .collect();
    let (channel, complaint_type) = (chosen.channel, chosen.complaint_type);
    let (category, kelurahan) = (chosen.category.as_deref(), chosen.kelurahan.as_deref());
    let mut kelurahan_options = vec![Opt {
        value: String::new(),
        label: lang.text("form-choose", &[]),
        selected: kelurahan.is_none(),
    }];
    kelurahan_options.extend(
        state
            .services
            .kelurahan_options()
            .into_iter()
            .map(|(code, name)| Opt {
                selected: kelurahan == Some(code.as_str()),
                value: code,
                label: name,
            }),
    );
    NewPage {
        l: new_layout(lang, user, csrf),
        attachment_help: super::attachments::upload_help(lang),
        errors: Vec::new(),
        warning: None,
        // No channel is preselected, so the admin chooses where it came from.
        channels: std::iter::once(Opt {
            value: String::new(),
            label: lang.text("form-choose", &[]),
            selected: channel.is_none(),
        })
        .chain(options(&channels, channel, Channel::code, |c| {
            lang.text(&format!("channel-{}", c.code()), &[])
        }))
        .collect(),
        types: options(
            ComplaintType::ALL,
            complaint_type.or(Some(ComplaintType::Complaint)),
            ComplaintType::code,
            |k| lang.text(&format!("type-{}", k.code()), &[]),
        ),
        categories: category_options(state, lang, category),
        kelurahan: kelurahan_options,
        v,
    }
}

/// Dispatches the selected complaints to one lead agency. Each complaint
/// is dispatched on its own at its current version. Those that fail because
/// they changed meanwhile are counted and left as they are.
pub(crate) async fn bulk_dispatch(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/pengaduan").into_response();
    };
    let pairs = form_pairs(&body);
    if !csrf_valid(&headers, &pairs) {
        return error_page(
            &state,
            lang,
            Some(user),
            csrf,
            ApiError::BadRequest(lang.text("error-csrf", &[])),
        );
    }
    let Some(lead) = form_value(&pairs, "lead_agency").map(str::to_owned) else {
        let error = ServiceError::Validation(vec![FieldError::new("lead_agency", "required")]);
        return error_page(&state, lang, Some(user), csrf, error.into());
    };
    let instruction = form_value(&pairs, "instruction").map(str::to_owned);
    let (mut dispatched, mut failed) = (0u32, 0u32);
    for id in pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .take(100)
    {
        let result = match state.services.get_complaint(&user, ComplaintId(id)).await {
            Ok(view) => {
                let command = tanggap_core::lifecycle::Command::Dispatch {
                    lead_agency: lead.clone(),
                    supporting_agencies: Vec::new(),
                    instruction: instruction.clone(),
                };
                state
                    .services
                    .act(&user, ComplaintId(id), view.complaint.version, command)
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => dispatched += 1,
            Err(ServiceError::Validation(errors)) => {
                let error = ServiceError::Validation(errors);
                return error_page(&state, lang, Some(user), csrf, error.into());
            }
            Err(_) => failed += 1,
        }
    }
    Redirect::to(&format!(
        "/pengaduan?status=verified,returned&dispatched={dispatched}&failed={failed}"
    ))
    .into_response()
}

pub(crate) async fn new_page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/pengaduan/baru").into_response();
    };
    let lang = page_lang(&headers);
    if !matches!(user.role, Role::CentralAdmin | Role::LiaisonAdmin) {
        return error_page(
            &state,
            lang,
            Some(user),
            csrf,
            ServiceError::Forbidden.into(),
        );
    }
    let page = new_page_for(
        &state,
        lang,
        user,
        csrf,
        NewValues::default(),
        &NewSelections::default(),
    );
    render(StatusCode::OK, &page)
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/pengaduan/baru").into_response();
    };
    let lang = page_lang(&headers);
    let form = match super::attachments::read_form(&state, request).await {
        Ok(form) => form,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e),
    };
    let pairs = form.pairs;
    let uploads = form.uploads;
    let get = |key: &str| form_value(&pairs, key).map(str::to_owned);
    let values = NewValues {
        channel_reference: get("channel_reference").unwrap_or_default(),
        received_at: get("received_at").unwrap_or_default(),
        title: get("title").unwrap_or_default(),
        body: get("body").unwrap_or_default(),
        address: get("address").unwrap_or_default(),
        name: get("name").unwrap_or_default(),
        phone: get("phone").unwrap_or_default(),
        email: get("email").unwrap_or_default(),
        nik: get("nik").unwrap_or_default(),
        reporter_address: get("reporter_address").unwrap_or_default(),
        anonymous: get("anonymous").is_some(),
        confidential: get("confidential").is_some(),
    };
    let chosen = NewSelections {
        channel: get("channel").as_deref().and_then(Channel::from_code),
        complaint_type: get("complaint_type")
            .as_deref()
            .and_then(ComplaintType::from_code),
        category: get("category"),
        kelurahan: get("kelurahan_code"),
    };
    let mut page = new_page_for(&state, lang, user.clone(), csrf.clone(), values, &chosen);
    let NewSelections {
        channel,
        complaint_type,
        category,
        kelurahan,
    } = chosen;
    if !csrf_valid(&headers, &pairs) {
        page.errors.push(lang.text("error-csrf", &[]));
        return render(StatusCode::FORBIDDEN, &page);
    }

    // Completeness check: warn once, save when the user confirms.
    let mut missing = Vec::new();
    if kelurahan.is_none() && page.v.address.is_empty() {
        missing.push(lang.text("new-incomplete-location", &[]));
    }
    if page.v.phone.is_empty() && page.v.email.is_empty() {
        missing.push(lang.text("new-incomplete-contact", &[]));
    }
    if !missing.is_empty() && get("confirm_incomplete").is_none() {
        page.warning = Some(lang.text("new-incomplete", &[("missing", missing.join("; "))]));
        if !uploads.is_empty() {
            page.errors.push(lang.text("new-files-again", &[]));
        }
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }

    // Files are checked before the complaint is saved, so a rejected file
    // does not leave a complaint without its attachments.
    let checked_uploads = match state.services.check_uploads(uploads).await {
        Ok(checked) => checked,
        Err(e) => {
            let (status, title, fields) = describe(&e.into(), lang);
            page.errors.push(title);
            page.errors.extend(fields);
            page.errors.push(lang.text("new-files-again", &[]));
            return render(status, &page);
        }
    };

    let received_at = match page.v.received_at.as_str() {
        "" => None,
        text => match text.parse::<jiff::civil::DateTime>().ok().and_then(|dt| {
            dt.to_zoned(state.services.calendar().time_zone().clone())
                .ok()
        }) {
            Some(zoned) => Some(zoned.timestamp()),
            None => {
                let (_, title, fields) = describe(
                    &ServiceError::Validation(vec![FieldError::new(
                        "received_at",
                        "invalid_value",
                    )])
                    .into(),
                    lang,
                );
                page.errors.push(title);
                page.errors.extend(fields);
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        },
    };
    let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
    let intake = Intake {
        channel,
        channel_reference: opt(&page.v.channel_reference),
        received_at,
        complaint_type,
        title: opt(&page.v.title),
        body: Some(page.v.body.clone()),
        category,
        subcategory: None,
        tags: Vec::new(),
        location: Location {
            text: opt(&page.v.address),
            kelurahan_code: kelurahan,
            latitude: None,
            longitude: None,
        },
        reporter: Reporter {
            name: opt(&page.v.name),
            phone: opt(&page.v.phone),
            email: opt(&page.v.email),
            nik: opt(&page.v.nik),
            address: opt(&page.v.reporter_address),
        },
        anonymous: page.v.anonymous,
        confidential: page.v.confidential,
    };
    match state.services.create_complaint(&user, intake, None).await {
        Ok(created) => {
            // Post/redirect/get: the confirmation with the reporter's secret
            // travels in a one-time cookie, never in the URL.
            let tracking = created.view.complaint.tracking_number.clone();
            let id = created.view.complaint.id.0;
            let attach_failed = if checked_uploads.is_empty() {
                false
            } else if let Err(e) = state
                .services
                .attach(&user, ComplaintId(id), checked_uploads, true)
                .await
            {
                tracing::error!(error = %e, complaint_id = id, "attaching the recording form's files failed");
                true
            } else {
                false
            };
            let mut flash = lang.text(
                "new-saved",
                &[
                    ("tracking", tracking),
                    ("secret", created.secret.unwrap_or_default()),
                ],
            );
            if attach_failed {
                flash.push(' ');
                flash.push_str(&lang.text("new-attach-failed", &[]));
            }
            let mut response = Redirect::to(&format!("/pengaduan/{id}")).into_response();
            let encoded: String = form_urlencoded::byte_serialize(flash.as_bytes()).collect();
            if let Ok(value) = axum::http::HeaderValue::from_str(&format!(
                "{FLASH_COOKIE}={encoded}; Path=/pengaduan/{id}; HttpOnly; SameSite=Strict; Max-Age=120"
            )) {
                response
                    .headers_mut()
                    .append(axum::http::header::SET_COOKIE, value);
            }
            response
        }
        Err(e) => {
            let (status, title, fields) = describe(&e.into(), lang);
            page.errors.push(title);
            page.errors.extend(fields);
            render(status, &page)
        }
    }
}
