//! A small migration runner: each backend lists its SQL files in order, and
//! `schema_migrations` records which versions ran. Every migration runs in
//! its own transaction, so a failed one leaves the schema as it was.

/// One migration: its version number and SQL text.
pub(crate) struct Migration {
    pub version: i64,
    pub sql: &'static str,
}

pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations \
     (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";

/// Runs the migrations of one backend. A macro, because the transaction
/// types differ per backend while the steps are the same.
macro_rules! run {
    ($pool:expr, $begin:expr, $migrations:expr) => {{
        sqlx::query($crate::migrate::CREATE_TABLE)
            .execute($pool)
            .await?;
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all($pool)
            .await?;
        for migration in $migrations {
            if applied.contains(&migration.version) {
                continue;
            }
            let mut tx = $begin.await?;
            sqlx::Executor::execute(&mut *tx, migration.sql).await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(migration.version)
                .bind(jiff::Timestamp::now().as_microsecond())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version = migration.version, "applied database migration");
        }
        Ok(())
    }};
}
pub(crate) use run;
