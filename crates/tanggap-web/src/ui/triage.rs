//! The triage inbox pages (central admin): the list of conversations with
//! masked senders, a conversation with its messages, and the forms that
//! turn it into a complaint, attach it to one, or dismiss it.

use super::complaints::{FLASH_COOKIE, Opt, error_page};
use super::session::render;
use super::views::local_time;
use super::{CsrfToken, Layout, csrf_valid, current_user, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tanggap_core::lifecycle::Intake;
use tanggap_core::triage::{DismissReason, TriageState, first_words, mask_sender};
use tanggap_core::{Channel, ComplaintType, Location, Reporter};
use tanggap_service::triage::{ConversationView, parse_dismiss_reason};
use tanggap_service::{Principal, ServiceError};
use tanggap_store::triage::TriageConversation;

/// Words of the first message shown in the list.
const PREVIEW_WORDS: usize = 12;

pub(crate) struct Row {
    pub id: i64,
    pub time: String,
    pub channel: String,
    pub sender: String,
    pub preview: String,
    pub message_count: i64,
    pub state: String,
    pub unread: bool,
    pub flag: Option<String>,
}

#[derive(Template)]
#[template(path = "triage_list.html")]
pub(crate) struct ListPage {
    pub l: Layout,
    /// Filter links: `value` is the link, `selected` marks the current one.
    pub tabs: Vec<Opt>,
    pub rows: Vec<Row>,
}

pub(crate) struct MessageRow {
    pub time: String,
    pub subject: Option<String>,
    pub body: String,
    pub files: Vec<String>,
    pub rejected: Vec<String>,
}

/// Values of the recording form, prefilled from the conversation.
#[derive(Default)]
pub(crate) struct ConvertValues {
    pub title: String,
    pub body: String,
    pub address: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub anonymous: bool,
    pub confidential: bool,
}

#[derive(Template)]
#[template(path = "triage_conversation.html")]
pub(crate) struct ConversationPage {
    pub l: Layout,
    pub id: i64,
    pub errors: Vec<String>,
    pub channel: String,
    pub sender: String,
    pub sender_name: Option<String>,
    pub state: String,
    pub flag: Option<String>,
    pub complaint_id: Option<i64>,
    pub messages: Vec<MessageRow>,
    pub is_new: bool,
    pub types: Vec<Opt>,
    pub reasons: Vec<Opt>,
    pub v: ConvertValues,
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

fn flag_text(lang: Lang, flag: Option<&str>) -> Option<String> {
    flag.map(|f| lang.text(&format!("triage-flag-{f}"), &[]))
}

/// The state label, with the reason of a dismissal or quarantine.
fn state_text(lang: Lang, c: &TriageConversation) -> String {
    let state = lang.text(&format!("triage-state-{}", c.state.code()), &[]);
    match &c.reason {
        Some(reason) => format!(
            "{state}: {}",
            lang.text(&format!("triage-reason-{reason}"), &[])
        ),
        None => state,
    }
}

#[derive(Deserialize)]
pub(crate) struct ListParams {
    keadaan: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/triase").into_response();
    };
    let lang = page_lang(&headers);
    // The inbox opens on new conversations; `semua` shows every state.
    let filter = match params.keadaan.as_deref() {
        None | Some("") => Some(TriageState::New),
        Some("semua") => None,
        Some(code) => match TriageState::from_code(code) {
            Some(state) => Some(state),
            None => return error_page(&state, lang, Some(user), csrf, ApiError::RouteNotFound),
        },
    };
    let conversations = match state.services.triage_list(&user, filter, 1).await {
        Ok(list) => list,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let mut tabs: Vec<Opt> = TriageState::ALL
        .iter()
        .map(|s| Opt {
            value: format!("/triase?keadaan={}", s.code()),
            label: lang.text(&format!("triage-state-{}", s.code()), &[]),
            selected: filter == Some(*s),
        })
        .collect();
    tabs.push(Opt {
        value: "/triase?keadaan=semua".into(),
        label: lang.text("triage-filter-all", &[]),
        selected: filter.is_none(),
    });
    let rows = conversations
        .iter()
        .map(|c| Row {
            id: c.id,
            time: local_time(&state.services, c.last_at),
            channel: lang.text(&format!("channel-{}", c.channel.code()), &[]),
            sender: mask_sender(&c.sender),
            preview: first_words(&c.first_body, PREVIEW_WORDS),
            message_count: c.message_count,
            state: state_text(lang, c),
            unread: c.unread && c.state != TriageState::New,
            flag: flag_text(lang, c.flag.as_deref()),
        })
        .collect();
    let page = ListPage {
        l: layout(
            lang,
            user,
            csrf,
            "/triase".into(),
            lang.text("triage-title", &[]),
        ),
        tabs,
        rows,
    };
    render(StatusCode::OK, &page)
}

/// Prefills the recording form from the conversation's messages.
fn prefill(view: &ConversationView) -> ConvertValues {
    let c = &view.conversation;
    let body = view
        .messages
        .iter()
        .map(|m| m.body.trim())
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let title = view
        .messages
        .iter()
        .find_map(|m| m.subject.clone())
        .unwrap_or_default();
    let (phone, email) = if c.channel == Channel::Email {
        (String::new(), c.sender.clone())
    } else {
        (c.sender.clone(), String::new())
    };
    ConvertValues {
        title,
        body,
        name: c.sender_name.clone().unwrap_or_default(),
        phone,
        email,
        ..ConvertValues::default()
    }
}

fn conversation_page(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    view: &ConversationView,
    values: Option<ConvertValues>,
    chosen_type: Option<ComplaintType>,
) -> ConversationPage {
    let c = &view.conversation;
    let messages = view
        .messages
        .iter()
        .map(|m| MessageRow {
            time: local_time(&state.services, m.received_at),
            subject: m.subject.clone(),
            body: m.body.clone(),
            files: m.attachments.iter().map(|f| f.file_name.clone()).collect(),
            rejected: m.rejected_files.clone(),
        })
        .collect();
    let chosen_type = chosen_type.unwrap_or(ComplaintType::Complaint);
    ConversationPage {
        l: layout(
            lang,
            user,
            csrf,
            format!("/triase/{}", c.id),
            lang.text("triage-conversation-title", &[("value", c.id.to_string())]),
        ),
        id: c.id,
        errors: Vec::new(),
        channel: lang.text(&format!("channel-{}", c.channel.code()), &[]),
        sender: c.sender.clone(),
        sender_name: c.sender_name.clone(),
        state: state_text(lang, c),
        flag: flag_text(lang, c.flag.as_deref()),
        complaint_id: c.complaint_id.map(|id| id.0),
        messages,
        is_new: c.state == TriageState::New,
        types: ComplaintType::ALL
            .iter()
            .map(|t| Opt {
                value: t.code().to_owned(),
                label: lang.text(&format!("type-{}", t.code()), &[]),
                selected: *t == chosen_type,
            })
            .collect(),
        reasons: DismissReason::ALL
            .iter()
            .map(|r| Opt {
                value: r.code().to_owned(),
                label: lang.text(&format!("triage-reason-{}", r.code()), &[]),
                selected: false,
            })
            .collect(),
        v: values.unwrap_or_else(|| prefill(view)),
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/triase/{id}")).into_response();
    };
    let lang = page_lang(&headers);
    let view = match state.services.triage_conversation(&user, id).await {
        Ok(view) => view,
        Err(e) => return error_page(&state, lang, Some(user), csrf, e.into()),
    };
    let page = conversation_page(&state, lang, user, csrf, &view, None, None);
    render(StatusCode::OK, &page)
}

/// Sets the one-time confirmation shown on the page `path`.
fn with_flash(mut response: Response, path: &str, text: &str) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={encoded}; Path={path}; HttpOnly; SameSite=Strict; Max-Age=120"
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Handles the three forms of a conversation: `jadikan` (convert),
/// `lampirkan` (attach) and `abaikan` (dismiss).
pub(crate) async fn submit(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to(&format!("/masuk?kembali=/triase/{id}")).into_response();
    };
    let lang = page_lang(&headers);
    let pairs = form_pairs(&body);
    if !csrf_valid(&headers, &pairs) {
        return error_page(
            &state,
            lang,
            Some(user),
            csrf,
            ApiError::BadRequest("csrf".into()),
        );
    }
    let get = |key: &str| form_value(&pairs, key).map(str::to_owned);
    let result = match action.as_str() {
        "jadikan" => return convert(&state, lang, user, csrf, id, &pairs).await,
        "lampirkan" => {
            let tracking = get("tracking_number").unwrap_or_default();
            match state.services.find_complaint(&user, &tracking).await {
                Ok(view) => state
                    .services
                    .triage_attach(&user, id, view.complaint.id)
                    .await
                    .map(|()| {
                        (
                            "triage-done-attached",
                            format!("/pengaduan/{}", view.complaint.id.0),
                        )
                    }),
                Err(ServiceError::NotFound { .. }) => {
                    Err(ServiceError::field("tracking_number", "unknown_complaint"))
                }
                Err(e) => Err(e),
            }
        }
        "abaikan" => match parse_dismiss_reason(&get("reason").unwrap_or_default()) {
            Ok(reason) => state
                .services
                .triage_dismiss(&user, id, reason)
                .await
                .map(|()| ("triage-done-dismissed", format!("/triase/{id}"))),
            Err(e) => Err(e),
        },
        _ => return error_page(&state, lang, Some(user), csrf, ApiError::RouteNotFound),
    };
    match result {
        Ok((message, target)) => with_flash(
            Redirect::to(&target).into_response(),
            &target,
            &lang.text(message, &[]),
        ),
        Err(e) => form_error(&state, lang, user, csrf, id, None, None, e).await,
    }
}

/// Shows the conversation again with the error above the forms.
#[expect(
    clippy::too_many_arguments,
    reason = "the page is rebuilt with the values the user typed"
)]
async fn form_error(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    id: i64,
    values: Option<ConvertValues>,
    chosen_type: Option<ComplaintType>,
    error: ServiceError,
) -> Response {
    let view = match state.services.triage_conversation(&user, id).await {
        Ok(view) => view,
        Err(e) => return error_page(state, lang, Some(user), csrf, e.into()),
    };
    let (status, title, fields) = describe(&error.into(), lang);
    let mut page = conversation_page(state, lang, user, csrf, &view, values, chosen_type);
    page.errors.push(title);
    page.errors.extend(fields);
    render(status, &page)
}

