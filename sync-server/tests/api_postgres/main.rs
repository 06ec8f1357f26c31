//! The black-box tests of `tests/api` on PostgreSQL: the same modules, each test on a fresh
//! database of the test PostgreSQL server (see `pg_server`), plus what only PostgreSQL allows:
//! several server instances on one database (`instances`).
#![allow(clippy::unwrap_used)]

/// The backend `helpers::spawn_app` gives each test.
const BACKEND: helpers::Backend = helpers::Backend::Postgres;

#[path = "../api/account.rs"]
mod account;
#[path = "../api/audit.rs"]
mod audit;
#[path = "../api/auth.rs"]
mod auth;
#[path = "../api/blobs.rs"]
mod blobs;
#[path = "../api/convergence.rs"]
mod convergence;
#[path = "../api/health.rs"]
mod health;
#[path = "../api/helpers.rs"]
mod helpers;
mod instances;
#[path = "../api/invitations.rs"]
mod invitations;
#[path = "../api/moto_server.rs"]
mod moto_server;
#[path = "../api/oidc.rs"]
mod oidc;
#[path = "../api/pg_server.rs"]
mod pg_server;
#[path = "../api/roles.rs"]
mod roles;
#[path = "../api/s3.rs"]
mod s3;
mod schema;
#[path = "../api/share.rs"]
mod share;
#[path = "../api/sync.rs"]
mod sync;
#[path = "../api/tenancy.rs"]
mod tenancy;
