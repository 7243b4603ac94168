//! The current state for other services, in the seed's words the backend
//! that serves it: `GET /api/v1/applications` (paged, filtered) and
//! `GET /api/v1/applications/{id}`, computed on the tenant's thread from
//! the same projections the browser folds, at the head of the log.

use crate::api::ServerState;
use crate::auth::Tenant;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use portal_domain::{AppId, Owner, Plan, Portal, ProductName};
use portal_sync::problem::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The most applications one page holds.
pub const MAX_APPLICATIONS: usize = 500;

/// A credential, without its secret (the log never holds it).
#[derive(Serialize, ToSchema)]
pub struct CredentialView {
    #[schema(format = Uuid)]
    id: String,
    /// The key's first characters, to recognise it.
    prefix: String,
    /// `active`, `revoked` or `expired`, now.
    status: &'static str,
    expires_at: DateTime<Utc>,
}

/// An application as it stands at the head of the log.
#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    #[schema(format = Uuid)]
    id: String,
    name: String,
    owner: String,
    /// `free` or `paid`.
    plan: &'static str,
    products: Vec<String>,
    /// `active` or `deleted`.
    status: &'static str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    credentials: Vec<CredentialView>,
}

/// A page of applications, in the order of their ids.
#[derive(Serialize, ToSchema)]
pub struct ApplicationsPage {
    applications: Vec<ApplicationView>,
    /// The id to ask for the next page after; absent on the last page.
    #[schema(format = Uuid)]
    next: Option<String>,
    /// How many events of the log the page reflects.
    position: u64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationsQuery {
    /// Only this owner's.
    owner: Option<String>,
    /// Only those using this API product.
    product: Option<String>,
    /// `free` or `paid`.
    plan: Option<String>,
    /// `active` (the default), `deleted` or `any`.
    status: Option<String>,
    /// The page after this application id (a page's `next`).
    #[param(format = Uuid)]
    after: Option<String>,
    /// The most applications to return.
    #[param(minimum = 1, maximum = 500, default = 100)]
    limit: Option<usize>,
}

/// What a page asks for, checked.
struct Filter {
    owner: Option<Owner>,
    product: Option<ProductName>,
    plan: Option<Plan>,
    /// `None`: active and deleted.
    deleted: Option<bool>,
    after: Option<uuid::Uuid>,
    limit: usize,
}

fn bad(why: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, why)
}

impl Filter {
    fn of(query: ApplicationsQuery) -> Result<Self, ApiError> {
        let nonempty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Ok(Filter {
            owner: nonempty(query.owner)
                .map(|o| Owner::parse(&o).map_err(|e| bad(format!("owner: {e}"))))
                .transpose()?,
            product: nonempty(query.product)
                .map(|p| ProductName::parse(&p).map_err(|e| bad(format!("product: {e}"))))
                .transpose()?,
            plan: match nonempty(query.plan).as_deref() {
                None => None,
                Some("free") => Some(Plan::Free),
                Some("paid") => Some(Plan::Paid),
                Some(other) => return Err(bad(format!("plan: free or paid, not {other}"))),
            },
            deleted: match nonempty(query.status).as_deref() {
                None | Some("active") => Some(false),
                Some("deleted") => Some(true),
                Some("any") => None,
                Some(other) => {
                    return Err(bad(format!("status: active, deleted or any, not {other}")))
                }
            },
            // A place in the order of ids: present, it must be one.
            after: query
                .after
                .map(|a| {
                    a.trim()
                        .parse()
                        .map_err(|_| bad("after: an application id".into()))
                })
                .transpose()?,
            limit: match query.limit {
                None => 100,
                Some(n) if (1..=MAX_APPLICATIONS).contains(&n) => n,
                Some(n) => {
                    return Err(bad(format!("limit: from 1 to {MAX_APPLICATIONS}, not {n}")))
                }
            },
        })
    }

    fn page(&self, portal: &Portal, now: DateTime<Utc>) -> ApplicationsPage {
        let mut ids: Vec<AppId> = portal
            .apps()
            .filter(|a| self.deleted.is_none_or(|d| a.is_deleted() == d))
            .filter(|a| self.owner.as_ref().is_none_or(|o| a.record.owner == *o))
            .filter(|a| self.plan.is_none_or(|p| a.record.plan == p))
            .filter(|a| {
                self.product
                    .as_ref()
                    .is_none_or(|p| a.record.products.contains(p))
            })
            .map(|a| a.id())
            .filter(|id| self.after.is_none_or(|after| id.0 > after))
            .collect();
        ids.sort_unstable_by_key(|id| id.0);
        let more = ids.len() > self.limit;
        ids.truncate(self.limit);
        ApplicationsPage {
            next: more
                .then(|| ids.last().map(|id| id.0.to_string()))
                .flatten(),
            applications: ids.iter().filter_map(|id| view(portal, *id, now)).collect(),
            position: portal.position(),
        }
    }
}

fn view(portal: &Portal, id: AppId, now: DateTime<Utc>) -> Option<ApplicationView> {
    let app = portal.app(id)?;
    let record = app.record;
    Some(ApplicationView {
        id: id.0.to_string(),
        name: record.name.to_string(),
        owner: record.owner.to_string(),
        plan: record.plan.label(),
        products: record.products.iter().map(|p| p.to_string()).collect(),
        status: if app.is_deleted() {
            "deleted"
        } else {
            "active"
        },
        created_at: record.created_at,
        updated_at: record.updated_at,
        credentials: app
            .credentials()
            .map(|c| CredentialView {
                id: c.record.id.0.to_string(),
                prefix: c.record.key.prefix().to_owned(),
                status: c.status_at(now).label(),
                expires_at: c.record.expires_at,
            })
            .collect(),
    })
}

fn unreadable(e: crate::judge::Refusal) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::StoredEventUnreadable,
        e.to_string(),
    )
}

/// The tenant's applications as they stand, a page at a time
#[utoipa::path(
    get,
    path = "/applications",
    params(ApplicationsQuery),
    responses(
        (status = 200, description = "A page of applications, by id", body = ApplicationsPage),
        (status = 400, description = "A filter that is not one", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Over this token's rate limit", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "The log could not be read", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<ServerState>,
    tenant: Tenant,
    query: Result<Query<ApplicationsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ApplicationsPage>, ApiError> {
    let Query(query) = query.map_err(|e| bad(e.body_text()))?;
    let filter = Filter::of(query)?;
    let now = state.judges.now();
    let page = state
        .judges
        .read(&tenant.0, move |portal| filter.page(portal, now))
        .await
        .map_err(unreadable)?;
    Ok(Json(page))
}

/// One application as it stands
#[utoipa::path(
    get,
    path = "/applications/{id}",
    params(("id" = String, Path, format = Uuid, description = "The application's id")),
    responses(
        (status = 200, description = "The application", body = ApplicationView),
        (status = 400, description = "Not an application id", body = ErrorBody, content_type = "application/problem+json"),
        (status = 401, description = "No token, or one that opens no tenant", body = ErrorBody, content_type = "application/problem+json"),
        (status = 404, description = "No application of this workspace has this id", body = ErrorBody, content_type = "application/problem+json"),
        (status = 429, description = "Over this token's rate limit", body = ErrorBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "The log could not be read", body = ErrorBody, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<ServerState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = AppId(
        id.parse()
            .map_err(|_| bad(format!("{id} is not an application id")))?,
    );
    let now = state.judges.now();
    state
        .judges
        .read(&tenant.0, move |portal| view(portal, id, now))
        .await
        .map_err(unreadable)?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("no application of this workspace has the id {}", id.0),
            )
        })
}
