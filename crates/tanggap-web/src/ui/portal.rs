//! The public portal: citizens report a complaint without an account
//! (`/lapor`) and follow it with the tracking number and the secret
//! (`/lacak`).
//!
//! Abuse controls: a hidden honeypot field, in-memory rate limits per
//! client address and per contact, and the CSRF double-submit cookie that
//! staff forms use. The secret travels only in the one-time receipt cookie,
//! in form fields and in the tracking link the reporter bookmarks; it is
//! never logged.

use super::complaints::Opt;
use super::session::render;
use super::views::{agency_label, due_text, local_time};
use super::{CsrfToken, Layout, csrf_valid, form_pairs, form_value, page_lang};
use crate::AppState;
use crate::error::describe;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tanggap_core::lifecycle::{Command, Intake};
use tanggap_core::{ComplaintType, Location, Reporter, Status};
use tanggap_service::ServiceError;
use tanggap_service::portal::{PublicActor, ReporterView};

/// One-time cookie that carries the tracking number and secret from the
/// report's POST to the receipt page.
const RECEIPT_COOKIE: &str = "tanggap_receipt";
const RECEIPT_PATH: &str = "/lapor/terkirim";
/// Name of the honeypot field: hidden from people, filled by simple bots.
const HONEYPOT_FIELD: &str = "situs_web";
/// Tag of a report whose map pin lies outside every kelurahan of the city.
const OUTSIDE_CITY_TAG: &str = "lokasi-di-luar-kota";
/// Distinct keys kept before windows that have run out are pruned.
const LIMITER_PRUNE_AT: usize = 10_000;

/// Sliding-window counters per key, kept in memory, so they reset when the
/// server restarts and are not shared between server processes.
#[derive(Default)]
pub(crate) struct RateLimiter {
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Records one hit for `key` and returns whether it is within `limit`
    /// hits per `window`. A rejected hit is not recorded.
    pub(crate) fn allow(&self, key: &str, limit: u32, window: Duration) -> bool {
        let now = Instant::now();
        let mut hits = self
            .hits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if hits.len() >= LIMITER_PRUNE_AT {
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|last| now.duration_since(*last) < window)
            });
        }
        let times = hits.entry(key.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|first| now.duration_since(*first) >= window)
        {
            times.pop_front();
        }
        if times.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// Returns the client's address: the connection's peer, or the address a
