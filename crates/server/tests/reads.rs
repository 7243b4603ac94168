//! The current state for other services, over real HTTP on SQLite and
//! PostgreSQL: the applications as they stand (filtered, paged, one by
//! id), and a gateway's question whether a key opens a product now, for a
//! live key, an expired one, a revoked one, one of a deleted application,
//! one for a product its application does not use, and a key nobody has.

mod support;

use chrono::Duration;
use portal_domain::*;
use portal_server::clock::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::http::*;
use support::local::*;
use support::BackendKind;
use uuid::Uuid;

async fn pushed(app: &TestApp, events: &[Envelope]) {
    let (status, reply) = app.push(ALPHA, events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

/// The secret of credential `n`, as the app would show it once.
fn secret(n: u128) -> String {
    format!("plk_{n:048x}")
}

/// Credential `n` with the key of [`secret`], expiring at `expires_at`.
fn keyed(n: u128, expires_at: chrono::DateTime<chrono::Utc>) -> NewCredential {
    let secret = secret(n);
    let hash = format!("{:x}", Sha256::digest(secret.as_bytes()));
    NewCredential {
        id: CredentialId(Uuid::from_u128(0xC0DE_0000 + n)),
        key: CredentialKey::parse(&secret[..12], &hash).unwrap(),
        expires_at,
    }
}

/// Application `n`, with credential `n` expiring `days` after t0, and
/// `products`.
fn application(local: &mut Local, n: u128, days: i64, products: &[&str]) -> Vec<Envelope> {
    let mut events = local.run(Action::CreateApplication {
        app_id: app_id(n),
        name: AppName::parse(&format!("App {n}")).unwrap(),
        owner: Owner::parse("ada@example.com").unwrap(),
        plan: Plan::Free,
        credential: keyed(n, t0() + Duration::days(days)),
    });
    for product in products {
        events.extend(local.run(add(n, product)));
    }
    events
}

async fn verify(app: &TestApp, key: &str, product: &str) -> Value {
    let response = app
        .client
        .post(format!("{}/api/v1/credentials/verify", app.base))
        .bearer_auth(ALPHA)
        .json(&json!({ "key": key, "product": product }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn a_gateway_learns_whether_a_key_opens_a_product_now(backend: BackendKind) {
    // The server's now: 10 days after the history starts.
    let app = spawn_app_clocked(backend, Clock::starting_at(t0() + Duration::days(10))).await;
    let mut ada = Local::new(1);
    let mut history = application(&mut ada, 1, 90, &["maps", "search"]);
    history.extend(application(&mut ada, 2, 5, &["maps"]));
    history.extend(application(&mut ada, 3, 90, &["maps"]));
    history.extend(ada.run(Action::RevokeCredential {
        app_id: app_id(3),
        credential_id: CredentialId(Uuid::from_u128(0xC0DE_0000 + 3)),
    }));
    history.extend(application(&mut ada, 4, 90, &["maps"]));
    history.extend(ada.run(Action::DeleteApplication { app_id: app_id(4) }));
    pushed(&app, &history).await;

    let live = verify(&app, &secret(1), "maps").await;
    assert_eq!(live["valid"], true, "{live}");
    assert_eq!(live["application_id"], app_id(1).0.to_string());
    assert!(live.get("reason").is_none(), "{live}");
    for (key, product, reason) in [
        (secret(1), "payments", "product_not_subscribed"),
        (secret(2), "maps", "expired"),
        (secret(3), "maps", "revoked"),
        (secret(4), "maps", "application_deleted"),
        (secret(99), "maps", "unknown_key"),
        // The hash itself is not a key.
        (
            format!("{:x}", Sha256::digest(secret(1).as_bytes())),
            "maps",
            "unknown_key",
        ),
    ] {
        let verdict = verify(&app, &key, product).await;
        assert_eq!(verdict["valid"], false, "{verdict}");
        assert_eq!(verdict["reason"], reason, "{key} for {product}: {verdict}");
        assert!(verdict["detail"].as_str().unwrap().ends_with('.'));
    }
    let unknown = verify(&app, &secret(99), "maps").await;
    assert!(
        unknown.get("application_id").is_none(),
        "an unknown key names nothing: {unknown}"
    );

    // A product added later opens at once.
    pushed(&app, &ada.run(add(1, "payments"))).await;
    assert_eq!(verify(&app, &secret(1), "payments").await["valid"], true);

    let no_token = app
        .client
        .post(format!("{}/api/v1/credentials/verify", app.base))
        .json(&json!({ "key": secret(1), "product": "maps" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(format!("{}/api/v1{path}", app.base))
        .bearer_auth(ALPHA)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn other_services_read_the_applications_as_they_stand(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let mut ada = Local::new(1);
    let mut history = Vec::new();
    for n in 1..=5 {
        let products: &[&str] = if n % 2 == 0 { &["maps"] } else { &["search"] };
        history.extend(application(&mut ada, n, 90, products));
    }
    history.extend(ada.run(Action::ChangePlan {
        app_id: app_id(2),
        plan: Plan::Paid,
    }));
    history.extend(ada.run(Action::DeleteApplication { app_id: app_id(5) }));
    pushed(&app, &history).await;

    let (status, page) = get(&app, "/applications?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ids = |page: &Value| -> Vec<String> {
        page["applications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&page), [app_id(1), app_id(2)].map(|a| a.0.to_string()));
    assert_eq!(page["position"], history.len() as u64);
    let next = page["next"].as_str().unwrap().to_owned();
    let (_, rest) = get(&app, &format!("/applications?limit=2&after={next}")).await;
    assert_eq!(ids(&rest), [app_id(3), app_id(4)].map(|a| a.0.to_string()));
    assert!(
        rest["next"].is_null(),
        "the deleted one is not listed: {rest}"
    );

    let (_, maps) = get(&app, "/applications?product=maps").await;
    assert_eq!(ids(&maps), [app_id(2), app_id(4)].map(|a| a.0.to_string()));
    let (_, paid) = get(&app, "/applications?plan=paid&owner=ada@example.com").await;
    assert_eq!(ids(&paid), [app_id(2).0.to_string()]);
    let (_, deleted) = get(&app, "/applications?status=deleted").await;
    assert_eq!(ids(&deleted), [app_id(5).0.to_string()]);

    let (status, one) = get(&app, &format!("/applications/{}", app_id(2).0)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["name"], "App 2");
    assert_eq!(one["plan"], "paid");
    assert_eq!(one["products"], json!(["maps"]));
    assert_eq!(one["credentials"][0]["status"], "active");
    assert!(
        !one.to_string().contains(&secret(2)),
        "no secret is ever answered"
    );

    for (path, status, code) in [
        (
            format!("/applications/{}", Uuid::from_u128(404)),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/applications/not-an-id".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/applications?plan=gold".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/applications?limit=0".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ] {
        let (got, body) = get(&app, &path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["code"], code, "{path}: {body}");
    }
    // Another tenant's token reads another workspace.
    let others = app
        .client
        .get(format!("{}/api/v1/applications", app.base))
        .bearer_auth(BETA)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(others["applications"], json!([]));
}

support::on_both_backends!(
    a_gateway_learns_whether_a_key_opens_a_product_now,
    other_services_read_the_applications_as_they_stand,
);
