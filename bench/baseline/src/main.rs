//! Baselines that the benchmark figures are divided by, measured in the
//! same run on the same machine:
//!
//! - `http`: an axum server whose intake handler parses the JSON body and
//!   stores nothing, the ceiling of the HTTP layer;
//! - `raw-insert`: the rows one intake writes (a complaint row and its
//!   registration event) inserted with plain SQL, one transaction per
//!   complaint and the product's durability settings, the ceiling of the
//!   database.
//!
//! This binary is outside the product, so it writes SQL itself.

use anyhow::{Context, bail};
use axum::Json;
use axum::http::StatusCode;
use axum::routing::{get, post};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "tanggap-bench-baseline")]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Serves POST and GET /api/v1/complaints and /readyz without storing anything.
    Http {
        #[arg(long)]
        bind: SocketAddr,
    },
    /// Inserts complaint rows with plain SQL and prints the rate as JSON.
    RawInsert {
        /// sqlite://FILE or postgres://..., a database migrated by `tanggap migrate`.
        #[arg(long)]
        database_url: String,
        /// Concurrent clients, each running one transaction at a time.
        #[arg(long, default_value_t = 1)]
        clients: usize,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Stop after this many complaints in total.
        #[arg(long, default_value_t = 200_000)]
        max_rows: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Mode::Http { bind } => serve(bind).await,
        Mode::RawInsert {
            database_url,
            clients,
            seconds,
            max_rows,
        } => {
            let limits = Limits {
                clients: clients.max(1),
                duration: Duration::from_secs_f64(seconds),
                max_rows,
            };
            if database_url.starts_with("sqlite:") {
                raw_insert_sqlite(&database_url, limits).await
            } else if database_url.starts_with("postgres") {
                raw_insert_postgres(&database_url, limits).await
            } else {
                bail!("unsupported database URL {database_url:?}: use sqlite:// or postgres://")
            }
        }
    }
}

async fn intake(Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let channel = body.get("channel").cloned().unwrap_or(Value::Null);
    (
        StatusCode::CREATED,
        Json(json!({ "complaint": { "id": 0, "channel": channel }, "secret": "0" })),
    )
}

async fn list() -> Json<Value> {
    Json(json!({ "items": [], "total": 0, "page": 1, "per_page": 25 }))
}

async fn serve(bind: SocketAddr) -> anyhow::Result<()> {
    let app = axum::Router::new()
        .route("/readyz", get(|| async { "ok" }))
        .route("/api/v1/complaints", post(intake).get(list));
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}

#[derive(Clone, Copy)]
struct Limits {
    clients: usize,
    duration: Duration,
    max_rows: u64,
}

/// Marks the rows of a run so that they can be deleted afterwards.
const TRACKING_PREFIX: &str = "RAW";

const INSERT_COMPLAINT: &str = "INSERT INTO complaints (tracking_number, version, channel, \
    channel_reference, intake_procedure, received_at, registered_at, complaint_type, supervision, \
    body, tags, location_text, kelurahan_code, reporter_name, reporter_phone, anonymous, \
    confidential, attachments, supporting_agencies, status, related, verification_due_at, due_at, \
    verification_paused_days, reopen_count, reporter_secret_hash, updated_at) VALUES \
    ($1, 1, 'whatsapp', '081234567890', '02/humpro', $2, $2, 'complaint', $3, $4, '[]', \
    'Jl. Pramuka RT 005', '63.71.03.1006', 'Pelapor Uji', '081234567890', $3, $3, '[]', '[]', \
    'received', '[]', $5, $5, 0, 0, $6, $2) RETURNING id";

const INSERT_EVENT: &str = "INSERT INTO complaint_events (complaint_id, at, action, from_status, \
    to_status, actor, sop_activity, visibility, body, data) VALUES ($1, $2, 'register', NULL, \
    'received', '{\"kind\":\"staff\",\"user_id\":1,\"label\":\"bench\"}', '02/humpro#register', \
    'public', NULL, '{\"channel\":\"whatsapp\"}')";

const BODY: &str = "Jalan di depan sekolah berlubang dan tergenang air setiap hujan, \
    mohon segera diperbaiki karena membahayakan pengendara.";

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Runs `limits.clients` loops of `insert` until the time or row limit,
/// then prints the rate and latency percentiles as one JSON line.
async fn drive<F, Fut>(limits: Limits, insert: F) -> anyhow::Result<()>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let insert = Arc::new(insert);
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..limits.clients {
        let insert = Arc::clone(&insert);
        let counter = Arc::clone(&counter);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if n >= limits.max_rows || started.elapsed() >= limits.duration {
                    break;
                }
                let t = Instant::now();
                insert(n).await?;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[index]
    };
    println!(
        "{}",
        json!({
            "clients": limits.clients,
            "rows": latencies.len(),
            "seconds": seconds,
            "rows_per_second": latencies.len() as f64 / seconds,
            "p50_ms": percentile(0.50),
            "p95_ms": percentile(0.95),
            "p99_ms": percentile(0.99),
        })
    );
    Ok(())
}

async fn raw_insert_sqlite(url: &str, limits: Limits) -> anyhow::Result<()> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    // The product's settings: WAL, synchronous FULL, a single writer.
    let options = SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let run = format!("{TRACKING_PREFIX}-{}", now_micros());
    let writer = pool.clone();
    let prefix = run.clone();
    drive(limits, move |n| {
        let pool = writer.clone();
        let tracking = format!("{prefix}-{n}");
        async move {
            let now = now_micros();
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            let id: i64 = sqlx::query_scalar(INSERT_COMPLAINT)
                .bind(tracking)
                .bind(now)
                .bind(false)
                .bind(BODY)
                .bind(now + 3 * 86_400_000_000)
                .bind("0".repeat(64))
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(INSERT_EVENT)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }
    })
    .await?;
    delete_run_sqlite(&pool, &run).await
}

async fn delete_run_sqlite(pool: &sqlx::SqlitePool, run: &str) -> anyhow::Result<()> {
    let pattern = format!("{run}-%");
    sqlx::query(
        "DELETE FROM complaint_events WHERE complaint_id IN \
         (SELECT id FROM complaints WHERE tracking_number LIKE $1)",
    )
    .bind(&pattern)
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM complaints WHERE tracking_number LIKE $1")
        .bind(&pattern)
        .execute(pool)
        .await?;
    Ok(())
}

async fn raw_insert_postgres(url: &str, limits: Limits) -> anyhow::Result<()> {
    use sqlx::postgres::PgPoolOptions;
    // The product's pool size; PostgreSQL's default durability (fsync on commit).
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(url)
        .await?;
    let run = format!("{TRACKING_PREFIX}-{}", now_micros());
    let writer = pool.clone();
    let prefix = run.clone();
    drive(limits, move |n| {
        let pool = writer.clone();
        let tracking = format!("{prefix}-{n}");
        async move {
            let now = now_micros();
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(INSERT_COMPLAINT)
                .bind(tracking)
                .bind(now)
                .bind(false)
                .bind(BODY)
                .bind(now + 3 * 86_400_000_000)
                .bind("0".repeat(64))
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(INSERT_EVENT)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }
    })
    .await?;
    let pattern = format!("{run}-%");
    sqlx::query(
        "DELETE FROM complaint_events WHERE complaint_id IN \
         (SELECT id FROM complaints WHERE tracking_number LIKE $1)",
    )
    .bind(&pattern)
    .execute(&pool)
    .await?;
    sqlx::query("DELETE FROM complaints WHERE tracking_number LIKE $1")
        .bind(&pattern)
        .execute(&pool)
        .await?;
    Ok(())
}
