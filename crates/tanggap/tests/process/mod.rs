//! Tests that run the `tanggap` binary as a separate process.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

mod generate;

/// The binary with a database URL and quiet logs.
pub fn tanggap(database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tanggap"));
    command
        .args(args)
        .env("TANGGAP_DATABASE_URL", database_url)
        .env("TANGGAP_LOG", "warn")
        .env_remove("TANGGAP_CONFIG")
        .stdin(Stdio::null());
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn start_server(database_url: &str, port: u16) -> std::process::Child {
    tanggap(
        database_url,
        &["serve", "--bind", &format!("127.0.0.1:{port}")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("server starts")
}

async fn wait_ready(client: &Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server at {base} did not become ready");
}

/// Kills the server with SIGKILL while eight clients create complaints, then
/// restarts it: every complaint acknowledged with 201 must be there, and
/// the audit chain must verify.
#[tokio::test]
async fn sigkill_keeps_acknowledged_complaints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("kill.db").display());
    for args in [
        vec!["seed"],
        vec!["user", "add", "intake", "--role", "central_admin"],
    ] {
        let status = tanggap(&url, &args)
            .env("TANGGAP_PASSWORD", "kata-sandi-uji-123")
            .status()
            .expect("command runs");
        assert!(status.success(), "{args:?}");
    }
    let token = tanggap(&url, &["token", "add", "intake", "--name", "kill-test"])
        .output()
        .expect("token");
    let token = String::from_utf8(token.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(token.starts_with("tgp_"));

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start_server(&url, port);
    let client = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    wait_ready(&client, &base).await;

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for writer in 0..8 {
        let (client, base, token, acknowledged) = (
            client.clone(),
            base.clone(),
            token.clone(),
            Arc::clone(&acknowledged),
        );
        writers.push(tokio::spawn(async move {
            // Bounded: at most 400 requests per writer.
            for n in 0..400 {
                let body = json!({
                    "channel": "sms",
                    "body": format!("Pengaduan uji {writer}-{n}"),
                });
                let Ok(response) = client
                    .post(format!("{base}/api/v1/complaints"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                else {
                    break;
                };
                if response.status() != StatusCode::CREATED {
                    break;
                }
                let Ok(created) = response.json::<Value>().await else {
                    break;
                };
                if let Some(tracking) = created["complaint"]["tracking_number"].as_str() {
                    acknowledged.lock().await.push(tracking.to_owned());
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    for writer in writers {
        writer.await.expect("writer");
    }
    let acknowledged = acknowledged.lock().await.clone();
    assert!(
        !acknowledged.is_empty(),
        "no complaint was acknowledged before the kill"
    );

    let mut server = start_server(&url, port);
    wait_ready(&client, &base).await;
    for tracking in &acknowledged {
        let response = client
            .get(format!("{base}/api/v1/complaints/by-tracking/{tracking}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{tracking} lost after SIGKILL"
        );
    }
    let _ = server.kill();
    let _ = server.wait();

    let output = tanggap(&url, &["audit", "verify"])
        .output()
        .expect("verify");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
