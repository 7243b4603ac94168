//! People, sign-in and roles, over real HTTP on SQLite and PostgreSQL: each
//! refusal gets its status and code, and a pull afterwards shows that
//! nothing of a refused push was stored.

mod support;

use chrono::Duration;
use portal_domain::process;
use portal_domain::*;
use portal_server::storage::Storage;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::http::*;
use support::local::*;
use support::BackendKind;
use uuid::Uuid;

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";
const PAT: &str = "pat@example.com";
const ROOT: &str = "root@example.com";

/// `token`'s push of `events` is refused with `status`, `code` and `rule`,
/// and the log is as it was.
async fn refused(
    app: &TestApp,
    token: &str,
    events: &[Envelope],
    status: StatusCode,
    code: &str,
    rule: Option<&str>,
) -> Value {
    let before = app.pull_all(ALPHA).await;
    let (got, reply) = app.push(token, events).await;
    assert_eq!(got, status, "{reply}");
    assert_eq!(reply["code"], code, "{reply}");
    if let Some(rule) = rule {
        assert_eq!(reply["rule"], rule, "{reply}");
    }
    assert_eq!(app.pull_all(ALPHA).await, before, "nothing was stored");
    reply
}

/// `token`'s push of `events` is a 401 with `code`, and nothing is stored.
async fn unauthorized(app: &TestApp, token: &str, events: &[Envelope], code: &str) -> Value {
    refused(app, token, events, StatusCode::UNAUTHORIZED, code, None).await
}

/// `token`'s push of `events` is a 403 for `rule`, and nothing is stored.
async fn forbidden(app: &TestApp, token: &str, events: &[Envelope], rule: &str) -> Value {
    let forbidden = StatusCode::FORBIDDEN;
    refused(app, token, events, forbidden, "forbidden", Some(rule)).await
}

async fn pushed(app: &TestApp, token: &str, events: &[Envelope]) {
    let (status, reply) = app.push(token, events).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

async fn signing_in_opens_the_tenant_as_that_person(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let (status, reply) = app.sign_in(" Ada@Example.com ", &password).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["person"]["email"], ADA);
    assert_eq!(reply["person"]["role"], "developer");
    let token = reply["token"].as_str().unwrap();
    assert!(
        token.starts_with("pls_") && token.len() >= 4 + 32,
        "{token}"
    );
    let (status, me) = app
        .call(reqwest::Method::GET, "/sessions/current", token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["person"]["email"], ADA);
    assert_eq!(me["tenant"], "alpha");
    let expires: chrono::DateTime<chrono::Utc> =
        me["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (expires - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((11.9..=12.0).contains(&hours), "a 12-hour session: {hours}");
    let mut ada = Local::of(1, ADA);
    pushed(&app, token, &ada.run(create_for(1, 1, ADA))).await;
    assert_eq!(app.pull_all(ALPHA).await.len(), 2);
}

async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    person(&app, ADA, Role::Developer).await;
    let (wrong, wrong_reply) = app.sign_in(ADA, "not the password").await;
    let (unknown, unknown_reply) = app.sign_in("nobody@example.com", "not the password").await;
    assert_eq!(wrong, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_reply["code"], "sign_in_failed");
    assert_eq!(
        wrong_reply, unknown_reply,
        "the answer says nothing of the email"
    );
}

