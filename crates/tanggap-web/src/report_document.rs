//! The quarterly report as a document (PDF, XLSX, DOCX): the figures of
//! `tanggap_service::report` laid out in sections, in the reader's
//! language, for the renderers of `tanggap-documents`.

use crate::i18n::Lang;
use jiff::civil::Date;
use tanggap_documents::RenderError;
use tanggap_documents::model::{
    Block, Cell, Chart, Cover, Document, LabelValue, Labels, Letterhead, Section, Series,
    Signatory, Signatures, Table,
};
use tanggap_service::Services;
use tanggap_service::report::{
    Durations, Figures, Headline, NONE_KEY, OverdueComplaint, QuarterlyReport, Ratio, Tally,
};
use tanggap_service::report_versions::{
    Narrative, RenderedFile, ReportRenderer, Signer, Signers, VersionContent,
};

/// Inputs of a quarterly report document besides the figures.
#[derive(Clone, Debug)]
pub struct QuarterlyInputs<'a> {
    pub report: &'a QuarterlyReport,
    /// Complaints overdue at the end of the quarter, for the appendix.
    pub overdue: &'a [OverdueComplaint],
    pub narrative: &'a Narrative,
    pub signers: &'a Signers,
    /// Version number of a stored document, from 1; `None` for a draft
    /// rendered without storing it (the command line).
    pub version: Option<u32>,
    /// Date printed above the signatures.
    pub issued_on: Date,
}

/// A file format of the quarterly report document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentFormat {
    Pdf,
    Xlsx,
    Docx,
}

impl DocumentFormat {
    pub fn extension(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::Xlsx => "xlsx",
            DocumentFormat::Docx => "docx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "application/pdf",
            DocumentFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            DocumentFormat::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }
}

/// Renders the document in one format.
pub fn render(document: &Document, format: DocumentFormat) -> Result<Vec<u8>, RenderError> {
    match format {
        DocumentFormat::Pdf => tanggap_documents::render_report_pdf(document),
        DocumentFormat::Xlsx => tanggap_documents::render_xlsx(document),
        DocumentFormat::Docx => tanggap_documents::render_docx(document),
    }
}

/// Labels codes and formats values in one language.
struct Words<'a> {
    services: &'a Services,
    lang: Lang,
}

