//! The change feed, in the manner of Replicache.
//!
//! A client keeps an ordered log of [`Mutation`]s, numbered by `mutation_id` (strictly
//! increasing per `client_id`). `push` sends the pending ones; the server applies them in order,
//! skips the ones it has already applied, and bumps the org's version once per change. `pull`
//! sends the last version the client saw (its cookie) and receives every object changed since,
//! paged, with the last mutation id the server applied for that client: the client drops the
//! acknowledged mutations and replays the rest on top.
//!
//! A mutation names the revision it was made on (`base_rev`). When that revision is stale, the
//! server merges edits to disjoint top-level JSON fields; otherwise it keeps both versions (the
//! client's becomes a conflicted copy) and says so in the [`MutationResult`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of object that sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    Dashboard,
    Template,
    Scenario,
    /// A column mapping.
    Mapping,
    /// Dataset metadata; its files travel as blobs.
    Dataset,
}

impl SyncKind {
    pub const ALL: [SyncKind; 5] =
        [SyncKind::Dashboard, SyncKind::Template, SyncKind::Scenario, SyncKind::Mapping, SyncKind::Dataset];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Dashboard => "dashboard",
            SyncKind::Template => "template",
            SyncKind::Scenario => "scenario",
            SyncKind::Mapping => "mapping",
            SyncKind::Dataset => "dataset",
        }
    }
}

impl fmt::Display for SyncKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind name that is not one of the synced kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown kind {:?} (expected dashboard, template, scenario, mapping or dataset)", self.0)
    }
}

impl std::error::Error for UnknownKind {}

impl FromStr for SyncKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SyncKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// One edit in a client's log: the new body of an object, or its deletion.
///
/// On the wire exactly one of `body` and `deleted: true` is present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mutation {
    /// Strictly increasing per client; the server applies each one once.
    pub mutation_id: u64,
    pub kind: SyncKind,
    /// The object's id, chosen by the client (a UUID in practice).
    pub id: String,
    /// The revision this edit was made on; 0 for a new object.
    #[serde(default)]
    pub base_rev: u64,
    /// The object's new JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// What a [`Mutation`] does, once checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MutationOp<'a> {
    Put(&'a Value),
    Delete,
}

impl Mutation {
    /// A mutation that creates or replaces an object.
    pub fn put(mutation_id: u64, kind: SyncKind, id: impl Into<String>, base_rev: u64, body: Value) -> Self {
        Self { mutation_id, kind, id: id.into(), base_rev, body: Some(body), deleted: false }
    }

    /// A mutation that deletes an object.
    pub fn delete(mutation_id: u64, kind: SyncKind, id: impl Into<String>, base_rev: u64) -> Self {
        Self { mutation_id, kind, id: id.into(), base_rev, body: None, deleted: true }
    }

    /// The operation, or why the mutation is malformed (both or neither of `body` and `deleted`).
    pub fn op(&self) -> Result<MutationOp<'_>, &'static str> {
        match (&self.body, self.deleted) {
            (Some(body), false) => Ok(MutationOp::Put(body)),
            (None, true) => Ok(MutationOp::Delete),
            (Some(_), true) => Err("a mutation has either a body or deleted: true, not both"),
            (None, false) => Err("a mutation needs a body or deleted: true"),
        }
    }
}

/// `POST /v1/orgs/{org}/push`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub client_id: String,
    pub mutations: Vec<Mutation>,
}

/// The outcome of one pushed mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MutationResult {
    /// The edit is in; `rev` is the object's new revision. `merged` is true when `base_rev`
    /// was stale and the edit was merged with disjoint edits made meanwhile.
    Applied { mutation_id: u64, rev: u64, merged: bool },
    /// `base_rev` was stale and the edits overlap. The server's version stands (`server`, absent
    /// when the object never existed on the server); the client's edit is kept as a conflicted
    /// copy, `conflict_copy_id`, when it had a body.
    Conflict { mutation_id: u64, server: Option<Change>, conflict_copy_id: Option<String> },
    /// The server had already applied this mutation id for this client; nothing changed.
    AlreadyApplied { mutation_id: u64 },
}

impl MutationResult {
    pub fn mutation_id(&self) -> u64 {
        match self {
            MutationResult::Applied { mutation_id, .. }
            | MutationResult::Conflict { mutation_id, .. }
            | MutationResult::AlreadyApplied { mutation_id } => *mutation_id,
        }
    }
}

/// The answer to [`PushRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
    /// The last mutation id the server has applied for this client.
    pub last_mutation_id: u64,
}

/// The current state of one object, as pull returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub kind: SyncKind,
    pub id: String,
    /// The object's revision (1 for a new object, +1 per change).
    pub rev: u64,
    /// The org version at which this change happened; pull's cookie is the highest one seen.
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Set on a conflicted copy: the id of the object it conflicts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict_of: Option<String>,
}

/// `GET /v1/orgs/{org}/pull?cookie=N&client_id=C`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullResponse {
    /// Send this as the next pull's cookie. Never lower than the one sent.
    pub cookie: u64,
    /// The last mutation id the server applied for `client_id` (0 when none).
    pub last_mutation_id: u64,
    pub changes: Vec<Change>,
    /// More changes wait: pull again with the new cookie.
    pub has_more: bool,
}

/// The answer to `PUT /v1/orgs/{org}/blobs/{sha256}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlobStored {
    pub sha256: String,
    pub size: u64,
    /// False when the org already had this blob (uploads are deduplicated).
    pub created: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mutation_wire_shape() {
        let put = Mutation::put(1, SyncKind::Dashboard, "d1", 0, json!({"title": "MRR"}));
        assert_eq!(
            serde_json::to_value(&put).ok(),
            Some(json!({"mutation_id": 1, "kind": "dashboard", "id": "d1", "base_rev": 0, "body": {"title": "MRR"}}))
        );
        let del = Mutation::delete(2, SyncKind::Mapping, "m1", 3);
        assert_eq!(
            serde_json::to_value(&del).ok(),
            Some(json!({"mutation_id": 2, "kind": "mapping", "id": "m1", "base_rev": 3, "deleted": true}))
        );
        assert_eq!(del.op(), Ok(MutationOp::Delete));
    }

    #[test]
    fn malformed_mutations_are_refused() {
        let mut both = Mutation::put(1, SyncKind::Scenario, "s", 0, json!({}));
        both.deleted = true;
        assert!(both.op().is_err());
        let neither: Mutation =
            serde_json::from_value(json!({"mutation_id": 1, "kind": "scenario", "id": "s"})).unwrap_or(both);
        assert!(neither.op().is_err());
    }

    #[test]
    fn results_are_tagged_by_status() {
        let r = MutationResult::Applied { mutation_id: 4, rev: 2, merged: false };
        assert_eq!(
            serde_json::to_value(&r).ok(),
            Some(json!({"status": "applied", "mutation_id": 4, "rev": 2, "merged": false}))
        );
        assert_eq!(r.mutation_id(), 4);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in SyncKind::ALL {
            assert_eq!(kind.as_str().parse::<SyncKind>(), Ok(kind));
        }
        assert!("invoice".parse::<SyncKind>().is_err());
    }
}
