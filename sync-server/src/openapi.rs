//! The OpenAPI document, generated from the handlers' annotations and the wire types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::{account, auth, blobs, meta, oidc, orgs, pages, share, sync};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "RevLens sync server",
        description = "Orgs, roles, invitations, share links, audit log, change feed and blobs. \
                       Errors are `{\"error\": {\"code\", \"message\"}}`. Routes that send mail \
                       (password reset, email change) answer `503 mail_not_configured` when the \
                       server has no `[smtp]` settings."
    ),
    paths(
        meta::healthz, meta::metrics, meta::openapi,
        auth::setup, auth::login, auth::refresh, auth::logout, auth::me, auth::update_me,
        auth::change_password,
        oidc::start, oidc::callback, oidc::token,
        account::request_password_reset, account::confirm_password_reset,
        account::request_email_change, account::confirm_email_change,
        pages::reset_password, pages::confirm_email,
        orgs::list_members, orgs::change_role, orgs::remove_member, orgs::create_invitation, orgs::list_invitations, orgs::revoke_invitation,
        orgs::accept_invitation, orgs::audit,
        sync::push, sync::pull,
        blobs::put_blob, blobs::get_blob, blobs::head_blob,
        blobs::create_upload, blobs::get_upload, blobs::put_chunk, blobs::complete_upload, blobs::delete_upload,
        share::create_share_link, share::list_share_links, share::revoke_share_link, share::open_share_link, share::shared_object,
    ),
    components(schemas(revlens_sync::OidcTokenRequest, revlens_sync::ErrorBody, revlens_sync::ErrorDetail, revlens_sync::Mutation, revlens_sync::Change)),
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