impl Words<'_> {
    fn text(&self, key: &str) -> String {
        self.lang.text(key, &[])
    }

    fn with(&self, key: &str, args: &[(&'static str, String)]) -> String {
        self.lang.text(key, args)
    }

    fn none(&self) -> String {
        self.text("dash-none")
    }

    fn agency(&self, code: &str) -> String {
        if code == NONE_KEY {
            return self.none();
        }
        self.services
            .agency_name(code)
            .unwrap_or_else(|| code.to_owned())
    }

    fn region(&self, code: &str) -> String {
        if code == NONE_KEY {
            return self.none();
        }
        self.services
            .region_name(code)
            .unwrap_or_else(|| code.to_owned())
    }

    fn coded(&self, prefix: &str, code: &str) -> String {
        if code == NONE_KEY {
            return self.none();
        }
        self.text(&format!("{prefix}-{code}"))
    }

    fn category(&self, name: &str) -> String {
        if name == NONE_KEY {
            self.none()
        } else {
            name.to_owned()
        }
    }

    /// "7 Oktober 2026".
    fn date(&self, date: Date) -> String {
        format!(
            "{} {} {}",
            date.day(),
            self.text(&format!("month-{}", date.month())),
            date.year()
        )
    }

    /// "Juli 2026" from `2026-07`.
    fn month(&self, key: &str) -> String {
        let mut parts = key.split('-');
        match (
            parts.next(),
            parts.next().and_then(|m| m.parse::<u8>().ok()),
        ) {
            (Some(year), Some(month)) => {
                format!("{} {year}", self.text(&format!("month-{month}")))
            }
            _ => key.to_owned(),
        }
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn quarter_roman(quarter: u8) -> &'static str {
    match quarter {
        1 => "I",
        2 => "II",
        3 => "III",
        _ => "IV",
    }
}

/// Builds the document of a quarterly report.
pub fn quarterly_document(services: &Services, lang: Lang, inputs: &QuarterlyInputs) -> Document {
    let words = Words { services, lang };
    let report = inputs.report;
    let period = report.current.period;
    let period_text = period
        .map(|p| {
            let last = p.to.yesterday().unwrap_or(p.to);
            format!("{} – {}", words.date(p.from), words.date(last))
        })
        .unwrap_or_default();
    let quarter_args = || {
        vec![
            ("quarter", quarter_roman(report.quarter).to_owned()),
            ("year", report.year.to_string()),
        ]
    };
    let version = inputs
        .version
        .map_or_else(|| words.text("doc-version-draft"), |v| v.to_string());

    Document {
        lang: lang.code().to_owned(),
        letterhead: Letterhead {
            lines: vec![
                words.text("doc-government"),
                words.text("doc-office"),
                words.text("doc-unit"),
            ],
            address: words.text("doc-address"),
        },
        cover: Cover {
            title: words.text("doc-title"),
            subtitle: words.with("doc-subtitle", &quarter_args()),
            period: words.with("doc-period", &[("period", period_text.clone())]),
            meta: vec![
                LabelValue {
                    label: words.text("doc-basis-label"),
                    value: words.text("doc-basis"),
                },
                LabelValue {
                    label: words.text("doc-version-label"),
                    value: version,
                },
                LabelValue {
                    label: words.text("doc-issued-label"),
                    value: words.date(inputs.issued_on),
                },
            ],
            issuer: vec![
                words.text("doc-unit-title"),
                words.text("doc-office-title"),
                report.year.to_string(),
            ],
        },
        header: words.with("doc-header", &quarter_args()),
        version: match inputs.version {
            Some(number) => words.with("doc-version", &[("version", number.to_string())]),
            None => words.text("doc-version-draft"),
        },
        footer: words.text("doc-footer"),
        labels: Labels {
            page: words.text("doc-page"),
            of: words.text("doc-of"),
            no_data: words.text("doc-no-data"),
            nip: words.text("doc-nip"),
        },
        sections: vec![
            introduction(&words, report, &period_text, inputs.narrative),
            summary(&words, report),
            intake(&words, &report.current),
            timeliness(&words, &report.current),
            open_book(&words, &report.current),
            conclusions(&words, inputs.narrative),
        ],
        signatures: signatures(&words, inputs.signers, inputs.issued_on),
        appendices: vec![appendix(&words, inputs.overdue)],
    }
}

fn introduction(
    words: &Words,
    report: &QuarterlyReport,
    period_text: &str,
    narrative: &Narrative,
) -> Section {
    Section {
        heading: words.text("doc-section-introduction"),
        blocks: vec![
            Block::Paragraph {
                text: words.with("doc-introduction-basis", &[]),
            },
            Block::Paragraph {
                text: words.with(
                    "doc-introduction-scope",
                    &[
                        ("period", period_text.to_owned()),
                        ("total", report.current.received.to_string()),
                    ],
                ),
            },
            Block::Field {
                label: words.text("doc-narrative-summary"),
                text: narrative.summary.clone(),
                placeholder: words.text("doc-narrative-empty"),
            },
        ],
    }
}

fn summary(words: &Words, report: &QuarterlyReport) -> Section {
    let current = report.current.headline();
    let previous = report.previous_quarter.headline();
    let year_earlier = report.year_earlier.headline();
    let rows = Headline::NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            vec![
                Cell::from(words.text(&format!("report-headline-{name}"))),
                Cell::from(current.values()[i]),
                Cell::from(previous.values()[i]),
                Cell::from(signed(report.change_from_previous_quarter.values()[i])),
                Cell::from(year_earlier.values()[i]),
                Cell::from(signed(report.change_from_year_earlier.values()[i])),
            ]
        })
        .collect();
    let comparison = Table {
        title: words.text("report-comparison"),
        sheet: words.text("doc-sheet-comparison"),
        columns: vec![
            words.text("report-figure"),
            words.text("report-this-quarter"),
            words.text("report-previous-quarter"),
            words.text("report-change"),
            words.text("report-year-earlier"),
            words.text("report-change"),
        ],
        rows,
        numeric: vec![1, 2, 3, 4, 5],
    };

    // Received per month over the previous and the current quarter.
    let months: Vec<(&String, &u64)> = report
        .previous_quarter
        .received_by_month
        .iter()
        .chain(report.current.received_by_month.iter())
        .collect();
    let trend = Chart {
        title: words.text("doc-chart-trend"),
        sheet: words.text("doc-sheet-trend"),
        categories: months.iter().map(|(m, _)| words.month(m)).collect(),
        series: vec![Series {
            name: words.text("report-headline-received"),
            values: months.iter().map(|(_, n)| **n as f64).collect(),
        }],
    };
    let headline_names = ["received", "resolved_at_end", "overdue_at_end", "held"];
    let pick = |h: &Headline| {
        headline_names
            .iter()
            .map(|name| {
                let index = Headline::NAMES.iter().position(|n| n == name).unwrap_or(0);
                h.values()[index] as f64
            })
            .collect::<Vec<f64>>()
    };
    let compared = Chart {
        title: words.text("doc-chart-comparison"),
        sheet: words.text("doc-sheet-comparison-chart"),
        categories: headline_names
            .iter()
            .map(|name| words.text(&format!("report-headline-{name}")))
            .collect(),
        series: vec![
            Series {
                name: words.text("report-this-quarter"),
                values: pick(&current),
            },
            Series {
                name: words.text("report-previous-quarter"),
                values: pick(&previous),
            },
            Series {
                name: words.text("report-year-earlier"),
                values: pick(&year_earlier),
            },
        ],
    };
    Section {
        heading: words.text("doc-section-summary"),
        blocks: vec![
            Block::Table(comparison),
            Block::BarChart(compared),
            Block::LineChart(trend),
        ],
    }
}

