//! People and tokens in either database. Each query is written once: the
//! `on_pool!` macro runs the same code over SQLite's or PostgreSQL's pool,
//! and placeholders are numbered in the order they first appear, which both
//! read alike.

use super::Storage;
use crate::people::{Person, TokenInfo, TokenKind};
use chrono::{DateTime, Utc};
use portal_domain::Role;
use sqlx::Row;
use uuid::Uuid;

/// A person to add.
pub struct NewPerson<'a> {
    pub tenant: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0} already has an account")]
    Exists(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A token as a request presents it, with its person.
pub struct Presented {
    pub person: Person,
    pub kind: TokenKind,
    pub token_id: String,
    pub token_hash: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const PERSON: &str = "id, tenant, email, display_name, role, disabled_at IS NOT NULL";

fn person(row: &impl PersonRow) -> Person {
    Person {
        id: row.text(0),
        tenant: row.text(1),
        email: row.text(2),
        display_name: row.text(3),
        role: Role::parse(&row.text(4)).unwrap_or(Role::Developer),
        disabled: row.flag(5),
    }
}

/// What `person` reads of a row, whichever database it came from.
trait PersonRow {
    fn text(&self, i: usize) -> String;
    fn flag(&self, i: usize) -> bool;
}

impl PersonRow for sqlx::sqlite::SqliteRow {
    fn text(&self, i: usize) -> String {
        self.get(i)
    }
    fn flag(&self, i: usize) -> bool {
        self.get(i)
    }
}

impl PersonRow for sqlx::postgres::PgRow {
    fn text(&self, i: usize) -> String {
        self.get(i)
    }
    fn flag(&self, i: usize) -> bool {
        self.get(i)
    }
}

fn kind_of(raw: &str) -> TokenKind {
    if raw == TokenKind::Personal.as_str() {
        TokenKind::Personal
    } else {
        TokenKind::Session
    }
}

impl Storage {
    pub async fn add_person(&self, new: &NewPerson<'_>) -> Result<Person, AddError> {
        let id = Uuid::now_v7().to_string();
        let now = Utc::now();
        let sql =
            "INSERT INTO people (id, tenant, email, display_name, role, password_hash, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let done = on_pool!(self, write, |pool| sqlx::query(sql)
            .bind(&id)
            .bind(new.tenant)
            .bind(new.email)
            .bind(new.display_name)
            .bind(new.role.as_str())
            .bind(new.password_hash)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()));
        match done {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AddError::Exists(new.email.to_owned()))
            }
            other => other?,
        }
        Ok(Person {
            id,
            tenant: new.tenant.to_owned(),
            email: new.email.to_owned(),
            display_name: new.display_name.to_owned(),
            role: new.role,
            disabled: false,
        })
    }

    /// Everyone, or everyone of `tenant`, by tenant and email.
    pub async fn people(&self, tenant: Option<&str>) -> Result<Vec<Person>, sqlx::Error> {
        let sql = match tenant {
            Some(_) => format!("SELECT {PERSON} FROM people WHERE tenant = $1 ORDER BY email"),
            None => format!("SELECT {PERSON} FROM people ORDER BY tenant, email"),
        };
        on_pool!(self, read, |pool| {
            let mut query = sqlx::query(&sql);
            if let Some(tenant) = tenant {
                query = query.bind(tenant);
            }
            let rows = query.fetch_all(pool).await?;
            Ok(rows.iter().map(person).collect())
        })
    }

    /// Disables `email`'s account: its tokens open nothing from now on.
    /// Whether there was an active account to disable.
    pub async fn disable_person(&self, email: &str) -> Result<bool, sqlx::Error> {
        let sql = "UPDATE people SET disabled_at = $1 WHERE email = $2 AND disabled_at IS NULL";
        on_pool!(self, write, |pool| {
            let done = sqlx::query(sql)
                .bind(Utc::now())
                .bind(email)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// The person `email` names and their password hash, to sign in.
    pub async fn person_to_sign_in(
        &self,
        email: &str,
    ) -> Result<Option<(Person, String)>, sqlx::Error> {
        let sql = format!("SELECT {PERSON}, password_hash FROM people WHERE email = $1");
        on_pool!(self, read, |pool| {
            let row = sqlx::query(&sql).bind(email).fetch_optional(pool).await?;
            Ok(row.map(|row| (person(&row), row.get(6))))
        })
    }

    pub async fn add_token(
        &self,
        person_id: &str,
        kind: TokenKind,
        name: &str,
        token_hash: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<TokenInfo, sqlx::Error> {
        let id = Uuid::now_v7().to_string();
        let now = Utc::now();
        let sql =
            "INSERT INTO tokens (token_hash, id, person_id, kind, name, created_at, expires_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_pool!(self, write, |pool| sqlx::query(sql)
            .bind(token_hash)
            .bind(&id)
            .bind(person_id)
            .bind(kind.as_str())
            .bind(name)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(TokenInfo {
            id,
            name: name.to_owned(),
            created_at: now,
        })
    }

    /// The token stored under `token_hash`, with its person.
    pub async fn presented(&self, token_hash: &str) -> Result<Option<Presented>, sqlx::Error> {
        let sql =
            "SELECT p.id, p.tenant, p.email, p.display_name, p.role, p.disabled_at IS NOT NULL,
                          t.kind, t.id, t.token_hash, t.expires_at, t.revoked_at
                   FROM tokens t JOIN people p ON p.id = t.person_id WHERE t.token_hash = $1";
        on_pool!(self, read, |pool| {
            let row = sqlx::query(sql)
                .bind(token_hash)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|row| Presented {
                person: person(&row),
                kind: kind_of(row.get::<&str, _>(6)),
                token_id: row.get(7),
                token_hash: row.get(8),
                expires_at: row.get(9),
                revoked_at: row.get(10),
            }))
        })
    }

    /// Revokes `person_id`'s token `token_id`. Whether it was theirs and live.
    pub async fn revoke_token(&self, person_id: &str, token_id: &str) -> Result<bool, sqlx::Error> {
        let sql = "UPDATE tokens SET revoked_at = $1
                   WHERE person_id = $2 AND id = $3 AND revoked_at IS NULL";
        on_pool!(self, write, |pool| {
            let done = sqlx::query(sql)
                .bind(Utc::now())
                .bind(person_id)
                .bind(token_id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// `person_id`'s personal access tokens that still open the tenant.
    pub async fn personal_tokens(&self, person_id: &str) -> Result<Vec<TokenInfo>, sqlx::Error> {
        let sql = "SELECT id, name, created_at FROM tokens
                   WHERE person_id = $1 AND kind = 'personal' AND revoked_at IS NULL
                   ORDER BY created_at";
        on_pool!(self, read, |pool| {
            let rows = sqlx::query(sql).bind(person_id).fetch_all(pool).await?;
            Ok(rows
                .iter()
                .map(|row| TokenInfo {
                    id: row.get(0),
                    name: row.get(1),
                    created_at: row.get(2),
                })
                .collect())
        })
    }
}
