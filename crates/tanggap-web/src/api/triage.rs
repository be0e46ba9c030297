//! Triage inbox endpoints (central admin): list conversations, read one,
//! and turn it into a complaint, attach it to one, or dismiss it.

use super::complaints::ReqLang;
use super::dto::{ComplaintDto, CreatedDto, LocationDto, Problem, ReporterDto};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tanggap_core::lifecycle::Intake;
use tanggap_core::triage::{TriageState, first_words, mask_sender};
use tanggap_core::{ComplaintId, ComplaintType, Location, Reporter};
use tanggap_service::ServiceError;
use tanggap_service::triage::parse_dismiss_reason;
use tanggap_store::triage::{TriageConversation, TriageMessage};
use utoipa::{IntoParams, ToSchema};

/// Words of the first message shown in the list.
const PREVIEW_WORDS: usize = 12;

#[derive(Deserialize, IntoParams)]
pub(crate) struct ListParams {
    /// new, converted, attached, dismissed or quarantined; all when absent.
    state: Option<String>,
    /// 1-based.
    page: Option<i64>,
}

/// A conversation in the inbox list; the sender is masked.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationDto {
    id: i64,
    channel: String,
    /// Masked phone number or e-mail address.
    sender: String,
    state: String,
    complaint_id: Option<i64>,
    reason: Option<String>,
    flag: Option<String>,
    /// The reporter wrote since staff last opened the conversation.
    unread: bool,
    #[schema(value_type = String, format = DateTime)]
    first_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    last_at: jiff::Timestamp,
    message_count: i64,
    /// The first words of the first message.
    preview: String,
}

