//! PostgreSQL backend, for several application nodes sharing one database.
//!
//! Every write transaction first takes one transaction-scoped advisory
//! lock. That keeps the audit log a single hash chain and gives the same
//! one-writer-at-a-time semantics as SQLite, at the cost of serialising
//! writes across nodes; reads run in parallel.

use crate::migrate::Migration;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Pool, Postgres};
use std::time::Duration;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/postgres/0002_attachments.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/postgres/0003_totp.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/postgres/0004_settings.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/postgres/0005_notifications.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../migrations/postgres/0006_open311.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../migrations/postgres/0007_report_versions.sql"),
    },
    Migration {
        version: 8,
        sql: include_str!("../migrations/postgres/0008_lapor.sql"),
    },
    Migration {
        version: 9,
        sql: include_str!("../migrations/postgres/0009_monev.sql"),
    },
    Migration {
        version: 10,
        sql: include_str!("../migrations/postgres/0010_text_search.sql"),
    },
    Migration {
        version: 11,
        sql: include_str!("../migrations/postgres/0011_triage.sql"),
    },
    Migration {
        version: 13,
        sql: include_str!("../migrations/postgres/0013_monev_report_version.sql"),
    },
    Migration {
        version: 14,
        sql: include_str!("../migrations/postgres/0014_monev_meetings.sql"),
    },
    Migration {
        version: 15,
        sql: include_str!("../migrations/postgres/0015_agency_queues.sql"),
    },
    Migration {
        version: 16,
        sql: include_str!("../migrations/postgres/0016_search_pending_list.sql"),
    },
];

/// Advisory lock key of the write lock ("TNGGAP" in ASCII).
const WRITE_LOCK_KEY: i64 = 0x54_4E_47_47_41_50;

pub struct PgStore {
    write: Pool<Postgres>,
    read: Pool<Postgres>,
}

impl PgStore {
    /// Text filters use ILIKE, which the pg_trgm indexes answer.
    const SEARCH_TABLE: bool = false;
    const LIKE: &'static str = "ILIKE";
    /// Lets several nodes claim different jobs at once.
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";

    pub async fn connect(url: &str) -> crate::Result<Self> {
        // A connection released while sqlx still counts an open transaction
        // (a request cancelled inside one) is closed instead of reused.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .connect(url)
            .await?;
        Ok(Self {
            write: pool.clone(),
            read: pool,
        })
    }

    async fn begin_write(&self) -> crate::Result<sqlx::Transaction<'static, Postgres>> {
        let mut tx = self.write.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    async fn run_migrations(&self) -> crate::Result<()> {
        crate::migrate::run!(&self.write, self.begin_write(), MIGRATIONS)
    }
}

crate::shared::impl_store!(PgStore, Postgres, sqlx::postgres::PgRow, "postgres");
crate::public::impl_public_store!(PgStore, Postgres, sqlx::postgres::PgRow);
crate::attachments::impl_attachment_store!(PgStore, sqlx::postgres::PgRow);
crate::monev::impl_monev_store!(PgStore, Postgres, sqlx::postgres::PgRow);
crate::report_versions::impl_report_version_store!(PgStore, sqlx::postgres::PgRow);
crate::lapor::impl_lapor_store!(PgStore, sqlx::postgres::PgRow);
crate::triage::impl_triage_store!(PgStore, Postgres, sqlx::postgres::PgRow);
crate::outbox::impl_outbox_store!(PgStore, sqlx::postgres::PgRow);
crate::retention::impl_retention_store!(PgStore);
