//! Black-box tests of the sync server: each test starts the real server on a random port with a
//! fresh data directory and speaks HTTP to it.
#![allow(clippy::unwrap_used)]

mod audit;
mod auth;
mod blobs;
mod cli;
mod convergence;
mod health;
mod helpers;
mod invitations;
mod roles;
mod share;
mod sync;
mod tenancy;
