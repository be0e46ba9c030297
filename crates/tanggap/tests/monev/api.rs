//! The JSON API of the quarterly report versions and the monitoring and
//! evaluation runs: the same roles and checks as the staff pages.

use crate::{App, PASSWORD, post};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tanggap_core::Role;
use tanggap_service::report_versions::HEAD_OF_SECTION_AGENCY;
use tanggap_store::testing::backends;

async fn get(client: &Client, url: String) -> (StatusCode, Value) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn report_versions_through_api() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        app.services
            .add_user(
                None,
                "head.humpro",
                "head.humpro",
                PASSWORD,
                Role::AgencyHead,
                Some(HEAD_OF_SECTION_AGENCY),
            )
            .await
            .expect("head of section");
        let team = app.login("team").await;
        let head = app.login("head.humpro").await;
        let sekda = app.login("sekda").await;
        let admin = app.login("admin").await;
        let liaison = app.login("dlh").await;
        let base = format!("{}/api/v1/report-versions", app.base);

        // Only the complaint team generates; a bad quarter is named.
        let quarter = json!({ "year": 2026, "quarter": 3 });
        let (status, _) = post(&sekda, base.clone(), quarter.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        let (status, body) = post(&team, base.clone(), json!({ "year": 2026, "quarter": 5 })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}: {body}");
        assert_eq!(body["errors"][0]["field"], "quarter", "{kind}: {body}");
        let (status, first) = post(&team, base.clone(), quarter).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {first}");
        assert_eq!(first["number"], 1);
        assert_eq!(first["state"], "draft");
        let id = first["id"].as_i64().expect("version id");

        // A new narrative makes version 2 with the same figures.
        let (status, second) = post(
            &team,
            format!("{base}/{id}/narrative"),
            json!({ "narrative": { "findings": "Temuan uji lewat API." } }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {second}");
        assert_eq!(second["number"], 2);
        assert_eq!(second["narrative"]["findings"], "Temuan uji lewat API.");
        let id = second["id"].as_i64().expect("version id");

        let (status, body) = post(&team, format!("{base}/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["state"], "submitted");
        let (status, _) = post(
            &team,
            format!("{base}/{id}/review"),
            json!({ "accept": true }),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{kind}: the team does not review"
        );
        let (status, body) = post(
            &head,
            format!("{base}/{id}/review"),
            json!({ "accept": true }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["state"], "reviewed");

        // The approval names the PDF's hash; another hash is rejected.
        let wrong = json!({ "sha256": "0".repeat(64) });
        let (status, body) = post(&sekda, format!("{base}/{id}/approve"), wrong).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}: {body}");
        let sha256 = second["pdf_sha256"].as_str().expect("hash").to_owned();
        let (status, body) = post(
            &sekda,
            format!("{base}/{id}/approve"),
            json!({ "sha256": sha256 }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["state"], "approved");
        assert_eq!(body["approved"]["sha256"], sha256.as_str());

        let (status, _) = post(&team, format!("{base}/{id}/publish"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        let (status, body) = post(&admin, format!("{base}/{id}/publish"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert!(body["published"]["at"].is_string(), "{kind}: {body}");

        let (status, list) = get(&sekda, base.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().map(Vec::len), Some(2), "{kind}: {list}");
        let (status, one) = get(&team, format!("{base}/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["id"], id);
        let (status, _) = get(&liaison, base.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{kind}: liaison admins see no versions"
        );
        let (status, _) = get(&Client::new(), base.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{kind}");
        app.stop().await;
    }
}

#[tokio::test]
async fn monev_runs_through_api() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let team = app.login("team").await;
        let sekda = app.login("sekda").await;
        let head = app.login("head.pupr").await;
        let sysadmin = app.login("sysadmin").await;
        let base = format!("{}/api/v1/monev/runs", app.base);
        let quarter = json!({ "year": 2026, "quarter": 3 });

        // Without an approved report version the quarter cannot start.
        let (status, body) = post(&team, base.clone(), quarter.clone()).await;
        assert_eq!(status, StatusCode::CONFLICT, "{kind}: {body}");
        assert_eq!(body["code"], "report_not_approved");
        assert!(
            body["title"]
                .as_str()
                .is_some_and(|t| t.contains("belum memiliki versi laporan triwulan")),
            "{kind}: {body}"
        );

        let (report_id, report_sha256) = super::approve_report(&app.services, 2026, 3).await;
        let (status, _) = post(&sekda, base.clone(), quarter.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{kind}: only the team starts"
        );
        let (status, run) = post(&team, base.clone(), quarter.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {run}");
        assert_eq!(run["report_version_id"], report_id);
        assert_eq!(run["report_sha256"], report_sha256.as_str());
        assert_eq!(run["basis"], "approved_report");
        assert_eq!(run["tasks"].as_array().map(Vec::len), Some(6));
        assert_eq!(run["tasks"][0]["status"], "in_progress");
        let recap = &run["documents"][0]["content"];
        assert_eq!(recap["report"]["id"], report_id, "{kind}: {recap}");
        let id = run["id"].as_i64().expect("run id");
        let (status, body) = post(&team, base.clone(), quarter).await;
        assert_eq!(status, StatusCode::CONFLICT, "{kind}");
        assert_eq!(body["code"], "quarter_has_run");

        // The steps keep the order and roles of the screens.
        let task = |activity: &str, action: &str| format!("{base}/{id}/tasks/{activity}/{action}");
        let (status, body) = post(&team, task("agency_meeting", "start"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{kind}: {body}");
        assert_eq!(body["code"], "requirement_missing");
        let (status, body) = post(&team, task("prepare", "complete"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["tasks"][0]["status"], "done");
        let (status, _) = post(&head, task("site_visit", "start"), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        let (status, body) = post(&team, task("site_visit", "start"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["tasks"][1]["status"], "in_progress");
        let (status, body) = post(&team, task("site_visit", "complete"), json!({})).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: an empty report"
        );
        assert_eq!(body["code"], "validation_failed");
        let (status, body) = post(&team, task("site_visit", "jump"), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: {body}");
        assert_eq!(body["code"], "unknown_action");
        let (status, body) = post(&team, task("prepare", "approve"), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: {body}");

        let (status, list) = get(&sekda, base.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list[0]["id"], id, "{kind}: {list}");
        let (status, one) = get(&head, format!("{base}/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["tasks"][1]["status"], "in_progress");
        let (status, _) = get(&sysadmin, base.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{kind}");
        let (status, _) = get(&team, format!("{base}/9999")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}");
        app.stop().await;
    }
}

async fn put(client: &Client, url: String, body: Value) -> (StatusCode, Value) {
    let response = client.put(url).json(&body).send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn minutes_body(place: &str) -> Value {
    json!({
        "held_on": "2026-10-07",
        "place": place,
        "attendees": [{ "name": "Peserta Satu", "institution": "Dinas PUPR" }],
        "agenda": "Tindak lanjut hasil pemantauan",
        "discussion": "Pembahasan temuan.",
        "decisions": "Perbaikan dijadwalkan.",
    })
}

#[tokio::test]
async fn monev_minutes_through_api() {
    for kind in backends() {
        let app = App::spawn(kind).await;
        let team = app.login("team").await;
        let head = app.login("head.pupr").await;
        let base = format!("{}/api/v1/monev/runs", app.base);
        super::approve_report(&app.services, 2026, 3).await;
        let (status, run) = post(&team, base.clone(), json!({ "year": 2026, "quarter": 3 })).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {run}");
        let id = run["id"].as_i64().expect("run id");
        let task = |activity: &str, action: &str| format!("{base}/{id}/tasks/{activity}/{action}");

        // The site visit has no API of its own yet, so the services record it.
        let s = &app.services;
        let team_principal = tanggap_service::Principal {
            user_id: s
                .list_users(None)
                .await
                .expect("users")
                .into_iter()
                .find(|u| u.username == "team")
                .expect("team user")
                .id,
            username: "team".into(),
            display_name: "team".into(),
            role: Role::ComplaintTeam,
            agency: None,
        };
        post(&team, task("prepare", "complete"), json!({})).await;
        post(&team, task("site_visit", "start"), json!({})).await;
        s.edit_monev_document(
            &team_principal,
            id,
            "site_visit",
            tanggap_service::monev::DocumentEdit::AddVisit(super::visit()),
        )
        .await
        .expect("visit");
        let (status, body) = post(&team, task("site_visit", "complete"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        let (status, body) = post(&head, task("agency_meeting", "start"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");

        // Two meetings, each with its own minutes; the second is edited.
        let minutes = |path: &str| format!("{base}/{id}/tasks/agency_meeting/minutes{path}");
        let (status, body) = post(&head, minutes(""), minutes_body("Ruang rapat PUPR")).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
        let (status, body) = post(&team, minutes(""), json!({ "place": "Kecamatan" })).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
        let (status, body) = post(&head, task("agency_meeting", "complete"), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}: {body}");
        assert_eq!(
            body["errors"][0]["field"], "meetings[1].held_on",
            "{kind}: {body}"
        );
        let (status, body) = put(&head, minutes("/2"), minutes_body("Kantor Kecamatan")).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        let (status, body) = put(&head, minutes("/3"), minutes_body("Tidak ada")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: {body}");
        let item = json!({ "description": "Membersihkan saluran", "owner": "Dinas PUPR", "due_on": "2026-10-20" });
        let (status, body) = post(&team, minutes("/2/action-items"), item.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{kind}: {body}");
        let (status, body) = post(&team, minutes("/0/action-items"), item).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: {body}");

        let (status, run) = get(&head, format!("{base}/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let document = run["documents"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["activity"] == "agency_meeting"))
            .expect("minutes document");
        let places: Vec<&str> = document["content"]["meetings"]
            .as_array()
            .expect("meetings")
            .iter()
            .filter_map(|m| m["place"].as_str())
            .collect();
        assert_eq!(places, ["Ruang rapat PUPR", "Kantor Kecamatan"], "{kind}");
        assert_eq!(run["action_items"][0]["meeting"], 2, "{kind}: {run}");
        let (status, body) = post(&head, task("agency_meeting", "complete"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        app.stop().await;
    }
}