/// trusted reverse proxy forwarded (`portal.trusted_proxies`).
pub(crate) fn client_key(state: &AppState, request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| {
            super::forwarded::client_address(
                address.ip(),
                request.headers(),
                &state.services.config().portal.trusted_proxies,
            )
            .to_string()
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Counts one report from `client` against the per-address report limit,
/// the same counter the report form uses.
pub(crate) fn allow_report(state: &AppState, client: &str) -> bool {
    let limits = &state.services.config().portal;
    state.portal_limits.allow(
        &format!("report:{client}"),
        limits.reports_per_address,
        minutes(limits.report_window_minutes),
    )
}

/// Counts one report against the per-contact limit of each phone number
/// or e-mail address, the same counters the report form uses.
pub(crate) fn allow_contact_reports(state: &AppState, contacts: &[&str]) -> bool {
    let limits = &state.services.config().portal;
    contacts
        .iter()
        .map(|c| normalise_contact(c))
        .filter(|c| !c.is_empty())
        .all(|contact| {
            state.portal_limits.allow(
                &format!("contact:{contact}"),
                limits.reports_per_contact,
                minutes(limits.contact_window_minutes),
            )
        })
}

fn minutes(value: u64) -> Duration {
    Duration::from_secs(value.saturating_mul(60))
}

fn portal_layout(lang: Lang, csrf: String, path: &str, title: String) -> Layout {
    Layout {
        lang,
        user: None,
        csrf,
        path: path.to_owned(),
        title,
        flash: None,
    }
}

/// Values the reporter typed, shown again after an error.
#[derive(Default)]
pub(crate) struct ReportValues {
    pub title: String,
    pub body: String,
    pub address: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub anonymous: bool,
    pub confidential: bool,
    pub consent: bool,
    /// The map pin in decimal degrees, empty without a pin.
    pub latitude: String,
    pub longitude: String,
}

/// One report type with its plain explanation.
pub(crate) struct TypeChoice {
    pub value: &'static str,
    pub label: String,
    pub help: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "portal_report.html")]
pub(crate) struct ReportPage {
    pub l: Layout,
    pub errors: Vec<String>,
    pub types: Vec<TypeChoice>,
    pub categories: Vec<Opt>,
    pub kelurahan: Vec<Opt>,
    pub retention: String,
    /// Help text of the file input: accepted kinds and limits.
    pub attachment_help: String,
    /// Tile URL template of the map, empty for the plain view.
    pub tiles: String,
    pub v: ReportValues,
}

#[derive(Template)]
#[template(path = "portal_receipt.html")]
pub(crate) struct ReceiptPage {
    pub l: Layout,
    pub tracking: String,
    pub secret: String,
    pub link: String,
    /// The report was saved without its files.
    pub files_failed: bool,
}

#[derive(Template)]
#[template(path = "portal_message.html")]
pub(crate) struct MessagePage {
    pub l: Layout,
    pub message: String,
}

/// An entry of the public timeline.
pub(crate) struct TimelineItem {
    pub when: String,
    pub title: String,
    pub actor: String,
    pub text: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_track.html")]
pub(crate) struct TrackPage {
    pub l: Layout,
    pub number: String,
    pub secret: String,
    pub errors: Vec<String>,
    pub complaint: Option<TrackedComplaint>,
}

/// The complaint part of the tracking page.
pub(crate) struct TrackedComplaint {
    pub tracking: String,
    pub title: String,
    pub body: String,
    pub status: &'static str,
    pub status_label: String,
    pub facts: Vec<(String, String)>,
    pub deadlines: Vec<(String, String)>,
    pub timeline: Vec<TimelineItem>,
    pub can_complete: bool,
    pub can_reply: bool,
}

fn report_page(state: &AppState, lang: Lang, csrf: String, v: ReportValues) -> ReportPage {
    report_page_with(state, lang, csrf, v, None, None, None)
}

fn report_page_with(
    state: &AppState,
    lang: Lang,
    csrf: String,
    v: ReportValues,
    complaint_type: Option<ComplaintType>,
    category: Option<&str>,
    kelurahan: Option<&str>,
) -> ReportPage {
    let chosen_type = complaint_type.unwrap_or(ComplaintType::Complaint);
    let types = ComplaintType::ALL
        .iter()
        .map(|kind| TypeChoice {
            value: kind.code(),
            label: lang.text(&format!("type-{}", kind.code()), &[]),
            help: lang.text(&format!("portal-type-{}-help", kind.code()), &[]),
            checked: *kind == chosen_type,
        })
        .collect();
    let choose = || Opt {
        value: String::new(),
        label: lang.text("form-choose", &[]),
        selected: false,
    };
    let mut categories = vec![Opt {
        selected: category.is_none(),
        ..choose()
    }];
    categories.extend(state.services.category_names().into_iter().map(|name| Opt {
        selected: category == Some(name.as_str()),
        label: name.clone(),
        value: name,
    }));
    let mut kelurahan_options = vec![Opt {
        selected: kelurahan.is_none(),
        ..choose()
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
    let years = state.services.config().portal.retention_years.to_string();
    ReportPage {
        l: portal_layout(lang, csrf, "/lapor", lang.text("portal-report-title", &[])),
        errors: Vec::new(),
        types,
        categories,
        kelurahan: kelurahan_options,
        retention: lang.text("portal-consent-retention", &[("years", years)]),
        attachment_help: super::attachments::upload_help(lang),
        tiles: state.config.map_tile_url.clone().unwrap_or_default(),
        v,
    }
}

fn message_page(lang: Lang, csrf: String, status: StatusCode, key: &str) -> Response {
    let page = MessagePage {
        l: portal_layout(lang, csrf, "/lapor", lang.text("portal-title", &[])),
        message: lang.text(key, &[]),
    };
    render(status, &page)
}

/// Shows the report form.
pub(crate) async fn report_form(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let lang = page_lang(&headers);
    render(
        StatusCode::OK,
        &report_page(&state, lang, csrf, ReportValues::default()),
    )
}

/// Registers a report and redirects to the one-time receipt.
pub(crate) async fn submit_report(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let client = client_key(&state, &request);
    let lang = page_lang(&headers);
    let form = match super::attachments::read_form(&state, request).await {
        Ok(form) => form,
        Err(e) => {
            let (status, title, _) = describe(&e, lang);
            let page = MessagePage {
                l: portal_layout(lang, csrf, "/lapor", lang.text("portal-title", &[])),
                message: title,
            };
            return render(status, &page);
        }
    };
    let pairs = form.pairs;
    let uploads = form.uploads;
    let get = |key: &str| {
        form_value(&pairs, key)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let values = ReportValues {
        title: get("title"),
        body: get("body"),
        address: get("address"),
        name: get("name"),
        phone: get("phone"),
        email: get("email"),
        anonymous: !get("anonymous").is_empty(),
        confidential: !get("confidential").is_empty(),
        consent: !get("consent").is_empty(),
        latitude: get("latitude"),
        longitude: get("longitude"),
    };
    let complaint_type = ComplaintType::from_code(&get("complaint_type"));
    let category = form_value(&pairs, "category").map(str::to_owned);
    let kelurahan = form_value(&pairs, "kelurahan_code").map(str::to_owned);
    let mut page = report_page_with(
        &state,
        lang,
        csrf.clone(),
        values,
        complaint_type,
        category.as_deref(),
        kelurahan.as_deref(),
    );

    if !csrf_valid(&headers, &pairs) {
        page.errors.push(lang.text("error-csrf", &[]));
        return render(StatusCode::FORBIDDEN, &page);
    }
    // A filled honeypot gets a receipt that looks real and saves nothing.
    if form_value(&pairs, HONEYPOT_FIELD).is_some() {
        return decoy_receipt(lang, csrf, &state.services.config().tracking_prefix);
    }
    let limits = &state.services.config().portal;
    if !state.portal_limits.allow(
        &format!("report:{client}"),
        limits.reports_per_address,
        minutes(limits.report_window_minutes),
    ) {
        return message_page(
            lang,
            csrf,
            StatusCode::TOO_MANY_REQUESTS,
            "portal-rate-limited",
        );
    }

    let Some(complaint_type) = complaint_type else {
        page.errors.push(lang.text("portal-type-required", &[]));
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    if !page.v.consent {
        page.errors.push(lang.text("portal-consent-required", &[]));
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let contacts = [page.v.phone.as_str(), page.v.email.as_str()];
    for contact in contacts.iter().map(|c| normalise_contact(c)) {
        if contact.is_empty() {
            continue;
        }
        let key = format!("contact:{contact}");
        if !state.portal_limits.allow(
            &key,
            limits.reports_per_contact,
            minutes(limits.contact_window_minutes),
        ) {
            return message_page(
                lang,
                csrf,
                StatusCode::TOO_MANY_REQUESTS,
                "portal-rate-limited",
            );
        }
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

    // A pin fills in the kelurahan when none was chosen. A pin outside
    // every kelurahan of the city is kept, and the tag flags it for staff.
    let pin = page
        .v
        .latitude
        .parse::<f64>()
        .ok()
        .zip(page.v.longitude.parse::<f64>().ok());
    let pin_kelurahan = pin.and_then(|(lat, lng)| super::portal_map::kelurahan_at(lat, lng));
    let tags = match pin {
        Some(_) if pin_kelurahan.is_none() => vec![OUTSIDE_CITY_TAG.to_owned()],
        _ => Vec::new(),
    };
    let kelurahan = kelurahan.or(pin_kelurahan);

    let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
    let intake = Intake {
        complaint_type: Some(complaint_type),
        tags,
        title: opt(&page.v.title),
        body: Some(page.v.body.clone()),
        category,
        location: Location {
            text: opt(&page.v.address),
            kelurahan_code: kelurahan,
            latitude: pin.map(|(lat, _)| lat),
            longitude: pin.map(|(_, lng)| lng),
        },
        reporter: Reporter {
            name: opt(&page.v.name),
            phone: opt(&page.v.phone),
            email: opt(&page.v.email),
            nik: None,
            address: None,
        },
        anonymous: page.v.anonymous,
        confidential: page.v.confidential,
        ..Intake::default()
    };
    match state
        .services
        .report_in_language(intake, checked_uploads, lang.code())
        .await
    {
        Ok(reported) => {
            let receipt = format!(
                "{}\n{}\n{}",
                reported.complaint.tracking_number,
                reported.secret,
                if reported.files_failed { "1" } else { "0" }
            );
            let encoded: String = form_urlencoded::byte_serialize(receipt.as_bytes()).collect();
            let secure = if state.config.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let mut response = Redirect::to(RECEIPT_PATH).into_response();
            if let Ok(value) = HeaderValue::from_str(&format!(
                "{RECEIPT_COOKIE}={encoded}; Path={RECEIPT_PATH}; HttpOnly; SameSite=Strict; Max-Age=600{secure}"
            )) {
                response.headers_mut().append(header::SET_COOKIE, value);
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

/// Lowercases e-mail addresses and keeps only the digits of phone numbers,
/// so that `0812-…` and `0812…` count as one contact.
fn normalise_contact(contact: &str) -> String {
    if contact.contains('@') {
        contact.trim().to_lowercase()
    } else {
        contact.chars().filter(char::is_ascii_digit).collect()
    }
}

fn tracking_link(number: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("/lacak?nomor={}&kode={}", encode(number), encode(secret))
}

fn decoy_receipt(lang: Lang, csrf: String, prefix: &str) -> Response {
    let mut random = [0u8; 19];
    if getrandom::fill(&mut random).is_err() {
        random = [7; 19];
    }
    let serial = u32::from_le_bytes([random[0], random[1], random[2], 0]) % 1_000_000;
    let year = jiff::Timestamp::now().strftime("%y").to_string();
    let tracking = format!("{prefix}-{year}-{serial:06}");
    let secret: String = random[3..].iter().map(|b| format!("{b:02x}")).collect();
    let page = ReceiptPage {
        files_failed: false,
        l: portal_layout(
            lang,
            csrf,
            RECEIPT_PATH,
            lang.text("portal-receipt-title", &[]),
        ),
        link: tracking_link(&tracking, &secret),
        tracking,
        secret,
    };
    render(StatusCode::OK, &page)
}

/// Shows the tracking number and the secret once and clears the receipt
/// cookie that carried them.
pub(crate) async fn receipt(
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let lang = page_lang(&headers);
    let stored = crate::auth::cookie(&headers, RECEIPT_COOKIE).map(|value| {
        form_urlencoded::parse(format!("r={value}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    });
    let mut lines = stored.as_deref().unwrap_or_default().split('\n');
    let (Some(tracking), Some(secret)) = (lines.next(), lines.next()) else {
        return Redirect::to("/lapor").into_response();
    };
    let (tracking, secret) = (tracking.to_owned(), secret.to_owned());
    let files_failed = lines.next() == Some("1");
    let page = ReceiptPage {
        files_failed,
        l: portal_layout(
            lang,
            csrf,
            RECEIPT_PATH,
            lang.text("portal-receipt-title", &[]),
        ),
        link: tracking_link(&tracking, &secret),
        tracking,
        secret,
    };
    let mut response = render(StatusCode::OK, &page);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{RECEIPT_COOKIE}=; Path={RECEIPT_PATH}; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn status_label(lang: Lang, state: &AppState, view: &ReporterView) -> String {
    let agency = || agency_label(&state.services, view.lead_agency.as_deref());
    match view.status {
        Status::Dispatched => lang.text("portal-status-dispatched", &[("name", agency())]),
        Status::InProgress => lang.text("portal-status-in_progress", &[("name", agency())]),
        Status::Forwarded => lang.text(
            "portal-status-forwarded",
            &[("name", view.forwarded_to.clone().unwrap_or_default())],
        ),
        status => lang.text(&format!("portal-status-{}", status.code()), &[]),
    }
}

fn tracked(state: &AppState, lang: Lang, view: ReporterView) -> TrackedComplaint {
    let s = &state.services;
    let t = |key: &str| lang.text(key, &[]);
    let mut facts = vec![
        (
            t("detail-type"),
            t(&format!("type-{}", view.complaint_type.code())),
        ),
        (t("portal-received"), local_time(s, view.received_at)),
    ];
    if let Some(category) = &view.category {
        facts.push((t("detail-category"), category.clone()));
    }
    if let Some(satisfaction) = &view.satisfaction {
        let answer = if satisfaction.satisfied {
            t("portal-reply-resolved")
        } else {
            t("portal-reply-not-resolved")
        };
        facts.push((t("portal-your-reply"), answer));
        if let Some(rating) = satisfaction.rating {
            facts.push((t("portal-rating"), format!("{rating}/5")));
        }
    }
    let mut deadlines = Vec::new();
    for (key, at) in [
        ("portal-due-next", view.due_at),
        ("portal-due-hold", view.hold_expires_at),
        ("portal-due-auto-close", view.auto_close_at),
    ] {
        if at.is_some() {
            deadlines.push((t(key), due_text(s, lang, at).0));
        }
    }
    let timeline = view
        .events
        .iter()
        .map(|event| TimelineItem {
            when: local_time(s, event.at),
            title: t(&format!("portal-event-{}", event.action.code())),
            actor: match &event.actor {
                PublicActor::Admin => t("portal-actor-admin"),
                PublicActor::Agency(code) => agency_label(s, Some(code)),
                PublicActor::Reporter => t("portal-actor-reporter"),
                PublicActor::System => t("portal-actor-system"),
            },
            text: event.text.clone(),
        })
        .collect();
    TrackedComplaint {
        tracking: view.tracking_number.clone(),
        title: view.title.clone().unwrap_or_else(|| t("portal-untitled")),
        body: view.body.clone(),
        status: view.status.code(),
        status_label: status_label(lang, state, &view),
        facts,
        deadlines,
        timeline,
        can_complete: view.can_complete,
        can_reply: view.can_reply,
    }
}

/// Renders the tracking page for a number and secret, or the generic
/// not-found message when either is wrong.
#[expect(
    clippy::too_many_arguments,
    reason = "one page with its error and confirmation states"
)]
async fn track_page(
    state: &AppState,
    lang: Lang,
    csrf: String,
    number: String,
    secret: String,
    errors: Vec<String>,
    flash: Option<String>,
    status: StatusCode,
) -> Response {
    let mut layout = portal_layout(lang, csrf, "/lacak", lang.text("portal-track-title", &[]));
    layout.flash = flash;
    let mut page = TrackPage {
        l: layout,
        number,
        secret,
        errors,
        complaint: None,
    };
    match state
        .services
        .reporter_view(&page.number, &page.secret)
        .await
    {
        Ok(view) => {
            // The language switch returns to this complaint, not to the
            // empty tracking form.
            page.l.path = tracking_link(&page.number, &page.secret);
            page.complaint = Some(tracked(state, lang, view));
            let mut response = render(status, &page);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(ServiceError::NotFound { .. }) => {
            page.errors = vec![lang.text("portal-track-not-found", &[])];
            render(StatusCode::NOT_FOUND, &page)
        }
        Err(e) => {
            let (status, title, _) = describe(&e.into(), lang);
            page.errors = vec![title];
            render(status, &page)
        }
    }
}

/// Shows the tracking form, and the complaint when a number and secret are given.
pub(crate) async fn track(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    request: Request,
) -> Response {
    let lang = page_lang(request.headers());
    let pairs = form_pairs(request.uri().query().unwrap_or_default().as_bytes());
    let number = form_value(&pairs, "nomor").unwrap_or_default().to_owned();
    let secret = form_value(&pairs, "kode").unwrap_or_default().to_owned();
    if number.is_empty() && secret.is_empty() {
        let page = TrackPage {
            l: portal_layout(lang, csrf, "/lacak", lang.text("portal-track-title", &[])),
            number,
            secret,
            errors: Vec::new(),
            complaint: None,
        };
        return render(StatusCode::OK, &page);
    }
    if !allow_lookup(&state, &request) {
        return message_page(
            lang,
            csrf,
            StatusCode::TOO_MANY_REQUESTS,
            "portal-rate-limited",
        );
    }
    let flash = form_value(&pairs, "ok").map(|done| {
        let key = match done {
            "lengkapi" => "portal-complete-saved",
            _ => "portal-reply-saved",
        };
        lang.text(key, &[])
    });
    track_page(
        &state,
        lang,
        csrf,
        number,
        secret,
        Vec::new(),
        flash,
        StatusCode::OK,
    )
    .await
}

fn allow_lookup(state: &AppState, request: &Request) -> bool {
    let limits = &state.services.config().portal;
    state.portal_limits.allow(
        &format!("lookup:{}", client_key(state, request)),
        limits.lookups_per_address,
        minutes(limits.lookup_window_minutes),
    )
}

/// Handles the reporter's forms on the tracking page: adding the missing
/// information to a held complaint, and the reply to the final response.
pub(crate) async fn reporter_action(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    axum::extract::Path(action): axum::extract::Path<String>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let lang = page_lang(&headers);
    if !allow_lookup(&state, &request) {
        return message_page(
            lang,
            csrf,
            StatusCode::TOO_MANY_REQUESTS,
            "portal-rate-limited",
        );
    }
    let form = match super::attachments::read_form(&state, request).await {
        Ok(form) => form,
        Err(e) => {
            let (status, title, _) = describe(&e, lang);
            let page = MessagePage {
                l: portal_layout(lang, csrf, "/lapor", lang.text("portal-title", &[])),
                message: title,
            };
            return render(status, &page);
        }
    };
    let pairs = form.pairs;
    let number = form_value(&pairs, "nomor").unwrap_or_default().to_owned();
    let secret = form_value(&pairs, "kode").unwrap_or_default().to_owned();
    if !csrf_valid(&headers, &pairs) {
        let errors = vec![lang.text("error-csrf", &[])];
        return track_page(
            &state,
            lang,
            csrf,
            number,
            secret,
            errors,
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let command = match action.as_str() {
        "lengkapi" => Command::Complete {
            text: form_value(&pairs, "text").unwrap_or_default().to_owned(),
        },
        "tanggapan" => {
            let satisfied = match form_value(&pairs, "satisfied") {
                Some("yes") => true,
                Some("no") => false,
                _ => {
                    let errors = vec![lang.text("portal-reply-choose", &[])];
                    return track_page(
                        &state,
                        lang,
                        csrf,
                        number,
                        secret,
                        errors,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
            };
            Command::ReporterReply {
                satisfied,
                rating: form_value(&pairs, "rating").and_then(|r| r.parse().ok()),
                comment: form_value(&pairs, "comment").map(str::to_owned),
            }
        }
        _ => return message_page(lang, csrf, StatusCode::NOT_FOUND, "portal-track-not-found"),
    };
    match state.services.reporter_act(&number, &secret, command).await {
        Ok(_) => {
            let link = format!("{}&ok={action}", tracking_link(&number, &secret));
            Redirect::to(&link).into_response()
        }
        Err(e) => {
            let (status, title, fields) = describe(&e.into(), lang);
            let mut errors = vec![title];
            errors.extend(fields);
            track_page(&state, lang, csrf, number, secret, errors, None, status).await
        }
    }
}
