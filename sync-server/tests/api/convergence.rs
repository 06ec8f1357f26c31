//! Several clients edit offline and sync in a pseudo-random order (fixed seeds) through the
//! real client (`revlens_sync::client`). Checked: every client converges to the same state, no
//! mutation is applied twice, every conflict leaves its copy, cookies never go back, and a client
//! reads its own writes.

use std::collections::{BTreeMap, HashMap};

use revlens_sync::client::SyncClient;
use revlens_sync::{Change, Mutation, MutationResult, SyncKind};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, PASSWORD};

/// A tiny deterministic generator (64-bit LCG), so a failing seed replays.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

struct Replica {
    client: SyncClient,
    client_id: String,
    org: String,
    cookie: u64,
    /// The server state as this replica last pulled it: (kind, id) → change.
    confirmed: BTreeMap<(SyncKind, String), Change>,
    pending: Vec<Mutation>,
    next_mutation_id: u64,
}

impl Replica {
    fn view(&self, id: &str) -> (u64, Value) {
        let confirmed = self.confirmed.get(&(SyncKind::Dashboard, id.to_owned()));
        let mut body = confirmed.and_then(|c| c.body.clone()).unwrap_or_else(|| json!({}));
        for m in self.pending.iter().filter(|m| m.id == id) {
            if let Some(b) = &m.body {
                body = b.clone();
            }
        }
        (confirmed.map_or(0, |c| c.rev), body)
    }

    fn edit(&mut self, id: &str, field: &str, value: &str) {
        let (base_rev, mut body) = self.view(id);
        body[field] = Value::from(value);
        self.next_mutation_id += 1;
        self.pending.push(Mutation::put(self.next_mutation_id, SyncKind::Dashboard, id, base_rev, body));
    }

    async fn push(&mut self, outcomes: &mut HashMap<(String, u64), Vec<MutationResult>>) {
        if self.pending.is_empty() {
            return;
        }
        let response = self.client.push(&self.org, &self.client_id, &self.pending).await.unwrap();
        for result in response.results {
            outcomes.entry((self.client_id.clone(), result.mutation_id())).or_default().push(result);
        }
    }

    async fn pull(&mut self) {
        loop {
            let page = self.client.pull(&self.org, &self.client_id, self.cookie).await.unwrap();
            assert!(page.cookie >= self.cookie, "monotonic reads");
            self.cookie = page.cookie;
            for change in page.changes {
                self.confirmed.insert((change.kind, change.id.clone()), change);
            }
            self.pending.retain(|m| m.mutation_id > page.last_mutation_id);
            if !page.has_more {
                break;
            }
        }
    }
}

async fn replicas(app: &TestApp, n: usize) -> Vec<Replica> {
    let owner = app.owner("owner@example.com", "Acme").await;
    let mut out = Vec::new();
    for i in 0..n {
        let email = if i == 0 {
            owner.email.clone()
        } else {
            app.member(&owner, &format!("u{i}@example.com"), "analyst").await.email
        };
        let mut client = SyncClient::new(app.address.clone());
        client.login(&email, PASSWORD).await.unwrap();
        out.push(Replica {
            client,
            client_id: format!("device-{i}"),
            org: owner.org_id.clone(),
            cookie: 0,
            confirmed: BTreeMap::new(),
            pending: Vec::new(),
            next_mutation_id: 0,
        });
    }
    out
}

