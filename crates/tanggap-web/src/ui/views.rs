//! View models: complaints and events turned into display text.

use crate::i18n::Lang;
use jiff::Timestamp;
use tanggap_service::Services;
use tanggap_service::complaints::ComplaintView;

/// One line of a complaint table.
pub(crate) struct Row {
    pub id: i64,
    pub tracking: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: String,
    pub agency: String,
    pub due: String,
    pub overdue: bool,
    pub received: String,
    /// Offered for bulk dispatch.
    pub selectable: bool,
}

/// Formats an instant as local day and time, e.g. `04/12/2026 14:05`.
pub(crate) fn local_time(services: &Services, at: Timestamp) -> String {
    let calendar = services.calendar();
    at.to_zoned(calendar.time_zone().clone())
        .strftime("%d/%m/%Y %H:%M")
        .to_string()
}

/// Formats a deadline as a countdown in working days.
pub(crate) fn due_text(
    services: &Services,
    lang: Lang,
    due_at: Option<Timestamp>,
) -> (String, bool) {
    let Some(due_at) = due_at else {
        return (lang.text("due-none", &[]), false);
    };
    let date = services
        .calendar()
        .due_date(due_at)
        .strftime("%d/%m/%Y")
        .to_string();
    let left = services.working_days_left(due_at);
    let overdue = due_at <= Timestamp::now();
    let countdown = match left {
        // Past the end of the due day, though no working day has started
        // since (a weekend or holiday after the deadline).
        0 if overdue => lang.text("due-passed", &[]),
        0 => lang.text("due-today", &[]),
        n if n > 0 => lang.text("due-left", &[("days", n.to_string())]),
        n => lang.text("due-late", &[("days", (-n).to_string())]),
    };
    (format!("{date} ({countdown})"), overdue)
}

/// Returns the title, or the start of the text for complaints without one.
pub(crate) fn title_of(view: &ComplaintView) -> String {
    match &view.complaint.title {
        Some(title) => title.clone(),
        None => {
            let mut start: String = view.complaint.body.chars().take(80).collect();
            if view.complaint.body.chars().count() > 80 {
                start.push('…');
            }
            start
        }
    }
}

pub(crate) fn agency_label(services: &Services, code: Option<&str>) -> String {
    match code {
        Some(code) => services
            .agency_name(code)
            .unwrap_or_else(|| code.to_owned()),
        None => "—".into(),
    }
}

pub(crate) fn row(services: &Services, lang: Lang, view: &ComplaintView) -> Row {
    let c = &view.complaint;
    let (due, overdue) = due_text(services, lang, c.deadlines.due_at);
    Row {
        id: c.id.0,
        tracking: c.tracking_number.clone(),
        title: title_of(view),
        status: c.status.code(),
        status_label: lang.text(&format!("status-{}", c.status.code()), &[]),
        agency: agency_label(services, c.lead_agency.as_deref()),
        due,
        overdue,
        received: local_time(services, c.received_at),
        selectable: false,
    }
}
