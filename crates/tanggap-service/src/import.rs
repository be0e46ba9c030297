//! Import of complaints from JSON Lines in the sample corpus's format.
//!
//! Each line is one complaint as it arrived (`diterima_pada`, `kanal`,
//! `jenis`, `isi`, reporter fields, location). The line's `id` keys the
//! import, so importing the same file again creates nothing twice.

use crate::Services;
use crate::error::ServiceError;
use jiff::Timestamp;
use serde::Deserialize;
use tanggap_core::lifecycle::{Actor, ActorKind, Intake};
use tanggap_core::{Channel, ComplaintId, ComplaintType, Location, Reporter, Role};
use tanggap_store::IdempotencyClaim;

/// Idempotency records of imports belong to this pseudo user id.
const IMPORT_USER_ID: i64 = 0;

/// One line of the sample format. Fields the import does not use (the
/// expected routing) are read by the demo.
#[derive(Clone, Debug, Deserialize)]
pub struct SampleComplaint {
    pub id: String,
    pub diterima_pada: Timestamp,
    pub kanal: String,
    pub jenis: String,
    pub judul: Option<String>,
    pub isi: String,
    pub nama_pelapor: Option<String>,
    pub telepon: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub anonim: bool,
    #[serde(default)]
    pub rahasia: bool,
    pub kode_kelurahan: Option<String>,
    pub alamat: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub kategori: Option<String>,
    pub subkategori: Option<String>,
    pub kode_perangkat_daerah: Option<String>,
    #[serde(default = "yes")]
    pub lengkap: bool,
    pub kelompok_duplikat: Option<String>,
    #[serde(default)]
    pub bukan_kewenangan: bool,
}

fn yes() -> bool {
    true
}

/// Maps the corpus's Indonesian channel names to channels.
pub fn parse_channel(kanal: &str) -> Option<Channel> {
    Some(match kanal {
        "lapor" => Channel::Lapor,
        "whatsapp" => Channel::Whatsapp,
        "sms" => Channel::Sms,
        "email" => Channel::Email,
        "telepon" => Channel::Telephone,
        "surat" => Channel::Letter,
        "datang_langsung" => Channel::WalkIn,
        "instagram" | "facebook" | "twitter" | "x" | "tiktok" | "media_sosial" => {
            Channel::SocialMedia
        }
        "web" => Channel::Web,
        other => return Channel::from_code(other),
    })
}

pub fn parse_type(jenis: &str) -> Option<ComplaintType> {
    Some(match jenis {
        "pengaduan" => ComplaintType::Complaint,
        "aspirasi" => ComplaintType::Aspiration,
        "permintaan_informasi" => ComplaintType::InformationRequest,
        other => return ComplaintType::from_code(other),
    })
}

impl SampleComplaint {
    /// Builds the complaint as it arrived, before any verification.
    pub fn intake(&self) -> Intake {
        let channel = parse_channel(&self.kanal);
        // The channel's own reference is what identifies the sender there.
        let channel_reference = match channel {
            Some(Channel::Telephone | Channel::Whatsapp | Channel::Sms) => self.telepon.clone(),
            Some(Channel::Email) => self.email.clone(),
            _ => None,
        };
        Intake {
            channel,
            channel_reference,
            received_at: Some(self.diterima_pada),
            complaint_type: parse_type(&self.jenis),
            title: self.judul.clone(),
            body: Some(self.isi.clone()),
            category: None,
            subcategory: None,
            tags: Vec::new(),
            location: Location {
                text: self.alamat.clone(),
                kelurahan_code: self.kode_kelurahan.clone(),
                latitude: self.lat,
                longitude: self.lng,
            },
            reporter: Reporter {
                name: self.nama_pelapor.clone(),
                phone: self.telepon.clone(),
                email: self.email.clone(),
                nik: None,
                address: None,
            },
            anonymous: self.anonim,
            confidential: self.rahasia,
        }
    }

    /// Who registers it: LAPOR! reports arrive through the integration, the
    /// portal's from the reporter, the rest are recorded by the central admin.
    pub fn registering_actor(&self, central_admin: &Actor) -> Actor {
        match parse_channel(&self.kanal) {
            Some(Channel::Lapor) => Actor::system(),
            Some(Channel::Web) => Actor::reporter(),
            _ => central_admin.clone(),
        }
    }
}

/// Outcome of an import.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ImportReport {
    pub imported: usize,
    /// Lines imported before, left unchanged.
    pub unchanged: usize,
    /// Line number (1-based) and reason of each line left out.
    pub rejected: Vec<(usize, String)>,
}

/// A line ready to register, with the complaint id it got.
pub(crate) struct ImportedLine {
    pub sample: SampleComplaint,
    pub id: ComplaintId,
    pub created: bool,
}

impl Services {
    /// Imports JSON Lines; bad lines are reported and skipped while the rest
    /// are imported.
    pub async fn import_jsonl(&self, text: &str) -> Result<ImportReport, ServiceError> {
        let mut report = ImportReport::default();
        let admin = Actor {
            kind: ActorKind::Staff {
                role: Role::CentralAdmin,
                agency: None,
            },
            user_id: None,
            label: "import".into(),
        };
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match self.import_line(line, &admin).await {
                Ok(imported) if imported.created => report.imported += 1,
                Ok(_) => report.unchanged += 1,
                Err(reason) => report.rejected.push((index + 1, reason)),
            }
        }
        Ok(report)
    }

    /// Imports one line; the error is a reason to show the operator.
    pub(crate) async fn import_line(
        &self,
        line: &str,
        admin: &Actor,
    ) -> Result<ImportedLine, String> {
        let sample: SampleComplaint =
            serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
        if parse_channel(&sample.kanal).is_none() {
            return Err(format!("unknown channel {:?}", sample.kanal));
        }
        if parse_type(&sample.jenis).is_none() {
            return Err(format!("unknown type {:?}", sample.jenis));
        }
        let claim = IdempotencyClaim {
            user_id: IMPORT_USER_ID,
            key: format!("import:{}", sample.id),
            request_hash: crate::sha256_hex(line.trim().as_bytes()),
        };
        let actor = sample.registering_actor(admin);
        match self
            .register(&actor, sample.intake(), sample.diterima_pada, Some(claim))
            .await
        {
            Ok(crate::complaints::Registered::New(complaint, _)) => Ok(ImportedLine {
                id: complaint.id,
                sample,
                created: true,
            }),
            Ok(crate::complaints::Registered::Replayed(id)) => Ok(ImportedLine {
                id,
                sample,
                created: false,
            }),
            Err(ServiceError::Validation(errors)) => Err(errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.code))
                .collect::<Vec<_>>()
                .join(", ")),
            Err(ServiceError::IdempotencyKeyReused) => Err(format!(
                "id {} was imported before with different content",
                sample.id
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}
