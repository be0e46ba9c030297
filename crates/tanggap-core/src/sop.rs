//! SOP definitions (Standar Operasional Prosedur) in the format of
//! PermenPANRB 35/2012: an identity part and a flowchart part, read from the
//! TOML files in `sop/` (see `docs/sop-format.md`).

use crate::validate::FieldError;
use serde::Deserialize;

/// A date as the file writes it (a TOML local date).
pub type SopDate = toml::value::Datetime;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sop {
    pub number: String,
    pub version: u32,
    /// `draft` or `approved`.
    pub status: String,
    pub name: String,
    pub organisation: Vec<String>,
    pub made_on: SopDate,
    pub revised_on: Option<SopDate>,
    pub effective_on: Option<SopDate>,
    pub approved_by: Approval,
    pub legal_basis: Vec<String>,
    pub executor_qualifications: Vec<String>,
    pub related_sops: Vec<RelatedSop>,
    pub equipment: Vec<String>,
    pub warnings: Vec<String>,
    pub recording: Vec<String>,
    pub performers: Vec<Performer>,
    pub activities: Vec<Activity>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub position: String,
    pub name: String,
    /// Civil-servant number in its printed grouping.
    pub nip: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedSop {
    pub number: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Performer {
    pub id: String,
    pub name: String,
}

/// The three flowchart shapes activities use; arrows and the off-page
/// connector are drawn by the renderer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symbol {
    Terminator,
    Process,
    Decision,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Minutes,
    Hours,
    WorkingDays,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeStandard {
    pub value: u32,
    pub unit: TimeUnit,
    /// Activity whose end starts the clock, when not the previous one.
    pub counted_from: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeVariant {
    pub when: String,
    pub value: u32,
    pub unit: TimeUnit,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// `Ya` or `Tidak`.
    pub label: String,
    pub next: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub id: String,
    pub symbol: Symbol,
    pub description: String,
    pub performer: String,
    #[serde(default)]
    pub co_performers: Vec<String>,
    pub requirement: String,
    pub time: TimeStandard,
    #[serde(default)]
    pub time_variants: Vec<TimeVariant>,
    pub output: String,
    pub note: Option<String>,
    pub next: Option<String>,
    #[serde(default)]
    pub branches: Vec<Branch>,
}

/// Sum of the activities' time standards per unit, for the TOTAL WAKTU row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TotalTime {
    pub working_days: u32,
    pub hours: u32,
    pub minutes: u32,
}

impl Sop {
    /// Parses and checks one SOP file; every problem is listed.
    pub fn parse(text: &str) -> Result<Sop, Vec<String>> {
        let sop: Sop = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
        let problems = sop.problems();
        if problems.is_empty() {
            Ok(sop)
        } else {
            Err(problems)
        }
    }

    /// Lists references to activities or performers that do not exist.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let activity = |id: &str| self.activities.iter().any(|a| a.id == id);
        let performer = |id: &str| self.performers.iter().any(|p| p.id == id);
        for a in &self.activities {
            if self.activities.iter().filter(|b| b.id == a.id).count() > 1 {
                problems.push(format!("activity {} is defined twice", a.id));
            }
            for p in std::iter::once(&a.performer).chain(&a.co_performers) {
                if !performer(p) {
                    problems.push(format!("activity {}: unknown performer {p}", a.id));
                }
            }
            let targets = a.next.iter().chain(a.branches.iter().map(|b| &b.next));
            for target in targets.chain(a.time.counted_from.iter()) {
                if !activity(target) {
                    problems.push(format!("activity {}: unknown activity {target}", a.id));
                }
            }
            if a.symbol == Symbol::Decision && a.branches.len() < 2 {
                problems.push(format!("decision {} needs two branches", a.id));
            }
        }
        problems
    }

    /// Returns the column index of a performer.
    pub fn performer_index(&self, id: &str) -> Option<usize> {
        self.performers.iter().position(|p| p.id == id)
    }

    /// Returns the position of an activity in the flowchart.
    pub fn activity_index(&self, id: &str) -> Option<usize> {
        self.activities.iter().position(|a| a.id == id)
    }

    pub fn total_time(&self) -> TotalTime {
        let mut total = TotalTime::default();
        for a in &self.activities {
            match a.time.unit {
                TimeUnit::WorkingDays => total.working_days += a.time.value,
                TimeUnit::Hours => total.hours += a.time.value,
                TimeUnit::Minutes => total.minutes += a.time.value,
            }
        }
        total
    }
}

/// Result of checking an edited SOP text: the SOP, or every problem found,
/// each under the path of the field it concerns (`activities[2].performer`).
#[derive(Clone, Debug)]
pub struct SopCheck {
    pub sop: Option<Sop>,
    pub errors: Vec<FieldError>,
    /// The TOML parser's own message for a syntax or type error, in English.
    pub parser_message: Option<String>,
}

/// Tells whether `id` matches `[a-z][a-z0-9_]*`.
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Returns the 1-based line and column of a byte offset in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Sop {
    /// Checks an SOP text against every rule of `docs/sop-format.md` that
    /// the structure alone does not enforce. A TOML error is reported under
    /// `line L, column C` with the code `sop_toml_invalid`.
    pub fn check(text: &str) -> SopCheck {
        let sop: Sop = match toml::from_str(text) {
            Ok(sop) => sop,
            Err(e) => {
                let field = match e.span() {
                    Some(span) => {
                        let (line, column) = line_column(text, span.start);
                        format!("{line}:{column}")
                    }
                    None => "toml".to_owned(),
                };
                return SopCheck {
                    sop: None,
                    errors: vec![FieldError::new(field, "sop_toml_invalid")],
                    parser_message: Some(e.message().to_owned()),
                };
            }
        };
        let errors = sop.rule_errors();
        SopCheck {
            sop: Some(sop),
            errors,
            parser_message: None,
        }
    }

    /// Lists the rule violations of a parsed SOP as field errors.
    fn rule_errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut push =
            |field: String, code: &'static str| errors.push(FieldError::new(field, code));
        if !matches!(self.status.as_str(), "draft" | "approved") {
            push("status".into(), "invalid_value");
        }
        if self.version == 0 {
            push("version".into(), "invalid_value");
        }
        if self.name.trim().is_empty() {
            push("name".into(), "required");
        }
        for (i, p) in self.performers.iter().enumerate() {
            if !valid_id(&p.id) {
                push(format!("performers[{i}].id"), "sop_invalid_id");
            }
            if self.performers[..i].iter().any(|q| q.id == p.id) {
                push(format!("performers[{i}].id"), "sop_duplicate_id");
            }
            let used = self
                .activities
                .iter()
                .any(|a| a.performer == p.id || a.co_performers.contains(&p.id));
            if !used {
                push(format!("performers[{i}].id"), "sop_unused_performer");
            }
        }
        if self.activities.is_empty() {
            push("activities".into(), "required");
            return errors;
        }
        for (i, a) in self.activities.iter().enumerate() {
            let at = |key: &str| format!("activities[{i}].{key}");
            if !valid_id(&a.id) {
                push(at("id"), "sop_invalid_id");
            }
            if self.activities[..i].iter().any(|b| b.id == a.id) {
                push(at("id"), "sop_duplicate_id");
            }
            if self.performer_index(&a.performer).is_none() {
                push(at("performer"), "sop_unknown_performer");
            }
            for (j, co) in a.co_performers.iter().enumerate() {
                if self.performer_index(co).is_none() || *co == a.performer {
                    push(at(&format!("co_performers[{j}]")), "sop_unknown_performer");
                }
            }
            if a.description.trim().is_empty() {
                push(at("description"), "required");
            }
            if let Some(next) = &a.next
                && self.activity_index(next).is_none()
            {
                push(at("next"), "sop_unknown_activity");
            }
            for (j, branch) in a.branches.iter().enumerate() {
                if self.activity_index(&branch.next).is_none() {
                    push(at(&format!("branches[{j}].next")), "sop_unknown_activity");
                }
                if !matches!(branch.label.as_str(), "Ya" | "Tidak") {
                    push(at(&format!("branches[{j}].label")), "invalid_value");
                }
            }
            if let Some(from) = &a.time.counted_from
                && self.activity_index(from).is_none_or(|k| k >= i)
            {
                push(at("time.counted_from"), "sop_unknown_activity");
            }
            for (j, variant) in a.time_variants.iter().enumerate() {
                if !matches!(
                    variant.when.as_str(),
                    "information_request" | "complaint_requiring_inspection"
                ) {
                    push(at(&format!("time_variants[{j}].when")), "invalid_value");
                }
            }
            match a.symbol {
                Symbol::Decision => {
                    if a.branches.len() < 2 {
                        push(at("branches"), "sop_decision_branches");
                    }
                    if a.next.is_some() {
                        push(at("next"), "sop_decision_next");
                    }
                }
                _ if !a.branches.is_empty() => push(at("branches"), "sop_branches_not_decision"),
                _ => {}
            }
        }
        if self.activities[0].symbol != Symbol::Terminator {
            push("activities[0].symbol".into(), "sop_first_not_terminator");
        }
        errors
    }
}

