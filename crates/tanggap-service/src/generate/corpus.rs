//! The generator's input: the sample complaints (their joint
//! distribution of channel, type, category, agency and flags, and their
//! sentences) and the kelurahan boundaries.

use super::Rng;
use crate::error::ServiceError;
use crate::import::{SampleComplaint, parse_channel, parse_type};
use std::collections::HashMap;
use tanggap_core::{Channel, ComplaintType};

/// The classification and flags of one sample complaint. A generated
/// complaint copies those of a randomly chosen sample, so their
/// combinations keep the corpus's proportions.
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    pub channel: Channel,
    pub complaint_type: ComplaintType,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    /// `None` when the sample is outside the city's authority.
    pub agency: Option<String>,
    pub complete: bool,
    pub outside_authority: bool,
    pub anonymous: bool,
    pub confidential: bool,
    pub has_location: bool,
    pub has_coordinates: bool,
    pub has_title: bool,
    /// The sample belongs to a group of duplicates.
    pub duplicate: bool,
}

/// A kelurahan with its boundary's outer ring as (longitude, latitude).
#[derive(Clone, Debug)]
pub(crate) struct Kelurahan {
    pub code: String,
    pub name: String,
    pub kecamatan: String,
    ring: Vec<(f64, f64)>,
    /// Minimum and maximum longitude and latitude of the ring.
    bounds: (f64, f64, f64, f64),
    centroid: (f64, f64),
}

impl Kelurahan {
    /// Tells whether the point lies inside the ring (even-odd rule).
    pub fn contains(&self, longitude: f64, latitude: f64) -> bool {
        let mut inside = false;
        let mut previous = self.ring[self.ring.len() - 1];
        for &current in &self.ring {
            let (x1, y1) = previous;
            let (x2, y2) = current;
            if (y1 > latitude) != (y2 > latitude) {
                let crossing = x1 + (latitude - y1) / (y2 - y1) * (x2 - x1);
                if longitude < crossing {
                    inside = !inside;
                }
            }
            previous = current;
        }
        inside
    }

    /// Draws a point inside the boundary by rejection from its bounding
    /// box; returns the centroid in the unlikely case that 200 draws miss.
    pub fn random_point(&self, rng: &mut Rng) -> (f64, f64) {
        let (min_x, min_y, max_x, max_y) = self.bounds;
        for _ in 0..200 {
            let x = min_x + rng.unit() * (max_x - min_x);
            let y = min_y + rng.unit() * (max_y - min_y);
            if self.contains(x, y) {
                return (x, y);
            }
        }
        self.centroid
    }
}

/// The sample corpus prepared for drawing.
#[derive(Debug)]
pub struct Corpus {
    pub(crate) profiles: Vec<Profile>,
    /// Sentences of the sample bodies per agency code. The key `""` contains those of
    /// samples outside the city's authority.
    sentences: HashMap<String, Vec<String>>,
    all_sentences: Vec<String>,
    /// Sample titles per agency code.
    titles: HashMap<String, Vec<String>>,
    pub(crate) kelurahan: Vec<Kelurahan>,
    /// Every agency code that appears in the samples, sorted.
    pub(crate) agencies: Vec<String>,
}

#[derive(serde::Deserialize)]
struct FeatureCollection {
    features: Vec<Feature>,
}

#[derive(serde::Deserialize)]
struct Feature {
    properties: FeatureProperties,
    geometry: Geometry,
}

#[derive(serde::Deserialize)]
struct FeatureProperties {
    kode: String,
    kelurahan: String,
    kecamatan: String,
    centroid: (f64, f64),
}

#[derive(serde::Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<(f64, f64)>>),
    MultiPolygon(Vec<Vec<Vec<(f64, f64)>>>),
}

fn invalid(what: &str, detail: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("invalid generator input {what}: {detail}"))
}

/// Splits a body into sentences long enough to stand alone.
fn sentences_of(body: &str) -> impl Iterator<Item = String> + '_ {
    body.split(['\n', '.', '!', '?'])
        .map(str::trim)
        .filter(|s| (25..=240).contains(&s.chars().count()))
        .map(|s| format!("{s}."))
}

