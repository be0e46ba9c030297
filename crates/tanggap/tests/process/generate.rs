//! `tanggap demo generate`: the same seed gives the same complaints, and a
//! generated database keeps its audit chain and tracking counters intact.

use super::tanggap;
use std::collections::BTreeMap;
use tanggap_core::lifecycle::{Actor, Intake};
use tanggap_core::{Channel, ComplaintId};
use tanggap_service::{ServiceConfig, Services};
use tanggap_store::Store;
use tanggap_store::testing::{TestDatabase, backends};

fn run(url: &str, args: &[&str]) -> String {
    let output = tanggap(url, args).output().expect("command runs");
    assert!(
        output.status.success(),
        "tanggap {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

fn generate(url: &str, complaints: &str, seed: &str) {
    run(
        url,
        &[
            "demo",
            "generate",
            "--complaints",
            complaints,
            "--seed",
            seed,
            "--years",
            "2",
            "--until",
            "2026-06-01",
            "--batch-size",
            "70",
        ],
    );
}

/// Checks that tracking numbers are unique and that each year's sequence
/// numbers run from 1 without gaps. A counter behind its numbers shows up
/// when the next normal registration collides with a generated number.
async fn assert_tracking_consistent(store: &dyn Store) {
    let total = store.count_complaints().await.expect("count");
    let mut highest: BTreeMap<String, i64> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for id in 1..=store.max_complaint_id().await.expect("max id") {
        let Some(c) = store.get_complaint(ComplaintId(id)).await.expect("read") else {
            continue;
        };
        assert!(
            seen.insert(c.tracking_number.clone()),
            "{} twice",
            c.tracking_number
        );
        let mut parts = c.tracking_number.rsplitn(2, '-');
        let sequence: i64 = parts.next().and_then(|s| s.parse().ok()).expect("sequence");
        let prefix = parts.next().expect("prefix").to_owned();
        let entry = highest.entry(prefix).or_default();
        *entry = (*entry).max(sequence);
    }
    assert_eq!(seen.len() as i64, total);
    // Every sequence from 1 to the highest is used once, so the highest of
    // each year is also the number of complaints of that year.
    let issued: i64 = highest.values().sum();
    assert_eq!(issued, total, "tracking sequences have gaps: {highest:?}");
}

#[tokio::test]
async fn generate_same_seed_same_complaints() {
    for kind in backends() {
        let first = TestDatabase::create(kind).await.expect("database");
        let second = TestDatabase::create(kind).await.expect("database");
        generate(&first.url, "150", "42");
        generate(&second.url, "150", "42");

        let a = first.store().await.expect("store");
        let b = second.store().await.expect("store");
        assert_eq!(a.count_complaints().await.expect("count"), 150);
        for id in 1..=60 {
            let id = ComplaintId(id);
            let left = a.get_complaint(id).await.expect("read").expect("exists");
            let right = b.get_complaint(id).await.expect("read").expect("exists");
            assert_eq!(left, right, "{kind}: complaint {id} differs");
            let left = a.complaint_events(id).await.expect("events");
            let right = b.complaint_events(id).await.expect("events");
            assert_eq!(left, right, "{kind}: history of complaint {id} differs");
        }
        a.close().await;
        b.close().await;
        first.cleanup().await;
        second.cleanup().await;
    }
}

#[tokio::test]
async fn generated_database_passes_audit_verify() {
    for kind in backends() {
        let db = TestDatabase::create(kind).await.expect("database");
        generate(&db.url, "120", "5");
        // A second run continues the ids, the counters and the chain.
        generate(&db.url, "80", "6");
        let verified = run(&db.url, &["audit", "verify"]);
        assert!(verified.contains("intact"), "{kind}: {verified}");

        let store = db.store().await.expect("store");
        assert_eq!(store.count_complaints().await.expect("count"), 200);
        assert_tracking_consistent(store.as_ref()).await;

        // A complaint registered the normal way takes the next id and
        // tracking number.
        let services = Services::new(store.clone(), ServiceConfig::default())
            .await
            .expect("services");
        let intake = Intake {
            channel: Some(Channel::Web),
            body: Some("Lampu jalan padam di depan sekolah.".into()),
            ..Intake::default()
        };
        let registered = services
            .register(&Actor::reporter(), intake, jiff::Timestamp::now(), None)
            .await
            .expect("registered after generation");
        let tanggap_service::complaints::Registered::New(complaint, _) = registered else {
            panic!("{kind}: registration was replayed");
        };
        assert_eq!(complaint.id, ComplaintId(201), "{kind}");
        assert_tracking_consistent(store.as_ref()).await;
        services.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn list_count_stops_at_the_cap() {
    use tanggap_store::{COUNT_CAP, ComplaintFilter};
    for kind in backends() {
        let db = TestDatabase::create(kind).await.expect("database");
        run(
            &db.url,
            &[
                "demo",
                "generate",
                "--complaints",
                &(COUNT_CAP + 50).to_string(),
                "--seed",
                "9",
                "--batch-size",
                "1000",
            ],
        );
        let store = db.store().await.expect("store");
        let all = store
            .list_complaints(&ComplaintFilter {
                limit: 5,
                ..ComplaintFilter::default()
            })
            .await
            .expect("list");
        assert_eq!((all.total, all.total_capped), (COUNT_CAP, true), "{kind}");
        assert_eq!(all.items.len(), 5, "{kind}");

        // Generated complaints reach the text index too, and a filter
        // below the cap is counted exactly.
        let first = store
            .get_complaint(ComplaintId(1))
            .await
            .expect("read")
            .expect("exists");
        let words: Vec<&str> = first.body.split_whitespace().take(8).collect();
        let phrase = words.join(" ");
        let found = store
            .list_complaints(&ComplaintFilter {
                text: Some(phrase.clone()),
                limit: COUNT_CAP,
                ..ComplaintFilter::default()
            })
            .await
            .expect("search");
        assert!(!found.total_capped, "{kind}: {phrase}");
        assert!(
            found.items.iter().any(|c| c.id == ComplaintId(1)),
            "{kind}: {phrase}"
        );
        assert_eq!(found.total, found.items.len() as i64, "{kind}");
        store.close().await;
        db.cleanup().await;
    }
}