/// The SOPs shipped with the product, in number order.
pub const SHIPPED: &[&str] = &[
    include_str!("../../../sop/01-humpro.toml"),
    include_str!("../../../sop/02-humpro.toml"),
    include_str!("../../../sop/03-humpro.toml"),
    include_str!("../../../sop/04-humpro.toml"),
    include_str!("../../../sop/05-humpro.toml"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_sops_parse_without_problems() {
        for text in SHIPPED {
            let sop = Sop::parse(text).expect("shipped SOP is valid");
            assert!(!sop.activities.is_empty(), "{}", sop.number);
        }
    }

    /// SOP 05 as the regulation prints it: six activities, four performers,
    /// one working day each, six in total, each output the next requirement.
    #[test]
    fn sop05_matches_regulation_table() {
        let sop = Sop::parse(SHIPPED[4]).expect("SOP 05");
        assert_eq!(sop.number, "05/humpro");
        assert_eq!(sop.name, "Pemantauan dan Evaluasi Pengaduan Masyarakat");
        let performers: Vec<&str> = sop.performers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            performers,
            [
                "Tim Pengaduan",
                "Pimpinan SKPD/Instansi",
                "Sekda",
                "Komunitas dan Masyarakat Sipil"
            ]
        );
        let descriptions: Vec<&str> = sop
            .activities
            .iter()
            .map(|a| a.description.as_str())
            .collect();
        assert_eq!(
            descriptions,
            [
                "Persiapan pelaksanaan pemantauan oleh Tim Pengelola Pengaduan",
                "Kunjungan ke lokasi aduan dan SKPD/Instansi terlapor",
                "Rapat koordinasi dengan SKPD/Instansi terlapor",
                "Analisa laporan hasil rapat dan pemantauan",
                "Rapat koordinasi bersama Komunitas LAPOR Baiman dan masyarakat sipil",
                "Mengarsipkan Laporan periodik",
            ]
        );
        for a in &sop.activities {
            assert_eq!(
                (a.time.value, a.time.unit),
                (1, TimeUnit::WorkingDays),
                "{}",
                a.id
            );
        }
        for pair in sop.activities.windows(2) {
            assert_eq!(pair[1].requirement, pair[0].output, "{}", pair[1].id);
        }
        assert_eq!(
            sop.activities[5].output,
            "Dokumen Hasil laporan Pemantauan dan Evaluasi"
        );
        assert_eq!(
            sop.total_time(),
            TotalTime {
                working_days: 6,
                hours: 0,
                minutes: 0
            }
        );
    }

    #[test]
    fn check_points_at_fields() {
        let text = SHIPPED[4].replacen("performer = \"agency_head\"", "performer = \"nobody\"", 1);
        let check = Sop::check(&text);
        let fields: Vec<(&str, &str)> = check
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert!(
            fields.contains(&("activities[2].performer", "sop_unknown_performer")),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("performers[1].id", "sop_unused_performer")),
            "{fields:?}"
        );

        let broken = Sop::check("number = \"05/humpro\"\nversion = \"dua\"\n");
        assert_eq!(broken.errors[0].code, "sop_toml_invalid");
        assert_eq!(broken.errors[0].field, "2:11");
        assert!(broken.parser_message.is_some());
    }

    #[test]
    fn shipped_sops_pass_check() {
        for text in SHIPPED {
            let check = Sop::check(text);
            assert!(check.errors.is_empty(), "{:?}", check.errors);
        }
    }

    #[test]
    fn unknown_references_are_reported() {
        let text = SHIPPED[4].replacen(
            "performer = \"complaint_team\"",
            "performer = \"nobody\"",
            1,
        );
        let problems = Sop::parse(&text).expect_err("unknown performer");
        assert!(
            problems[0].contains("unknown performer nobody"),
            "{problems:?}"
        );
    }
}