impl Corpus {
    /// Parses the sample complaints (JSON Lines in the format of
    /// `data/pengaduan-contoh.jsonl`) and the kelurahan boundaries (GeoJSON
    /// in the format of `data/kelurahan-banjarmasin.geojson`).
    pub fn parse(samples_jsonl: &str, kelurahan_geojson: &str) -> Result<Self, ServiceError> {
        let mut profiles = Vec::new();
        let mut sentences: HashMap<String, Vec<String>> = HashMap::new();
        let mut titles: HashMap<String, Vec<String>> = HashMap::new();
        for (index, line) in samples_jsonl.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let sample: SampleComplaint = serde_json::from_str(line)
                .map_err(|e| invalid("sample", format!("line {}: {e}", index + 1)))?;
            let (Some(channel), Some(complaint_type)) =
                (parse_channel(&sample.kanal), parse_type(&sample.jenis))
            else {
                return Err(invalid(
                    "sample",
                    format!("line {}: unknown channel or type", index + 1),
                ));
            };
            let key = sample.kode_perangkat_daerah.clone().unwrap_or_default();
            sentences
                .entry(key.clone())
                .or_default()
                .extend(sentences_of(&sample.isi));
            if let Some(title) = &sample.judul {
                titles.entry(key).or_default().push(title.clone());
            }
            profiles.push(Profile {
                channel,
                complaint_type,
                category: sample.kategori,
                subcategory: sample.subkategori,
                agency: sample.kode_perangkat_daerah,
                complete: sample.lengkap,
                outside_authority: sample.bukan_kewenangan,
                anonymous: sample.anonim,
                confidential: sample.rahasia,
                has_location: sample.kode_kelurahan.is_some(),
                has_coordinates: sample.lat.is_some() && sample.lng.is_some(),
                has_title: sample.judul.is_some(),
                duplicate: sample.kelompok_duplikat.is_some(),
            });
        }
        if profiles.is_empty() {
            return Err(invalid("sample", "no complaints"));
        }
        let mut all_sentences: Vec<String> = sentences.values().flatten().cloned().collect();
        all_sentences.sort();
        let mut agencies: Vec<String> = profiles.iter().filter_map(|p| p.agency.clone()).collect();
        agencies.sort();
        agencies.dedup();

        let collection: FeatureCollection =
            serde_json::from_str(kelurahan_geojson).map_err(|e| invalid("GeoJSON", e))?;
        let mut kelurahan = Vec::new();
        for feature in collection.features {
            let ring = match feature.geometry {
                Geometry::Polygon(mut rings) if !rings.is_empty() => rings.swap_remove(0),
                // The largest part stands for the whole kelurahan.
                Geometry::MultiPolygon(parts) => parts
                    .into_iter()
                    .filter_map(|mut rings| (!rings.is_empty()).then(|| rings.swap_remove(0)))
                    .max_by_key(Vec::len)
                    .unwrap_or_default(),
                Geometry::Polygon(_) => Vec::new(),
            };
            if ring.len() < 3 {
                return Err(invalid(
                    "GeoJSON",
                    format!("{} has no boundary", feature.properties.kode),
                ));
            }
            let bounds = ring.iter().fold(
                (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
                |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
            );
            kelurahan.push(Kelurahan {
                code: feature.properties.kode,
                name: feature.properties.kelurahan,
                kecamatan: feature.properties.kecamatan,
                ring,
                bounds,
                centroid: feature.properties.centroid,
            });
        }
        if kelurahan.is_empty() {
            return Err(invalid("GeoJSON", "no kelurahan"));
        }
        kelurahan.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Self {
            profiles,
            sentences,
            all_sentences,
            titles,
            kelurahan,
            agencies,
        })
    }

    /// Draws a sentence from the samples of `agency`, or from all samples
    /// when that agency has fewer than three.
    pub(crate) fn sentence(&self, agency: Option<&str>, rng: &mut Rng) -> &str {
        match self.sentences.get(agency.unwrap_or_default()) {
            Some(pool) if pool.len() >= 3 => rng.pick(pool).as_str(),
            _ => rng.pick(&self.all_sentences).as_str(),
        }
    }

    /// Draws a sample title of `agency`, if it has any.
    pub(crate) fn title(&self, agency: Option<&str>, rng: &mut Rng) -> Option<&str> {
        self.titles
            .get(agency.unwrap_or_default())
            .filter(|pool| !pool.is_empty())
            .map(|pool| rng.pick(pool).as_str())
    }
}

pub(crate) const OPENINGS: &[&str] = &[
    "Selamat pagi, Admin.",
    "Selamat siang, mohon izin melapor.",
    "Assalamualaikum, saya ingin menyampaikan keluhan.",
    "Yth. Pemerintah Kota Banjarmasin,",
    "Halo min,",
    "Mohon perhatiannya, Bapak/Ibu.",
    "Saya warga setempat ingin melaporkan masalah berikut.",
    "Permisi, izin menyampaikan laporan.",
];