impl From<&TriageConversation> for ConversationDto {
    fn from(c: &TriageConversation) -> Self {
        Self {
            id: c.id,
            channel: c.channel.code().to_owned(),
            sender: mask_sender(&c.sender),
            state: c.state.code().to_owned(),
            complaint_id: c.complaint_id.map(|id| id.0),
            reason: c.reason.clone(),
            flag: c.flag.clone(),
            unread: c.unread,
            first_at: c.first_at,
            last_at: c.last_at,
            message_count: c.message_count,
            preview: first_words(&c.first_body, PREVIEW_WORDS),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct FileDto {
    file_name: String,
    media_type: String,
    size_bytes: u64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MessageDto {
    id: i64,
    #[schema(value_type = String, format = DateTime)]
    received_at: jiff::Timestamp,
    subject: Option<String>,
    body: String,
    files: Vec<FileDto>,
    /// Files that failed the upload checks and were not kept.
    rejected_files: Vec<String>,
}

impl From<&TriageMessage> for MessageDto {
    fn from(m: &TriageMessage) -> Self {
        Self {
            id: m.id,
            received_at: m.received_at,
            subject: m.subject.clone(),
            body: m.body.clone(),
            files: m
                .attachments
                .iter()
                .map(|f| FileDto {
                    file_name: f.file_name.clone(),
                    media_type: f.media_type.clone(),
                    size_bytes: f.size_bytes,
                })
                .collect(),
            rejected_files: m.rejected_files.clone(),
        }
    }
}

/// A conversation with its messages; the sender in full.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConversationDetailDto {
    #[serde(flatten)]
    summary: ConversationDto,
    /// The full phone number or e-mail address.
    sender_address: String,
    sender_name: Option<String>,
    messages: Vec<MessageDto>,
}

/// The recording form of a conversation turned into a complaint. The
/// channel and channel reference come from the conversation; an empty
/// body takes the messages' text.
#[derive(Deserialize, ToSchema, Default)]
pub(crate) struct ConvertRequest {
    #[schema(value_type = Option<String>, example = "complaint")]
    pub complaint_type: Option<ComplaintType>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub location: LocationDto,
    #[serde(default)]
    pub reporter: ReporterDto,
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub confidential: bool,
}

impl From<ConvertRequest> for Intake {
    fn from(r: ConvertRequest) -> Self {
        Intake {
            channel: None,
            channel_reference: None,
            received_at: None,
            complaint_type: r.complaint_type,
            title: r.title,
            body: r.body,
            category: r.category,
            subcategory: r.subcategory,
            tags: r.tags,
            location: Location {
                text: r.location.text,
                kelurahan_code: r.location.kelurahan_code,
                latitude: r.location.latitude,
                longitude: r.location.longitude,
            },
            reporter: Reporter {
                name: r.reporter.name,
                phone: r.reporter.phone,
                email: r.reporter.email,
                nik: r.reporter.nik,
                address: r.reporter.address,
            },
            anonymous: r.anonymous,
            confidential: r.confidential,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct AttachRequest {
    complaint_id: i64,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct DismissRequest {
    /// spam, not_a_complaint or duplicate.
    reason: String,
}

fn parse_state(state: Option<&str>) -> Result<Option<TriageState>, ApiError> {
    match state {
        None | Some("") => Ok(None),
        Some(code) => TriageState::from_code(code)
            .map(Some)
            .ok_or_else(|| ApiError::Service(ServiceError::field("state", "invalid_value"))),
    }
}

/// Lists inbox conversations, latest message first, 50 per page.
#[utoipa::path(get, path = "/api/v1/triage", operation_id = "triage_list", params(ListParams),
    responses((status = 200, body = Vec<ConversationDto>), (status = 403, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<ConversationDto>>, ApiError> {
    let filter = parse_state(params.state.as_deref())?;
    let conversations = state
        .services
        .triage_list(&principal, filter, params.page.unwrap_or(1))
        .await?;
    Ok(Json(
        conversations.iter().map(ConversationDto::from).collect(),
    ))
}

/// Returns a conversation with its messages and marks it read.
#[utoipa::path(get, path = "/api/v1/triage/{id}", operation_id = "triage_get", params(("id" = i64, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationDetailDto), (status = 404, body = Problem)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ConversationDetailDto>, ApiError> {
    let view = state.services.triage_conversation(&principal, id).await?;
    Ok(Json(ConversationDetailDto {
        summary: ConversationDto::from(&view.conversation),
        sender_address: view.conversation.sender.clone(),
        sender_name: view.conversation.sender_name.clone(),
        messages: view.messages.iter().map(MessageDto::from).collect(),
    }))
}

/// Turns a new conversation into a complaint through the ordinary intake;
/// the messages' files are attached to it.
#[utoipa::path(post, path = "/api/v1/triage/{id}/convert", operation_id = "triage_convert", params(("id" = i64, Path, description = "Conversation id")), request_body = ConvertRequest,
    responses((status = 201, body = CreatedDto), (status = 422, body = Problem)))]
pub(crate) async fn convert(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ConvertRequest>,
) -> Result<(StatusCode, Json<CreatedDto>), ApiError> {
    let created = state
        .services
        .triage_convert(&principal, id, request.into())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedDto {
            complaint: ComplaintDto::new(created.view, &state.services.calendar(), lang),
            secret: created.secret,
        }),
    ))
}

/// Attaches a new conversation to an existing complaint: each message
/// becomes an internal event from the reporter.
#[utoipa::path(post, path = "/api/v1/triage/{id}/attach", operation_id = "triage_attach", params(("id" = i64, Path, description = "Conversation id")), request_body = AttachRequest,
    responses((status = 204), (status = 422, body = Problem)))]
pub(crate) async fn attach(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<AttachRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .triage_attach(&principal, id, ComplaintId(request.complaint_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Dismisses a new conversation with a reason.
#[utoipa::path(post, path = "/api/v1/triage/{id}/dismiss", operation_id = "triage_dismiss", params(("id" = i64, Path, description = "Conversation id")), request_body = DismissRequest,
    responses((status = 204), (status = 422, body = Problem)))]
pub(crate) async fn dismiss(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<DismissRequest>,
) -> Result<StatusCode, ApiError> {
    let reason = parse_dismiss_reason(&request.reason)?;
    state
        .services
        .triage_dismiss(&principal, id, reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
