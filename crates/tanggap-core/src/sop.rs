//! SOP definitions (Standar Operasional Prosedur) in the format of
//! PermenPANRB 35/2012: an identity part and a flowchart part, read from the
//! TOML files in `sop/` (see `docs/sop-format.md`).

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
