//! The OpenAPI document, generated from the handlers' annotations and the wire types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::{auth, blobs, meta, orgs, share, sync};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "RevLens sync server",
        description = "Orgs, roles, invitations, share links, audit log, change feed and blobs. \
                       Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        meta::healthz, meta::metrics, meta::openapi,
        auth::setup, auth::login, auth::refresh, auth::logout, auth::me, auth::update_me,
        auth::change_password,
        orgs::list_members, orgs::create_invitation, orgs::list_invitations, orgs::revoke_invitation,
        orgs::accept_invitation, orgs::audit,
        sync::push, sync::pull,
        blobs::put_blob, blobs::get_blob,
        share::create_share_link, share::list_share_links, share::revoke_share_link, share::open_share_link,
    ),
    components(schemas(revlens_sync::ErrorBody, revlens_sync::ErrorDetail, revlens_sync::Mutation, revlens_sync::Change)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