fn tally_table(
    words: &Words,
    title_key: &str,
    sheet_key: &str,
    tally: impl IntoIterator<Item = (String, u64)>,
    label: impl Fn(&str) -> String,
) -> Table {
    let rows: Vec<(String, u64)> = tally.into_iter().collect();
    let total: u64 = rows.iter().map(|(_, n)| n).sum();
    Table {
        title: words.text(title_key),
        sheet: words.text(sheet_key),
        columns: vec![
            String::new(),
            words.text("report-count"),
            words.text("report-share"),
        ],
        rows: rows
            .iter()
            .map(|(key, n)| {
                let share = (total > 0).then(|| *n as f64 / total as f64);
                vec![
                    Cell::from(label(key)),
                    Cell::from(*n),
                    Cell::from(percent(share)),
                ]
            })
            .collect(),
        numeric: vec![1, 2],
    }
}

fn tally_chart(
    words: &Words,
    title_key: &str,
    sheet_key: &str,
    tally: &[(String, u64)],
    label: impl Fn(&str) -> String,
) -> Chart {
    Chart {
        title: words.text(title_key),
        sheet: words.text(sheet_key),
        categories: tally.iter().map(|(key, _)| label(key)).collect(),
        series: vec![Series {
            name: words.text("report-count"),
            values: tally.iter().map(|(_, n)| *n as f64).collect(),
        }],
    }
}

/// Returns the `limit` largest entries, most first.
fn top(tally: &Tally, limit: usize) -> Vec<(String, u64)> {
    let mut entries: Vec<(String, u64)> = tally.iter().map(|(k, n)| (k.clone(), *n)).collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    entries.truncate(limit);
    entries
}

fn owned(tally: &Tally) -> Vec<(String, u64)> {
    tally.iter().map(|(k, n)| (k.clone(), *n)).collect()
}

