//! `portal-server users …`, the real binary on a fresh SQLite file: people
//! added with a password from stdin sign in over HTTP; a disabled one no
//! longer does; the first admin is made once and its password kept.

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::binary::{free_port, start, until_healthy};

fn users(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .arg("users")
        .args(args)
        .args(["--data-dir", data.to_str().unwrap()])
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn sign_in(base: &str, email: &str, password: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn people_added_on_the_command_line_sign_in_until_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let add = |email: &str, role: &str, password: &str| {
        users(
            data,
            &[
                "add", "--tenant", "acme", "--email", email, "--role", role, "--name", "Ada L",
            ],
            &format!("{password}\n"),
        )
    };
    let added = add("Ada@Example.com", "developer", "a long enough password");
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains("added ada@example.com (Ada L, Developer) to acme"));
    // Refused with a reason, and nothing added: a taken email, a short
    // password, a role that is none.
    for (email, role, password, why) in [
        (
            "ada@example.com",
            "developer",
            "a long enough password",
            "already has an account",
        ),
        (
            "bob@example.com",
            "developer",
            "short",
            "at least 10 characters",
        ),
        (
            "bob@example.com",
            "owner",
            "a long enough password",
            "is no role",
        ),
        (
            "not an email",
            "developer",
            "a long enough password",
            "not an email",
        ),
    ] {
        let refused = add(email, role, password);
        assert!(!refused.status.success());
        assert!(text(&refused).contains(why), "{}", text(&refused));
    }
    let list = users(data, &["list"], "");
    assert!(list.status.success());
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert_eq!(listed.lines().count(), 2, "a header and ada: {listed}");
    assert!(listed.contains("acme\tada@example.com\tAda L\tdeveloper\tactive"));

    let database = portal_server::storage::Database::Sqlite(data.join("portal.sqlite3"));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database, port, "machine-token-1", "acme");
    until_healthy(&reqwest::Client::new(), &base).await;
    let (status, reply) = sign_in(&base, "ada@example.com", "a long enough password").await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["person"]["tenant"], "acme");

    let disabled = users(data, &["disable", "--email", "ADA@example.com"], "");
    assert!(disabled.status.success(), "{}", text(&disabled));
    let (status, reply) = sign_in(&base, "ada@example.com", "a long enough password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply["code"], "account_disabled");
    assert!(!users(data, &["disable", "--email", "ada@example.com"], "")
        .status
        .success());
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn the_first_admin_is_made_once_and_its_password_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let first = users(data, &["first-admin"], "");
    assert!(first.status.success(), "{}", text(&first));
    let said = text(&first);
    let password = said
        .split("with the password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the password is printed")
        .to_owned();
    assert!(password.len() >= 16, "{said}");
    let kept = std::fs::read_to_string(data.join("initial-admin-password")).unwrap();
    assert_eq!(kept.trim(), password);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("initial-admin-password"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
    // Run again, it makes nobody new and says how to sign in.
    let again = users(data, &["first-admin"], "");
    assert!(text(&again).contains(&format!("admin@localhost with the password {password}")));
    let list = users(data, &["list", "--tenant", "local"], "");
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains("local\tadmin@localhost\tAdmin\tadmin\tactive"));

    let database = portal_server::storage::Database::Sqlite(data.join("portal.sqlite3"));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database, port, "machine-token-1", "local");
    until_healthy(&reqwest::Client::new(), &base).await;
    let (status, reply) = sign_in(&base, "admin@localhost", &password).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["person"]["role"], "admin");
    server.kill().unwrap();
    server.wait().unwrap();
}
