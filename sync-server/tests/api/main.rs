//! Black-box tests of the sync server: each test starts the real server on a random port with a
//! fresh data directory and speaks HTTP to it. This binary runs them on SQLite; `api_postgres`
//! runs the same modules on PostgreSQL.
#![allow(clippy::unwrap_used)]

/// The backend `helpers::spawn_app` gives each test.
const BACKEND: helpers::Backend = helpers::Backend::Sqlite;

mod account;
mod audit;
mod auth;
mod blobs;
mod cli;
mod convergence;
mod edge;
mod health;
mod helpers;
mod invitations;
mod moto_server;
mod oidc;
mod pg_server;
mod roles;
mod s3;
mod share;
mod sync;
mod tenancy;