fn intake(words: &Words, f: &Figures) -> Section {
    let channel = |code: &str| words.coded("channel", code);
    let kind = |code: &str| words.coded("type", code);
    let status = |code: &str| words.coded("status", code);
    let agency = |code: &str| words.agency(code);
    let region = |code: &str| words.region(code);
    let category = |name: &str| words.category(name);
    let month = |key: &str| words.month(key);
    Section {
        heading: words.text("doc-section-intake"),
        blocks: vec![
            Block::Table(tally_table(
                words,
                "report-by-month",
                "doc-sheet-month",
                owned(&f.received_by_month),
                month,
            )),
            Block::Table(tally_table(
                words,
                "report-by-channel",
                "doc-sheet-channel",
                owned(&f.received_by_channel),
                channel,
            )),
            Block::BarChart(tally_chart(
                words,
                "report-by-channel",
                "doc-sheet-channel-chart",
                &top(&f.received_by_channel, 12),
                channel,
            )),
            Block::Table(tally_table(
                words,
                "report-by-type",
                "doc-sheet-type",
                owned(&f.received_by_type),
                kind,
            )),
            Block::Table(tally_table(
                words,
                "report-by-category",
                "doc-sheet-category",
                top(&f.received_by_category, usize::MAX),
                category,
            )),
            Block::BarChart(tally_chart(
                words,
                "doc-chart-category",
                "doc-sheet-category-chart",
                &top(&f.received_by_category, 10),
                category,
            )),
            Block::Table(tally_table(
                words,
                "report-by-agency",
                "doc-sheet-agency",
                top(&f.received_by_agency, usize::MAX),
                agency,
            )),
            Block::BarChart(tally_chart(
                words,
                "doc-chart-agency",
                "doc-sheet-agency-chart",
                &top(&f.received_by_agency, 10),
                agency,
            )),
            Block::Table(tally_table(
                words,
                "report-by-kecamatan",
                "doc-sheet-kecamatan",
                owned(&f.received_by_kecamatan),
                region,
            )),
            Block::Table(tally_table(
                words,
                "doc-by-kelurahan-top",
                "doc-sheet-kelurahan",
                top(&f.received_by_kelurahan, 15),
                region,
            )),
            Block::Table(tally_table(
                words,
                "report-status-at-end",
                "doc-sheet-status",
                owned(&f.status_at_end),
                status,
            )),
        ],
    }
}

fn ratio_row(label: String, r: &Ratio) -> Vec<Cell> {
    vec![
        Cell::from(label),
        Cell::from(r.met),
        Cell::from(r.counted),
        Cell::from(percent(r.share)),
    ]
}

fn duration_row(label: String, d: &Durations) -> Vec<Cell> {
    vec![
        Cell::from(label),
        Cell::from(d.count),
        Cell::from(
            d.median
                .map_or_else(|| "–".to_owned(), |m| format!("{m:.1}")),
        ),
        Cell::from(d.p90.map_or_else(|| "–".to_owned(), |p| p.to_string())),
    ]
}

fn timeliness(words: &Words, f: &Figures) -> Section {
    let shares = Table {
        title: words.text("report-standards"),
        sheet: words.text("doc-sheet-standards"),
        columns: vec![
            String::new(),
            words.text("report-met"),
            words.text("report-counted"),
            words.text("report-share"),
        ],
        rows: vec![
            ratio_row(words.text("report-verified-in-time"), &f.verified_in_time),
            ratio_row(
                words.text("report-followed-up-in-time"),
                &f.followed_up_in_time,
            ),
            ratio_row(words.text("report-resolved-in-time"), &f.resolved_in_time),
        ],
        numeric: vec![1, 2, 3],
    };
    let share_text = |r: &Ratio| format!("{} ({}/{})", percent(r.share), r.met, r.counted);
    let by_agency = Table {
        title: words.text("report-standards-by-agency"),
        sheet: words.text("doc-sheet-standards-agency"),
        columns: vec![
            words.text("report-agency"),
            words.text("report-verified-in-time"),
            words.text("report-followed-up-in-time"),
            words.text("report-resolved-in-time"),
        ],
        rows: f
            .timeliness_by_agency
            .iter()
            .map(|(code, t)| {
                vec![
                    Cell::from(words.agency(code)),
                    Cell::from(share_text(&t.verified)),
                    Cell::from(share_text(&t.followed_up)),
                    Cell::from(share_text(&t.resolved)),
                ]
            })
            .collect(),
        numeric: vec![1, 2, 3],
    };
    let shares_chart = Chart {
        title: words.text("doc-chart-standards"),
        sheet: words.text("doc-sheet-standards-chart"),
        categories: vec![
            words.text("report-verified-in-time"),
            words.text("report-followed-up-in-time"),
            words.text("report-resolved-in-time"),
        ],
        series: vec![Series {
            name: words.text("report-share"),
            values: [
                &f.verified_in_time,
                &f.followed_up_in_time,
                &f.resolved_in_time,
            ]
            .iter()
            .map(|r| (r.share.unwrap_or(0.0) * 1000.0).round() / 10.0)
            .collect(),
        }],
    };
    let durations = Table {
        title: words.text("report-durations"),
        sheet: words.text("doc-sheet-durations"),
        columns: vec![
            String::new(),
            words.text("report-count"),
            words.text("report-median"),
            words.text("report-p90"),
        ],
        rows: vec![
            duration_row(words.text("report-days-to-verify"), &f.days_to_verify),
            duration_row(words.text("report-days-to-follow-up"), &f.days_to_follow_up),
            duration_row(words.text("report-days-to-resolve"), &f.days_to_resolve),
        ],
        numeric: vec![1, 2, 3],
    };
    let s = &f.satisfaction;
    let satisfaction = Table {
        title: words.text("report-satisfaction"),
        sheet: words.text("doc-sheet-satisfaction"),
        columns: vec![String::new(), words.text("doc-value")],
        rows: vec![
            vec![
                Cell::from(words.text("report-replies")),
                Cell::from(s.replies),
            ],
            vec![
                Cell::from(words.text("report-share-satisfied")),
                Cell::from(percent(s.share_satisfied)),
            ],
            vec![
                Cell::from(words.text("report-ratings")),
                Cell::from(s.ratings),
            ],
            vec![
                Cell::from(words.text("report-average-rating")),
                Cell::from(
                    s.average_rating
                        .map_or_else(|| "–".to_owned(), |r| format!("{r:.2}")),
                ),
            ],
        ],
        numeric: vec![1],
    };
    Section {
        heading: words.text("doc-section-timeliness"),
        blocks: vec![
            Block::Table(shares),
            Block::BarChart(shares_chart),
            Block::Table(by_agency),
            Block::Table(durations),
            Block::Table(satisfaction),
        ],
    }
}