async fn failed_sign_ins_are_limited_per_account(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let bob = person(&app, BOB, Role::Developer).await;
    for _ in 0..5 {
        assert_eq!(app.sign_in(ADA, "guess").await.0, StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password waits.
    let response = app
        .client
        .post(format!("{}/api/v1/sessions", app.base))
        .json(&json!({ "email": ADA, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 60 && wait <= 15 * 60, "{wait}");
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["code"], "rate_limited");
    // Another account on the same address still signs in.
    assert_eq!(app.sign_in(BOB, &bob).await.0, StatusCode::CREATED);
}

async fn an_expired_session_opens_nothing(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let token = app.session(ADA, &password).await;
    support::execute(
        &app.database,
        "UPDATE tokens SET expires_at = '2020-01-01T00:00:00Z'",
    )
    .await;
    let mut ada = Local::of(1, ADA);
    let reply = unauthorized(
        &app,
        &token,
        &ada.run(create_for(1, 1, ADA)),
        "token_expired",
    )
    .await;
    assert!(reply["error"].as_str().unwrap().contains("sign in again"));
}

async fn a_signed_out_session_opens_nothing(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let token = app.session(ADA, &password).await;
    let (status, _) = app
        .call(reqwest::Method::DELETE, "/sessions/current", &token, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut ada = Local::of(1, ADA);
    unauthorized(
        &app,
        &token,
        &ada.run(create_for(1, 1, ADA)),
        "token_revoked",
    )
    .await;
    // Signing in again gives a new session that works.
    let again = app.session(ADA, &password).await;
    assert_ne!(again, token);
    pushed(&app, &again, &ada.run(create_for(2, 2, ADA))).await;
}

async fn a_disabled_person_opens_nothing(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let token = app.session(ADA, &password).await;
    let storage = Storage::open(&app.database).await.unwrap();
    assert!(storage.disable_person(ADA).await.unwrap());
    let mut ada = Local::of(1, ADA);
    unauthorized(
        &app,
        &token,
        &ada.run(create_for(1, 1, ADA)),
        "account_disabled",
    )
    .await;
    let (status, reply) = app.sign_in(ADA, &password).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply["code"], "account_disabled");
}

async fn no_token_and_an_unknown_one_open_nothing(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let events = Local::of(1, ADA).run(create_for(1, 1, ADA));
    let (status, reply) = app.push_json(None, &wire(&events)).await;
    assert_eq!(
        (status, reply["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("unauthorized"))
    );
    let forged = format!("pls_{}", "0".repeat(64));
    unauthorized(&app, &forged, &events, "unauthorized").await;
}

async fn nobody_writes_as_someone_else(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let token = app.session(ADA, &password).await;
    let mut as_bob = Local::of(1, BOB);
    let reply = refused(
        &app,
        &token,
        &as_bob.run(create_for(1, 1, BOB)),
        StatusCode::FORBIDDEN,
        "forbidden",
        Some("forged_actor"),
    )
    .await;
    assert!(reply["error"].as_str().unwrap().contains(ADA), "{reply}");
}

async fn a_developer_changes_only_their_own_applications(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let ada_password = person(&app, ADA, Role::Developer).await;
    let bob_password = person(&app, BOB, Role::Developer).await;
    let (ada_token, bob_token) = (
        app.session(ADA, &ada_password).await,
        app.session(BOB, &bob_password).await,
    );
    let mut ada = Local::of(1, ADA);
    let created = ada.run(create_for(1, 1, ADA));
    pushed(&app, &ada_token, &created).await;
    let mut bob = Local::of(2, BOB);
    bob.learn(&created);
    // Not for someone else, and not on someone else's.
    refused(
        &app,
        &bob_token,
        &bob.run(create_for(2, 2, ADA)),
        StatusCode::FORBIDDEN,
        "forbidden",
        Some("create_for_other"),
    )
    .await;
    let mut bob = Local::of(2, BOB);
    bob.learn(&created);
    let reply = forbidden(
        &app,
        &bob_token,
        &bob.run(Action::DeleteApplication { app_id: app_id(1) }),
        "not_owner",
    )
    .await;
    assert!(
        reply["error"].as_str().unwrap().contains("not yours"),
        "{reply}"
    );
    // Handed over, it is bob's.
    let handed = ada.run(Action::ChangeOwner {
        app_id: app_id(1),
        owner: Owner::parse(BOB).unwrap(),
    });
    pushed(&app, &ada_token, &handed).await;
    let mut bob = Local::of(2, BOB);
    bob.learn(&created);
    bob.learn(&handed);
    pushed(&app, &bob_token, &bob.run(add(1, "Maps"))).await;
    // Ada's device did not see bob's change: a version conflict first; once
    // rebased on it, her change is hers no more.
    let late = ada.run(add(1, "Payments"));
    refused(
        &app,
        &ada_token,
        &late,
        StatusCode::CONFLICT,
        "stream_version_conflict",
        None,
    )
    .await;
    ada.portal = Portal::fold(bob.portal.log().iter());
    let rebased = ada.run(add(1, "Payments"));
    forbidden(&app, &ada_token, &rebased, "not_owner").await;
}

async fn a_product_owner_reads_everything_and_changes_nothing(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, PAT, Role::ProductOwner).await;
    let token = app.session(PAT, &password).await;
    let mut machine = Local::of(1, ADA);
    pushed(&app, ALPHA, &machine.run(create_for(1, 1, ADA))).await;
    let (status, page) = app
        .call(reqwest::Method::GET, "/pull?after=0", &token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        page["events"].as_array().unwrap().len(),
        2,
        "reads everything"
    );
    let mut pat = Local::of(2, PAT);
    pat.learn(&machine.portal.log().iter().cloned().collect::<Vec<_>>());
    refused(
        &app,
        &token,
        &pat.run(create_for(2, 2, PAT)),
        StatusCode::FORBIDDEN,
        "forbidden",
        Some("read_only_role"),
    )
    .await;
    let mut pat = Local::of(2, PAT);
    pat.learn(&machine.portal.log().iter().cloned().collect::<Vec<_>>());
    refused(
        &app,
        &token,
        &pat.run(add(1, "Maps")),
        StatusCode::FORBIDDEN,
        "forbidden",
        Some("read_only_role"),
    )
    .await;
}

async fn an_application_goes_only_to_someone_of_the_workspace(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ROOT, Role::Admin).await;
    person(&app, BOB, Role::Developer).await;
    let token = app.session(ROOT, &password).await;
    let mut root = Local::of(1, ROOT);
    let reply = refused(
        &app,
        &token,
        &root.run(create_for(1, 1, "eve@example.com")),
        StatusCode::UNPROCESSABLE_ENTITY,
        "rule_broken",
        Some("unknown_owner"),
    )
    .await;
    assert!(reply["error"].as_str().unwrap().contains("eve@example.com"));
    let mut root = Local::of(1, ROOT);
    pushed(&app, &token, &root.run(create_for(1, 1, BOB))).await;
    let storage = Storage::open(&app.database).await.unwrap();
    storage.disable_person(BOB).await.unwrap();
    refused(
        &app,
        &token,
        &root.run(create_for(2, 2, BOB)),
        StatusCode::UNPROCESSABLE_ENTITY,
        "rule_broken",
        Some("unknown_owner"),
    )
    .await;
    let mut root = Local::of(3, ROOT);
    root.learn(&app_events(&app).await);
    let handed = root.run(Action::ChangeOwner {
        app_id: app_id(1),
        owner: Owner::parse(ROOT).unwrap(),
    });
    pushed(&app, &token, &handed).await;
}

/// The tenant's log as the server holds it.
async fn app_events(app: &TestApp) -> Vec<Envelope> {
    app.pull_all(ALPHA)
        .await
        .iter()
        .map(|e| portal_sync::codec::decode(&e.to_string()).unwrap())
        .collect()
}

async fn an_admin_changes_any_application(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ROOT, Role::Admin).await;
    person(&app, ADA, Role::Developer).await;
    let token = app.session(ROOT, &password).await;
    let mut root = Local::of(1, ROOT);
    pushed(&app, &token, &root.run(create_for(1, 1, ADA))).await;
    pushed(&app, &token, &root.run(add(1, "Maps"))).await;
    pushed(
        &app,
        &token,
        &root.run(Action::DeleteApplication { app_id: app_id(1) }),
    )
    .await;
}

/// The expiry process's event, due 31 days after application 1 was made.
fn expiry(local: &mut Local) -> Vec<Envelope> {
    let due = process::on_tick(
        t0() + Duration::days(31),
        &local.portal,
        DeviceId(Uuid::from_u128(7)),
    );
    local.issue(due.into_iter().next().expect("an expiry is due"))
}

async fn a_person_never_writes_a_process_event(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let token = app.session(ADA, &password).await;
    let mut ada = Local::of(1, ADA);
    pushed(&app, &token, &ada.run(create_for(1, 1, ADA))).await;
    let expired = expiry(&mut ada);
    assert!(expired[0].actor.is_process());
    forbidden(&app, &token, &expired, "process_only").await;
}

async fn personal_tokens_are_shown_once_work_and_can_be_revoked(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    let bob_password = person(&app, BOB, Role::Developer).await;
    let session = app.session(ADA, &password).await;
    let (status, made) = app
        .call(
            reqwest::Method::POST,
            "/tokens",
            &session,
            Some(json!({ "name": "nightly import" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let token = made["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("plp_"));
    let (_, list) = app
        .call(reqwest::Method::GET, "/tokens", &session, None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "nightly import");
    assert!(!list.to_string().contains(&token[4..]), "never shown again");
    let mut ada = Local::of(1, ADA);
    pushed(&app, &token, &ada.run(create_for(1, 1, ADA))).await;
    // Only its owner revokes it.
    let id = made["id"].as_str().unwrap();
    let bob = app.session(BOB, &bob_password).await;
    let (status, reply) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/tokens/{id}"),
            &bob,
            None,
        )
        .await;
    assert_eq!(
        (status, reply["code"].clone()),
        (StatusCode::NOT_FOUND, json!("not_found"))
    );
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/tokens/{id}"),
            &session,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    unauthorized(&app, &token, &ada.run(add(1, "Maps")), "token_revoked").await;
}

async fn the_tenant_lists_its_active_people_and_keeps_no_secret_in_clear(backend: BackendKind) {
    let app = spawn_app_on(backend).await;
    let password = person(&app, ADA, Role::Developer).await;
    person(&app, BOB, Role::ProductOwner).await;
    person(&app, ROOT, Role::Admin).await;
    let storage = Storage::open(&app.database).await.unwrap();
    storage.disable_person(ROOT).await.unwrap();
    let token = app.session(ADA, &password).await;
    let (status, people) = app
        .call(reqwest::Method::GET, "/people", &token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [ADA, BOB], "active people only, by email");
    assert_eq!(people[1]["role"], "product_owner");
    let everyone = storage.people(Some("alpha")).await.unwrap();
    assert_eq!(everyone.len(), 3);
    // What the database holds: hashes only.
    let dump = support::dump(&app.database, "SELECT password_hash FROM people").await;
    assert!(dump.iter().all(|h| h.starts_with("$argon2id$")), "{dump:?}");
    assert!(!dump.iter().any(|h| h.contains(&password)));
    let tokens = support::dump(&app.database, "SELECT token_hash FROM tokens").await;
    assert!(
        !tokens.iter().any(|h| h.contains(&token[4..])),
        "{tokens:?}"
    );
}

support::on_both_backends!(
    signing_in_opens_the_tenant_as_that_person,
    a_wrong_password_and_an_unknown_email_get_the_same_answer,
    failed_sign_ins_are_limited_per_account,
    an_expired_session_opens_nothing,
    a_signed_out_session_opens_nothing,
    a_disabled_person_opens_nothing,
    no_token_and_an_unknown_one_open_nothing,
    nobody_writes_as_someone_else,
    a_developer_changes_only_their_own_applications,
    a_product_owner_reads_everything_and_changes_nothing,
    an_admin_changes_any_application,
    an_application_goes_only_to_someone_of_the_workspace,
    a_person_never_writes_a_process_event,
    personal_tokens_are_shown_once_work_and_can_be_revoked,
    the_tenant_lists_its_active_people_and_keeps_no_secret_in_clear,
);
