//! Fresh databases for tests, on SQLite always and on PostgreSQL when
//! `TANGGAP_TEST_DATABASE_URL` names a server.

use crate::{Result, Store};
use std::sync::Arc;

/// A database created for one test; dropped with [`TestDatabase::cleanup`].
pub struct TestDatabase {
    pub url: String,
    /// Keeps the SQLite file's directory alive for the test's duration.
    _dir: Option<tempfile_dir::Dir>,
    admin_url: Option<String>,
    name: Option<String>,
}

/// The test database backends available here: SQLite always, PostgreSQL
/// when `TANGGAP_TEST_DATABASE_URL` is set.
///
/// # Panics
/// In CI (`CI` set) without `TANGGAP_TEST_DATABASE_URL`, so that PostgreSQL
/// tests never skip silently there.
pub fn backends() -> Vec<&'static str> {
    let mut kinds = vec!["sqlite"];
    if postgres_url().is_some() {
        kinds.push("postgres");
    } else if std::env::var_os("CI").is_some() {
        panic!("CI is set but TANGGAP_TEST_DATABASE_URL is not: PostgreSQL tests must run in CI");
    }
    kinds
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TANGGAP_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

impl TestDatabase {
    /// Creates an empty database of `kind` (`sqlite` or `postgres`).
    pub async fn create(kind: &str) -> Result<Self> {
        match kind {
            "postgres" => {
                let admin_url = postgres_url().ok_or_else(|| {
                    crate::StoreError::UnsupportedUrl("TANGGAP_TEST_DATABASE_URL is not set".into())
                })?;
                let name = format!("tanggap_test_{}", random_suffix());
                let admin = sqlx::PgPool::connect(&admin_url).await?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                let url = replace_database(&admin_url, &name);
                Ok(Self {
                    url,
                    _dir: None,
                    admin_url: Some(admin_url),
                    name: Some(name),
                })
            }
            _ => {
                let dir = tempfile_dir::Dir::new()?;
                let url = format!("sqlite://{}", dir.path.join("tanggap.db").display());
                Ok(Self {
                    url,
                    _dir: Some(dir),
                    admin_url: None,
                    name: None,
                })
            }
        }
    }

    /// Connects, migrates and returns the store.
    pub async fn store(&self) -> Result<Arc<dyn Store>> {
        let store = crate::connect(&self.url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Drops a PostgreSQL test database; SQLite files go with their directory.
    pub async fn cleanup(self) {
        if let (Some(admin_url), Some(name)) = (&self.admin_url, &self.name)
            && let Ok(admin) = sqlx::PgPool::connect(admin_url).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

fn random_suffix() -> String {
    let nanos = jiff::Timestamp::now().as_nanosecond();
    let counter = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos.rem_euclid(1_000_000_000),
        counter
    )
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Replaces the database name (the path) in a PostgreSQL URL.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A temporary directory removed on drop; small enough not to need a crate.
mod tempfile_dir {
    use std::path::PathBuf;

    pub struct Dir {
        pub path: PathBuf,
    }

    impl Dir {
        pub fn new() -> std::io::Result<Self> {
            let path =
                std::env::temp_dir().join(format!("tanggap-test-{}", super::random_suffix()));
            std::fs::create_dir_all(&path)?;
            Ok(Self { path })
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replace_database_keeps_query() {
        assert_eq!(
            super::replace_database(
                "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
                "x"
            ),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
    }
}