fn open_book(words: &Words, f: &Figures) -> Section {
    let agency = |code: &str| words.agency(code);
    let reason = |code: &str| words.coded("archive", code);
    let activity = Table {
        title: words.text("doc-activity"),
        sheet: words.text("doc-sheet-activity"),
        columns: vec![String::new(), words.text("report-count")],
        rows: vec![
            vec![
                Cell::from(words.text("report-headline-held")),
                Cell::from(f.held),
            ],
            vec![
                Cell::from(words.text("report-headline-forwarded")),
                Cell::from(f.forwarded),
            ],
            vec![
                Cell::from(words.text("report-headline-returned")),
                Cell::from(f.returned),
            ],
            vec![
                Cell::from(words.text("report-headline-reopened")),
                Cell::from(f.reopened),
            ],
            vec![
                Cell::from(words.text("report-headline-overdue_at_end")),
                Cell::from(f.overdue_at_end),
            ],
        ],
        numeric: vec![1],
    };
    let overdue = f.overdue_by_agency.clone();
    let recurring = Table {
        title: words.text("report-recurring"),
        sheet: words.text("doc-sheet-recurring"),
        columns: vec![
            words.text("report-category"),
            words.text("report-kelurahan"),
            words.text("report-count"),
        ],
        rows: f
            .recurring
            .iter()
            .map(|p| {
                vec![
                    Cell::from(words.category(&p.category)),
                    Cell::from(words.region(&p.kelurahan)),
                    Cell::from(p.count),
                ]
            })
            .collect(),
        numeric: vec![2],
    };
    Section {
        heading: words.text("doc-section-open-book"),
        blocks: vec![
            Block::Table(activity),
            Block::Table(tally_table(
                words,
                "report-archived-by-reason",
                "doc-sheet-archived",
                owned(&f.archived_by_reason),
                reason,
            )),
            Block::Table(tally_table(
                words,
                "report-overdue-by-agency",
                "doc-sheet-overdue-agency",
                overdue.clone(),
                agency,
            )),
            Block::BarChart(tally_chart(
                words,
                "report-overdue-by-agency",
                "doc-sheet-overdue-chart",
                &overdue.into_iter().take(10).collect::<Vec<_>>(),
                agency,
            )),
            Block::Table(recurring),
        ],
    }
}

fn conclusions(words: &Words, narrative: &Narrative) -> Section {
    let field = |label_key: &str, text: &str| Block::Field {
        label: words.text(label_key),
        text: text.to_owned(),
        placeholder: words.text("doc-narrative-empty"),
    };
    Section {
        heading: words.text("doc-section-conclusions"),
        blocks: vec![
            field("doc-narrative-findings", &narrative.findings),
            field("doc-narrative-recommendations", &narrative.recommendations),
            field("doc-narrative-follow-up", &narrative.follow_up),
        ],
    }
}

