//! SQLite backend: the embedded default.
//!
//! WAL mode with `synchronous = FULL`, so a commit is on disk before the
//! call returns. Writes go through a pool of one connection and start with
//! `BEGIN IMMEDIATE`, which makes SQLite's single writer explicit and
//! serialises the audit chain; reads use a separate pool and are not blocked
//! by the writer.

use crate::migrate::Migration;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Pool, Sqlite};
use std::str::FromStr;
use std::time::Duration;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/sqlite/0002_attachments.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/sqlite/0003_totp.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/sqlite/0004_settings.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/sqlite/0005_notifications.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../migrations/sqlite/0006_open311.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../migrations/sqlite/0007_report_versions.sql"),
    },
    Migration {
        version: 8,
        sql: include_str!("../migrations/sqlite/0008_lapor.sql"),
    },
    Migration {
        version: 9,
        sql: include_str!("../migrations/sqlite/0009_monev.sql"),
    },
    Migration {
        version: 10,
        sql: include_str!("../migrations/sqlite/0010_text_search.sql"),
    },
    Migration {
        version: 11,
        sql: include_str!("../migrations/sqlite/0011_triage.sql"),
    },
    Migration {
        version: 13,
        sql: include_str!("../migrations/sqlite/0013_monev_report_version.sql"),
    },
    Migration {
        version: 14,
        sql: include_str!("../migrations/sqlite/0014_monev_meetings.sql"),
    },
    Migration {
        version: 15,
        sql: include_str!("../migrations/sqlite/0015_agency_queues.sql"),
    },
];

pub struct SqliteStore {
    write: Pool<Sqlite>,
    read: Pool<Sqlite>,
}

impl SqliteStore {
    /// Case-insensitive for ASCII, which SQLite's LIKE is by default.
    /// Text filters of three characters or more use the FTS5 trigram
    /// table `complaint_search`.
    const SEARCH_TABLE: bool = true;
    const LIKE: &'static str = "LIKE";
    /// The single writer needs no row locks.
    const SKIP_LOCKED: &'static str = "";

    /// Opens (and creates if missing) the database at `url`, e.g.
    /// `sqlite://tanggap.db`.
    pub async fn connect(url: &str) -> crate::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // A request cancelled while sqlx starts a transaction (a client
        // that disconnects, say) can return its connection to the pool with
        // sqlx's transaction depth still raised. On the single write
        // connection every later `BEGIN IMMEDIATE` would then fail, so such
        // a connection is closed instead of reused.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { write, read })
    }

    async fn begin_write(&self) -> crate::Result<sqlx::Transaction<'static, Sqlite>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn run_migrations(&self) -> crate::Result<()> {
        crate::migrate::run!(&self.write, self.begin_write(), MIGRATIONS)
    }
}

crate::shared::impl_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow, "sqlite");
crate::public::impl_public_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
crate::attachments::impl_attachment_store!(SqliteStore, sqlx::sqlite::SqliteRow);
crate::monev::impl_monev_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
crate::report_versions::impl_report_version_store!(SqliteStore, sqlx::sqlite::SqliteRow);
crate::lapor::impl_lapor_store!(SqliteStore, sqlx::sqlite::SqliteRow);
crate::triage::impl_triage_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
crate::outbox::impl_outbox_store!(SqliteStore, sqlx::sqlite::SqliteRow);
crate::retention::impl_retention_store!(SqliteStore);
