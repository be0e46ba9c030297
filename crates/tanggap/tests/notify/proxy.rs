//! `X-Forwarded-For` in the portal's per-address rate limits: honoured
//! only from a trusted proxy.

use crate::App;
use reqwest::{Client, StatusCode};
use tanggap_service::ServiceConfig;
use tanggap_store::testing::backends;

/// Sends a tracking request that claims to come from `forwarded_for`.
async fn lookup(app: &App, client: &Client, forwarded_for: &str) -> StatusCode {
    client
        .get(format!("{}/lacak", app.base))
        .query(&[("nomor", "BJM-26-999999"), ("kode", "salah")])
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("tracking request")
        .status()
}

fn two_lookups(trusted: &'static [&'static str]) -> impl FnOnce(&mut ServiceConfig) {
    move |config: &mut ServiceConfig| {
        config.portal.lookups_per_address = 2;
        config.portal.trusted_proxies = trusted
            .iter()
            .map(|net| net.parse().expect("network"))
            .collect();
    }
}

#[tokio::test]
async fn trusted_proxy_forwards_client_address() {
    for kind in backends() {
        let app = App::spawn_with(kind, two_lookups(&["127.0.0.0/8"])).await;
        let client = Client::new();
        assert_eq!(
            lookup(&app, &client, "203.0.113.5").await,
            StatusCode::NOT_FOUND,
            "{kind}"
        );
        assert_eq!(
            lookup(&app, &client, "203.0.113.5").await,
            StatusCode::NOT_FOUND,
            "{kind}"
        );
        assert_eq!(
            lookup(&app, &client, "203.0.113.5").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}: the forwarded client was not limited"
        );
        // Another client behind the same proxy has its own count.
        assert_eq!(
            lookup(&app, &client, "203.0.113.6").await,
            StatusCode::NOT_FOUND,
            "{kind}: clients behind the proxy share one count"
        );
        // A spoofed address left of the real one does not help.
        assert_eq!(
            lookup(&app, &client, "198.51.100.1, 203.0.113.5").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}: a spoofed entry escaped the limit"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn untrusted_peer_header_ignored() {
    for kind in backends() {
        // 127.0.0.1 is not in the list, so the header is not believed.
        let app = App::spawn_with(kind, two_lookups(&["10.0.0.0/8"])).await;
        let client = Client::new();
        assert_eq!(
            lookup(&app, &client, "203.0.113.5").await,
            StatusCode::NOT_FOUND,
            "{kind}"
        );
        assert_eq!(
            lookup(&app, &client, "203.0.113.6").await,
            StatusCode::NOT_FOUND,
            "{kind}"
        );
        assert_eq!(
            lookup(&app, &client, "203.0.113.7").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{kind}: a forged header from an untrusted peer escaped the limit"
        );
        app.stop().await;
    }
}
