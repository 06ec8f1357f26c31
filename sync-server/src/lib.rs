//! The RevLens sync server: orgs, users and roles, invitations, sessions, share links, an
//! audit log, the change feed (push/pull) and content-addressed blobs, over HTTP + JSON.
//!
//! How the process is built ([`configuration`], [`startup`], [`telemetry`]) is apart from what
//! it does ([`http`] and the modules it uses). The permission matrix is [`authz`].

pub mod admin;
pub mod audit;
pub mod authz;
pub mod blobs;
pub mod configuration;
pub mod db;
pub mod http;
pub mod limiter;
pub mod mail;
pub mod merge;
pub mod metrics;
pub mod openapi;
pub mod security;
pub mod share_page;
pub mod startup;
pub mod telemetry;
pub mod time;
