//! Signing in and out, the language switch, and password change.

use super::{CsrfToken, Layout, csrf_valid, current_user, form_pairs, form_value, page_lang};
use crate::auth::cookie;
use crate::i18n::Lang;
use crate::{AppState, SESSION_COOKIE};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tanggap_service::ServiceError;

/// Renders a template, or a plain 500 if rendering fails.
pub(crate) fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Returns a same-site path to go back to; anything else becomes `/beranda`.
pub(crate) fn safe_return(path: Option<&str>) -> String {
    match path {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/beranda".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub l: Layout,
    pub username: String,
    pub error: Option<String>,
    pub back: String,
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    kembali: Option<String>,
    /// `sandi` after a password change.
    pesan: Option<String>,
}

pub(crate) async fn login_page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    if current_user(&state, &headers).await.is_some() {
        return Redirect::to("/beranda").into_response();
    }
    let lang = page_lang(&headers);
    let page = LoginPage {
        l: Layout {
            lang,
            user: None,
            csrf,
            path: "/masuk".into(),
            title: lang.text("login-title", &[]),
            flash: (query.pesan.as_deref() == Some("sandi"))
                .then(|| lang.text("password-changed", &[])),
        },
        username: String::new(),
        error: None,
        back: safe_return(query.kembali.as_deref()),
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn login(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let pairs = form_pairs(&body);
    let username = form_value(&pairs, "username").unwrap_or("").to_owned();
    let back = safe_return(form_value(&pairs, "kembali"));
    let fail = |status: StatusCode, message: String| {
        let page = LoginPage {
            l: Layout {
                lang,
                user: None,
                csrf: csrf.clone(),
                path: "/masuk".into(),
                title: lang.text("login-title", &[]),
                flash: None,
            },
            username: username.clone(),
            error: Some(message),
            back: back.clone(),
        };
        render(status, &page)
    };
    if !csrf_valid(&headers, &pairs) {
        return fail(StatusCode::FORBIDDEN, lang.text("error-csrf", &[]));
    }
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let code = form_value(&pairs, "code");
    match state.services.login(&username, password, code).await {
        Ok(session) => {
            let secure = if state.config.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let max_age = state.services.config().session_hours * 3600;
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
                session.token
            );
            let mut response = Redirect::to(&back).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(e @ ServiceError::AccountLocked { .. }) => {
            let (status, message, _) = crate::error::describe(&e.into(), lang);
            fail(status, message)
        }
        Err(ServiceError::InvalidCredentials) => fail(
            StatusCode::UNAUTHORIZED,
            lang.text("error-invalid_credentials", &[]),
        ),
        Err(e) => {
            let (status, message, _) = crate::error::describe(&e.into(), lang);
            fail(status, message)
        }
    }
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let pairs = form_pairs(&body);
    if csrf_valid(&headers, &pairs)
        && let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.services.logout(token).await
    {
        tracing::warn!(error = %e, "sign-out failed");
    }
    let mut response = Redirect::to("/masuk").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("tanggap_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

#[derive(Deserialize)]
pub(crate) struct LanguageQuery {
    ke: Option<String>,
    kembali: Option<String>,
}

/// Sets the language cookie and goes back to the page the user was on.
pub(crate) async fn switch_language(Query(query): Query<LanguageQuery>) -> Response {
    let lang = match query.ke.as_deref() {
        Some("en") => "en",
        _ => "id",
    };
    let mut response = Redirect::to(&safe_return(query.kembali.as_deref())).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{}={lang}; Path=/; SameSite=Lax; Max-Age=31536000",
        super::LANG_COOKIE
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Template)]
#[template(path = "password.html")]
pub(crate) struct PasswordPage {
    pub l: Layout,
    pub errors: Vec<String>,
}

fn password_layout(lang: Lang, user: tanggap_service::Principal, csrf: String) -> Layout {
    Layout {
        lang,
        user: Some(user),
        csrf,
        path: "/akun/kata-sandi".into(),
        title: lang.text("password-title", &[]),
        flash: None,
    }
}

pub(crate) async fn password_page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/akun/kata-sandi").into_response();
    };
    let lang = page_lang(&headers);
    render(
        StatusCode::OK,
        &PasswordPage {
            l: password_layout(lang, user, csrf),
            errors: Vec::new(),
        },
    )
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk").into_response();
    };
    let lang = page_lang(&headers);
    let pairs = form_pairs(&body);
    if !csrf_valid(&headers, &pairs) {
        let page = PasswordPage {
            l: password_layout(lang, user, csrf),
            errors: vec![lang.text("error-csrf", &[])],
        };
        return render(StatusCode::FORBIDDEN, &page);
    }
    let raw = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    match state
        .services
        .change_own_password(&user, &raw("current_password"), &raw("new_password"))
        .await
    {
        Ok(()) => {
            // Changing the password ends every session, this one included.
            let mut response = Redirect::to("/masuk?pesan=sandi").into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_static(
                    "tanggap_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
                ),
            );
            response
        }
        Err(e) => {
            let (status, title, fields) = crate::error::describe(&e.into(), lang);
            let mut errors = vec![title];
            errors.extend(fields);
            render(
                status,
                &PasswordPage {
                    l: password_layout(lang, user, csrf),
                    errors,
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
pub(crate) struct TotpPage {
    pub l: Layout,
    pub enabled: bool,
    /// The new secret while activation waits for confirmation.
    pub secret: Option<String>,
    pub qr_svg: String,
    pub errors: Vec<String>,
}

fn totp_layout(
    lang: Lang,
    user: tanggap_service::Principal,
    csrf: String,
    flash: Option<String>,
) -> Layout {
    Layout {
        lang,
        user: Some(user),
        csrf,
        path: "/akun/dua-langkah".into(),
        title: lang.text("totp-title", &[]),
        flash,
    }
}

/// Renders an `otpauth://` URI as an SVG QR code; only rectangles, no text.
fn qr_svg(uri: &str) -> String {
    qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(220, 220)
                .build()
        })
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub(crate) struct TotpQuery {
    ok: Option<String>,
}

pub(crate) async fn totp_page(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(query): Query<TotpQuery>,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/akun/dua-langkah").into_response();
    };
    let lang = page_lang(&headers);
    let enabled = state.services.totp_enabled(&user).await.unwrap_or(false);
    let flash = match query.ok.as_deref() {
        Some("aktif") => Some(lang.text("totp-enabled", &[])),
        Some("mati") => Some(lang.text("totp-disabled", &[])),
        _ => None,
    };
    let page = TotpPage {
        l: totp_layout(lang, user, csrf, flash),
        enabled,
        secret: None,
        qr_svg: String::new(),
        errors: Vec::new(),
    };
    render(StatusCode::OK, &page)
}

/// Starts, confirms or turns off two-factor sign-in.
pub(crate) async fn totp_step(
    State(state): State<AppState>,
    Extension(CsrfToken(csrf)): Extension<CsrfToken>,
    headers: HeaderMap,
    axum::extract::Path(step): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(user) = current_user(&state, &headers).await else {
        return Redirect::to("/masuk?kembali=/akun/dua-langkah").into_response();
    };
    let lang = page_lang(&headers);
    let pairs = form_pairs(&body);
    let mut page = TotpPage {
        l: totp_layout(lang, user.clone(), csrf, None),
        enabled: state.services.totp_enabled(&user).await.unwrap_or(false),
        secret: None,
        qr_svg: String::new(),
        errors: Vec::new(),
    };
    if !csrf_valid(&headers, &pairs) {
        page.errors.push(lang.text("error-csrf", &[]));
        return render(StatusCode::FORBIDDEN, &page);
    }
    let code = form_value(&pairs, "code").unwrap_or("");
    let result = match step.as_str() {
        "mulai" => match state.services.begin_totp(&user).await {
            Ok((secret, uri)) => {
                page.qr_svg = qr_svg(&uri);
                page.secret = Some(secret);
                return render(StatusCode::OK, &page);
            }
            Err(e) => Err(e),
        },
        "konfirmasi" => state
            .services
            .confirm_totp(&user, code)
            .await
            .map(|()| "/akun/dua-langkah?ok=aktif"),
        "matikan" => state
            .services
            .disable_totp(&user, code)
            .await
            .map(|()| "/akun/dua-langkah?ok=mati"),
        _ => return Redirect::to("/akun/dua-langkah").into_response(),
    };
    match result {
        Ok(target) => Redirect::to(target).into_response(),
        Err(e) => {
            let (status, title, fields) = crate::error::describe(&e.into(), lang);
            page.errors.push(title);
            page.errors.extend(fields);
            render(status, &page)
        }
    }
}