/// Most overdue complaints listed in the appendix. A city with hundreds of
/// thousands of complaints a quarter could otherwise print thousands of
/// pages; the count in the title stays the full one.
pub const APPENDIX_MAX_ROWS: usize = 1000;

fn appendix(words: &Words, overdue: &[OverdueComplaint]) -> Section {
    let table = Table {
        title: words.with(
            "doc-appendix-title",
            &[("total", overdue.len().to_string())],
        ),
        sheet: words.text("doc-sheet-appendix"),
        columns: vec![
            words.text("doc-appendix-tracking"),
            words.text("doc-appendix-received"),
            words.text("report-agency"),
            words.text("report-category"),
            words.text("doc-appendix-status"),
            words.text("doc-appendix-due"),
            words.text("doc-appendix-late"),
        ],
        rows: overdue
            .iter()
            .take(APPENDIX_MAX_ROWS)
            .map(|c| {
                vec![
                    Cell::from(c.tracking_number.clone()),
                    Cell::from(c.received_on.to_string()),
                    Cell::from(
                        c.agency
                            .as_deref()
                            .map_or_else(|| words.none(), |a| words.agency(a)),
                    ),
                    Cell::from(
                        c.category
                            .as_deref()
                            .map_or_else(|| words.none(), |n| words.category(n)),
                    ),
                    Cell::from(words.coded("status", &c.status)),
                    Cell::from(c.due_on.to_string()),
                    Cell::from(c.working_days_overdue),
                ]
            })
            .collect(),
        numeric: vec![6],
    };
    let mut blocks = vec![Block::Paragraph {
        text: words.text("doc-appendix-note"),
    }];
    if overdue.len() > APPENDIX_MAX_ROWS {
        blocks.push(Block::Paragraph {
            text: words.with(
                "doc-appendix-truncated",
                &[
                    ("limit", APPENDIX_MAX_ROWS.to_string()),
                    ("total", overdue.len().to_string()),
                ],
            ),
        });
    }
    blocks.push(Block::Table(table));
    Section {
        heading: words.text("doc-section-appendix"),
        blocks,
    }
}

fn signatures(words: &Words, signers: &Signers, issued_on: Date) -> Signatures {
    let person = |caption: &str, position: &str, signer: &Signer| Signatory {
        caption: words.text(caption),
        position: words.text(position),
        name: signer.name.clone(),
        rank: String::new(),
        nip: signer.nip.clone(),
    };
    Signatures {
        place_date: words.with("doc-place-date", &[("date", words.date(issued_on))]),
        people: vec![
            person(
                "doc-sign-prepared",
                "doc-position-preparer",
                &signers.preparer,
            ),
            person(
                "doc-sign-reviewed",
                "doc-position-head",
                &signers.head_of_section,
            ),
            person(
                "doc-sign-approved",
                "doc-position-secretary",
                &signers.city_secretary,
            ),
        ],
    }
}

/// Renders the PDF, DOCX and XLSX files of a stored report version.
pub struct VersionRenderer {
    pub services: Services,
}

impl ReportRenderer for VersionRenderer {
    fn render(&self, content: &VersionContent<'_>) -> Result<Vec<RenderedFile>, String> {
        let lang = if content.lang == "en" {
            Lang::En
        } else {
            Lang::Id
        };
        let inputs = QuarterlyInputs {
            report: &content.figures.report,
            overdue: &content.figures.overdue,
            narrative: content.narrative,
            signers: content.signers,
            version: Some(u32::try_from(content.number).unwrap_or(u32::MAX)),
            issued_on: content.issued_on,
        };
        let document = quarterly_document(&self.services, lang, &inputs);
        [
            DocumentFormat::Pdf,
            DocumentFormat::Docx,
            DocumentFormat::Xlsx,
        ]
        .into_iter()
        .map(|format| {
            Ok(RenderedFile {
                format: format.extension().to_owned(),
                media_type: format.content_type().to_owned(),
                content: render(&document, format).map_err(|e| e.to_string())?,
            })
        })
        .collect()
    }
}
