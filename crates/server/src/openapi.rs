//! The API's OpenAPI document, generated from the handlers: each one's
//! `#[utoipa::path]` and the types it reads and answers (`api::routes`
//! registers a handler with the router and the document at once, so no
//! path can be served undocumented, or documented and not served).

use crate::api::{self, ServerState};
use std::sync::OnceLock;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portal Ledger sync API",
        version = "1",
        description = "Each tenant's shared, ordered event log. The tenant comes from the bearer token. Every error is a `Problem` (RFC 9457, `application/problem+json`): a stable `code`, the `detail` for people (repeated in `error`), and for refused commands the `rule`."
    ),
    servers((url = "/api/v1")),
    security(("bearer" = [])),
    modifiers(&Bearer),
    components(schemas(portal_sync::openapi::EnvelopeSchema, portal_sync::problem::ErrorBody))
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, doc) = api::routes(ApiDoc::openapi()).split_for_parts();
        doc.to_pretty_json().unwrap_or_default()
    })
}

/// The routes of `/api/v1` with the document they describe.
pub fn api() -> utoipa_axum::router::OpenApiRouter<ServerState> {
    api::routes(ApiDoc::openapi())
}

/// A binary body, postcard-encoded: a pull page (`portal_sync::page`) or a
/// push batch (`portal_sync::batch`).
pub struct Postcard;

impl PartialSchema for Postcard {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Postcard {}