async fn convert(
    state: &AppState,
    lang: Lang,
    user: Principal,
    csrf: String,
    id: i64,
    pairs: &[(String, String)],
) -> Response {
    let get = |key: &str| form_value(pairs, key).map(str::to_owned);
    let complaint_type = get("complaint_type")
        .as_deref()
        .and_then(ComplaintType::from_code);
    let values = ConvertValues {
        title: get("title").unwrap_or_default(),
        body: get("body").unwrap_or_default(),
        address: get("address").unwrap_or_default(),
        name: get("name").unwrap_or_default(),
        phone: get("phone").unwrap_or_default(),
        email: get("email").unwrap_or_default(),
        anonymous: get("anonymous").is_some(),
        confidential: get("confidential").is_some(),
    };
    let intake = Intake {
        complaint_type,
        title: get("title"),
        body: get("body"),
        location: Location {
            text: get("address"),
            ..Location::default()
        },
        reporter: Reporter {
            name: get("name"),
            phone: get("phone"),
            email: get("email"),
            ..Reporter::default()
        },
        anonymous: values.anonymous,
        confidential: values.confidential,
        ..Intake::default()
    };
    match state.services.triage_convert(&user, id, intake).await {
        Ok(created) => {
            let complaint = created.view.complaint;
            let target = format!("/pengaduan/{}", complaint.id.0);
            let text = lang.text(
                "new-saved",
                &[
                    ("tracking", complaint.tracking_number.clone()),
                    ("secret", created.secret.unwrap_or_default()),
                ],
            );
            with_flash(Redirect::to(&target).into_response(), &target, &text)
        }
        Err(e) => form_error(state, lang, user, csrf, id, Some(values), complaint_type, e).await,
    }
}
