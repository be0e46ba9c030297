//! Crash tests: the real `tanggap` binary is killed with SIGKILL during a
//! LAPOR! sync and during a spreadsheet import, then run again; every
//! report and every row must be present exactly once. Both run on SQLite
//! and, when configured, on PostgreSQL.

use crate::process::tanggap;
use lapor_simulator::{Options, Simulator};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tanggap_store::testing::{TestDatabase, backends};

const SAMPLES: &str = include_str!("../../../../data/pengaduan-contoh.jsonl");
const TOKEN: &str = "token-uji-crash";

/// Runs the count queries on an open pool of either database.
macro_rules! count_rows {
    ($pool:expr) => {{
        let pool = $pool;
        let complaints: (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT channel_reference) FROM complaints")
                .fetch_one(&pool)
                .await
                .unwrap_or((0, 0));
        let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lapor_reports")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
        pool.close().await;
        (complaints.0, complaints.1, links)
    }};
}

/// Returns (complaints, distinct channel references, LAPOR! links).
async fn counts(url: &str) -> (i64, i64, i64) {
    if url.starts_with("postgres") {
        count_rows!(
            PgPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("open database")
        )
    } else {
        count_rows!(
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .expect("open database")
        )
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn verify_audit(url: &str) {
    let output = tanggap(url, &["audit", "verify"]).output().expect("verify");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn sigkill_during_sync_pulls_once() {
    for kind in backends() {
        let db = TestDatabase::create(kind).await.expect("test database");
        sync_killed_and_restarted(&db.url).await;
        db.cleanup().await;
    }
}

async fn sync_killed_and_restarted(url: &str) {
    const REPORTS: i64 = 300;
    let simulator = Simulator::new(
        SAMPLES,
        Options {
            token: TOKEN.into(),
            ..Options::default()
        },
    )
    .start(([127, 0, 0, 1], 0).into())
    .await
    .expect("simulator");
    simulator.simulator.generate(REPORTS as usize);

    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("tanggap.toml");
    std::fs::write(
        &config,
        format!(
            "upload_dir = {:?}\n[lapor]\nbase_url = {:?}\nsync_interval_seconds = 1\npage_size = 20\n",
            dir.path().join("files"),
            simulator.base_url()
        ),
    )
    .expect("config");
    let seeded = tanggap(url, &["seed"]).output().expect("seed");
    assert!(seeded.status.success());

    let start = |port: u16| {
        tanggap(
            url,
            &[
                "--config",
                config.to_str().unwrap_or_default(),
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
            ],
        )
        .env("TANGGAP_LAPOR_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts")
    };

    // Kill the server once some, but not yet all, reports are in.
    let port = free_port();
    let mut server = start(port);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    while Instant::now() < deadline {
        seen = counts(url).await.0;
        if seen > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    assert!(seen > 0, "the sync created nothing within 120 s");

    // The restarted server finishes the sync without doubles.
    let mut server = start(port);
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut last = (0, 0, 0);
    while Instant::now() < deadline {
        last = counts(url).await;
        if last.2 >= REPORTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = server.kill();
    let _ = server.wait();
    simulator.stop();
    assert_eq!(last.0, REPORTS, "complaints after the restart: {last:?}");
    assert_eq!(last.1, REPORTS, "each tracking ID once: {last:?}");
    assert_eq!(last.2, REPORTS, "each report linked once: {last:?}");
    verify_audit(url);
}

#[tokio::test]
async fn sigkill_during_import_imports_once() {
    for kind in backends() {
        let db = TestDatabase::create(kind).await.expect("test database");
        import_killed_and_restarted(&db.url).await;
        db.cleanup().await;
    }
}

async fn import_killed_and_restarted(url: &str) {
    const ROWS: i64 = 2000;
    let dir = tempfile::tempdir().expect("temp dir");
    let seeded = tanggap(url, &["seed"]).output().expect("seed");
    assert!(seeded.status.success());

    // Half the rows carry a tracking ID, half are keyed on their content.
    let mut csv = String::from("Tanggal;No. Tracking;Isi Laporan\n");
    for n in 0..ROWS {
        let tracking = if n % 2 == 0 {
            format!("{}", 7_000_000 + n)
        } else {
            String::new()
        };
        csv.push_str(&format!(
            "14/07/2025 13:53;{tracking};Laporan uji nomor {n} tentang jalan rusak\n"
        ));
    }
    let file = dir.path().join("rekap.csv");
    std::fs::write(&file, csv).expect("csv");
    let file = file.to_str().unwrap_or_default().to_owned();

    let mut import = tanggap(url, &["import", "csv", &file, "--source", "rekap"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("import starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    while Instant::now() < deadline {
        seen = counts(url).await.0;
        if seen > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    import.kill().expect("SIGKILL");
    import.wait().expect("reaped");
    assert!(seen > 0, "the import wrote nothing within 120 s");

    let output = tanggap(url, &["import", "csv", &file, "--source", "rekap"])
        .output()
        .expect("second import");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (complaints, _, _) = counts(url).await;
    assert_eq!(complaints, ROWS, "every row exactly once after the restart");

    let output = tanggap(url, &["import", "csv", &file, "--source", "rekap"])
        .output()
        .expect("third import");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("Imported 0, already present {ROWS}, rejected 0")),
        "{stdout}"
    );
    verify_audit(url);
}