pub(crate) const DURATIONS: &[&str] = &[
    "Kondisi ini sudah berlangsung beberapa hari.",
    "Sudah sekitar dua minggu belum ada penanganan.",
    "Masalah ini sudah pernah kami sampaikan ke kelurahan tetapi belum ada tindak lanjut.",
    "Kejadiannya hampir setiap hari, terutama saat hujan deras.",
    "Sudah lebih dari sebulan warga mengeluhkan hal ini.",
    "Baru terjadi sejak kemarin sore.",
];

pub(crate) const CLOSINGS: &[&str] = &[
    "Mohon segera ditindaklanjuti. Terima kasih.",
    "Terima kasih atas perhatiannya.",
    "Kami berharap ada solusi secepatnya.",
    "Mohon dicek langsung ke lapangan.",
    "Terima kasih, semoga cepat ditangani.",
    "Atas perhatian dan tindak lanjutnya kami ucapkan terima kasih.",
];

/// Street names of Banjarmasin used in generated addresses.
pub(crate) const STREETS: &[&str] = &[
    "Jl. Ahmad Yani",
    "Jl. Pramuka",
    "Jl. Veteran",
    "Jl. Sultan Adam",
    "Jl. Kayu Tangi",
    "Jl. Pangeran Antasari",
    "Jl. Belitung Darat",
    "Jl. Cempaka",
    "Jl. Kelayan A",
    "Jl. Gatot Subroto",
    "Jl. Mulawarman",
    "Jl. Lambung Mangkurat",
    "Jl. Hasan Basri",
    "Jl. Sungai Andai",
    "Jl. Teluk Tiram Darat",
    "Jl. Tembus Mantuil",
    "Jl. Martapura Lama",
    "Jl. Simpang Gusti",
    "Jl. Beruntung Jaya",
    "Jl. Sutoyo S.",
    "Jl. Adhyaksa",
    "Jl. Banua Anyar",
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ahmad",
    "Budi",
    "Siti",
    "Nur",
    "Muhammad",
    "Rina",
    "Dewi",
    "Rahmat",
    "Fitri",
    "Hendra",
    "Yusuf",
    "Aisyah",
    "Rizky",
    "Lestari",
    "Syahrani",
    "Gusti",
    "Akhmad",
    "Norhasanah",
    "Fauzan",
    "Mariani",
    "Taufik",
    "Wahyuni",
    "Irfan",
    "Salsabila",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Rahman",
    "Hidayat",
    "Saputra",
    "Wulandari",
    "Pratama",
    "Anwar",
    "Noor",
    "Fitriani",
    "Hakim",
    "Maulana",
    "Sari",
    "Ramadhan",
    "Iskandar",
    "Kurniawan",
    "Yuliani",
    "Hasan",
];

/// Institutions outside the city government that complaints are forwarded to.
pub(crate) const OUTSIDE_INSTITUTIONS: &[&str] = &[
    "PT PLN (Persero) UP3 Banjarmasin",
    "BPJS Kesehatan Cabang Banjarmasin",
    "Polresta Banjarmasin",
    "Kantor Pertanahan Kota Banjarmasin (BPN)",
    "Pemerintah Provinsi Kalimantan Selatan",
    "BPJN Kalimantan Selatan",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Kelurahan {
        Kelurahan {
            code: "1".into(),
            name: "Uji".into(),
            kecamatan: "Uji".into(),
            ring: vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)],
            bounds: (0.0, 0.0, 2.0, 2.0),
            centroid: (1.0, 1.0),
        }
    }

    #[test]
    fn point_in_polygon_square() {
        let k = square();
        assert!(k.contains(1.0, 1.0));
        assert!(!k.contains(3.0, 1.0));
        assert!(!k.contains(1.0, -0.5));
    }

    #[test]
    fn shipped_boundaries_contain_points() {
        let corpus = Corpus::parse(
            include_str!("../../../../data/pengaduan-contoh.jsonl"),
            include_str!("../../../../data/kelurahan-banjarmasin.geojson"),
        )
        .expect("corpus parses");
        assert_eq!(corpus.kelurahan.len(), 52);
        assert_eq!(corpus.profiles.len(), 240);
        let mut rng = Rng::new(1, 0);
        for k in &corpus.kelurahan {
            let (x, y) = k.random_point(&mut rng);
            assert!(k.contains(x, y), "{} gets a point outside it", k.code);
        }
    }
}