#[tokio::test]
async fn clients_converge_under_random_interleavings() {
    let (mut conflicts, mut merges) = (0, 0);
    for seed in [1_u64, 7, 42] {
        let app = spawn_app().await;
        let mut rng = Lcg(seed);
        let mut replicas = replicas(&app, 3).await;
        let mut outcomes: HashMap<(String, u64), Vec<MutationResult>> = HashMap::new();
        for step in 0..60 {
            let r = rng.below(3) as usize;
            match rng.below(10) {
                0..=5 => {
                    let id = format!("d{}", rng.below(3));
                    let field = ["title", "range", "chart"][rng.below(3) as usize];
                    replicas[r].edit(&id, field, &format!("s{seed}-r{r}-{step}"));
                }
                6 | 7 => replicas[r].push(&mut outcomes).await,
                // A push whose answer is lost: the retry must be harmless.
                8 => {
                    let pending = replicas[r].pending.clone();
                    if !pending.is_empty() {
                        let rep = &replicas[r];
                        rep.client
                            .push(&rep.org, &rep.client_id, &pending)
                            .await
                            .unwrap()
                            .results
                            .into_iter()
                            .for_each(|res| {
                                outcomes.entry((rep.client_id.clone(), res.mutation_id())).or_default().push(res);
                            });
                    }
                }
                _ => replicas[r].pull().await,
            }
        }
        for replica in &mut replicas {
            replica.push(&mut outcomes).await;
        }
        for replica in &mut replicas {
            replica.pull().await;
            assert!(replica.pending.is_empty(), "every mutation acknowledged");
        }

        // Each mutation took effect exactly once; retries only ever answer already_applied.
        for (key, results) in &outcomes {
            let effective: Vec<_> =
                results.iter().filter(|r| !matches!(r, MutationResult::AlreadyApplied { .. })).collect();
            assert_eq!(effective.len(), 1, "seed {seed}: {key:?} took effect {} times: {results:?}", effective.len());
        }
        // Every conflict left its copy, with the client's body, pointing at the original.
        let state = &replicas[0].confirmed;
        for results in outcomes.values() {
            for result in results {
                if let MutationResult::Conflict { conflict_copy_id: Some(copy), server, .. } = result {
                    let kept = state.get(&(SyncKind::Dashboard, copy.clone())).unwrap();
                    assert_eq!(kept.conflict_of.as_deref(), server.as_ref().map(|s| s.id.as_str()));
                }
            }
        }
        for result in outcomes.values().flatten() {
            match result {
                MutationResult::Conflict { .. } => conflicts += 1,
                MutationResult::Applied { merged: true, .. } => merges += 1,
                _ => {}
            }
        }
        // Convergence.
        for replica in &replicas[1..] {
            assert_eq!(replica.confirmed, *state, "seed {seed}: replicas diverge");
            assert_eq!(replica.cookie, replicas[0].cookie);
        }
        // Read-your-writes: an applied edit's revision is visible to its author.
        for replica in &replicas {
            for ((client_id, _), results) in &outcomes {
                if *client_id != replica.client_id {
                    continue;
                }
                for result in results {
                    if let MutationResult::Applied { rev, .. } = result {
                        assert!(replica.confirmed.values().any(|c| c.rev >= *rev));
                    }
                }
            }
        }
    }
    println!("{conflicts} conflicts, {merges} merges");
    assert!(conflicts > 0 && merges > 0, "the seeds exercise both ({conflicts} conflicts, {merges} merges)");
}

#[tokio::test]
async fn the_client_signs_in_refreshes_and_moves_blobs() {
    let app = spawn_app().await;
    app.owner("ann@example.com", "Acme").await;
    let mut client = SyncClient::new(app.address.clone());
    assert!(client.me().await.is_err());
    client.login("ann@example.com", PASSWORD).await.unwrap();
    let org = client.me().await.unwrap().orgs[0].id.clone();
    client.refresh().await.unwrap();
    let bytes = b"blob bytes".to_vec();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert!(client.put_blob(&org, &sha, bytes.clone()).await.unwrap().created);
    assert_eq!(client.get_blob(&org, &sha).await.unwrap(), bytes);
    let err = client.put_blob(&org, &sha, b"other".to_vec()).await.unwrap_err();
    assert_eq!(err.code(), Some("hash_mismatch"));
    client.logout().await.unwrap();
    assert!(client.tokens().is_none());
}
