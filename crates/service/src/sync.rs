//! Sync with a RevLens sync server, and share links: sign in, push, pull, status, sign out.
//!
//! Each workspace syncs with one org on one server. Local edits of synced kinds (saved column
//! mappings, dashboards, scenarios and datasets) are logged by the store in the transaction of
//! the change; `push` sends the log in order (a dataset's original files go to the org's blob
//! store first) and drops what the server acknowledged; `pull` applies the changes since the
//! cookie, page by page (downloading and importing the datasets' files), and replays the
//! still-pending edits on top (Replicache style).
//! Tokens live only in the OS keychain ([`crate::secrets`]); an expired access token is
//! refreshed once and the call retried.

mod datasets;
mod oidc;

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use revlens_model::{CancelToken, DocumentId};
use revlens_store::{DeferredChange, DocumentKind, RemoteObject, SyncAccount};
use revlens_sync::client::{ClientError, SyncClient};
use revlens_sync::{
    Change, CreateShareLinkRequest, Member, Mutation, MutationResult, Role, ShareLink, ShareLinkCreated, SyncKind,
};
use serde::Serialize;

use crate::secrets::{self, keychain_account};
use crate::{OidcError, Result, Service, ServiceError};

/// Mutations per push request.
const PUSH_BATCH: usize = 200;
/// Pull pages per run before giving up on a server that keeps saying `has_more`.
const MAX_PULL_PAGES: usize = 100_000;
/// Passes over the feed per pull: the one from the cookie, and from version 0 after edits whose
/// push answer was lost (one such pass is the rule; another when this pull acknowledged more).
const MAX_PULL_PASSES: usize = 3;

/// Who to sign in as.
#[derive(Clone, Debug)]
pub struct LoginRequest {
    pub server_url: String,
    pub email: String,
    pub password: String,
    /// The org's id or name; may be left out when the user belongs to one org.
    pub org: Option<String>,
}

/// Who to sign in as with the org's single sign-on (OIDC), in the browser.
#[derive(Clone, Debug)]
pub struct OidcLoginRequest {
    pub server_url: String,
    /// The org's id (the server's OIDC settings are per org id); after the sign-in its name
    /// is accepted too.
    pub org: String,
    /// How long to wait for the browser to come back.
    pub timeout: StdDuration,
}

/// A workspace's sync state, from the local store alone (no network).
#[derive(Clone, Debug, Serialize)]
pub struct SyncStatus {
    pub workspace: String,
    pub signed_in: bool,
    pub server_url: Option<String>,
    pub email: Option<String>,
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    pub client_id: Option<String>,
    /// Local edits the server has not acknowledged yet.
    pub pending: u64,
    /// Changes from the server a pull could not apply yet (retried at the next pull).
    pub not_applied: u64,
    pub cookie: u64,
    pub last_mutation_id: u64,
    pub last_push_at: Option<String>,
    pub last_pull_at: Option<String>,
}

/// What a push did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PushSummary {
    pub sent: u64,
    pub applied: u64,
    pub merged: u64,
    pub conflicts: u64,
    pub already_applied: u64,
    /// Original files of datasets uploaded to the org's blob store (those it lacked).
    pub files_uploaded: u64,
    /// Edits still waiting (none after a complete push).
    pub pending: u64,
}

/// What a pull did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PullSummary {
    pub pages: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Conflicted copies received.
    pub conflicts: u64,
    /// Changes of kinds this version does not sync yet.
    pub skipped: u64,
    pub cookie: u64,
    pub pending: u64,
    /// Dataset changes that could not be applied (file missing on the server, damaged, or not
    /// importable here), with the reason; retried at the next pull. The local store is as if
    /// they had not arrived.
    pub not_applied: Vec<NotApplied>,
}

/// A change a pull could not apply yet, and why.
#[derive(Clone, Debug, Serialize)]
pub struct NotApplied {
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
    pub error: String,
}

impl From<DeferredChange> for NotApplied {
    fn from(d: DeferredChange) -> Self {
        Self { kind: d.kind, id: d.id, name: d.name, error: d.error }
    }
}

/// What a sign-out did.
#[derive(Clone, Debug, Serialize)]
pub struct LogoutSummary {
    /// False when the server could not be told (offline); the local tokens are gone either way.
    pub revoked_on_server: bool,
}

fn to_remote(change: &Change) -> RemoteObject {
    RemoteObject {
        kind: change.kind.as_str().to_owned(),
        id: change.id.clone(),
        rev: change.rev,
        body: change.body.clone(),
        deleted: change.deleted,
        conflict_of: change.conflict_of.clone(),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ServiceError::Invalid(format!("cannot start the network runtime: {e}")))
}

fn normalize_server_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < "http://x".len() {
        return Err(ServiceError::Invalid(format!("'{url}' is not a server URL (expected http(s)://host[:port])")));
    }
    Ok(url.to_owned())
}

/// A signed-in connection to the workspace's server.
struct Session {
    rt: tokio::runtime::Runtime,
    client: SyncClient,
    keychain_account: String,
    account: SyncAccount,
}

impl Session {
    /// Runs a call; on `401 unauthorized` refreshes the tokens once (keeping the new pair in the
    /// keychain at once: refresh tokens are single use) and retries.
    fn call<T, F, Fut>(&mut self, f: F) -> Result<T>
    where
        F: Fn(SyncClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        match self.rt.block_on(f(self.client.clone())) {
            // A HEAD answer has no body to carry the code: its bare 401 means the same.
            Err(error)
                if error.code() == Some("unauthorized")
                    || matches!(error, ClientError::Status { status } if status.as_u16() == 401) =>
            {
                self.refresh()?;
                Ok(self.rt.block_on(f(self.client.clone()))?)
            }
            other => Ok(other?),
        }
    }

    /// New tokens for this session. Refresh tokens are single use and presenting a used one
    /// ends the whole session on the server, so refreshes of an account take turns (across
    /// threads and processes), and a session whose pair another one has already replaced in
    /// the keychain adopts that pair instead of refreshing again (the app's background sync
    /// and a command often expire together).
    fn refresh(&mut self) -> Result<()> {
        let _turn = secrets::refresh_turn(&self.keychain_account)?;
        let held = self.client.tokens().map(|tokens| tokens.refresh_token.clone());
        if let Some(stored) = secrets::load_tokens(&self.keychain_account)? {
            if held.as_ref() != Some(&stored.refresh_token) {
                self.client.set_tokens(Some(stored));
                return Ok(());
            }
        }
        match self.rt.block_on(self.client.refresh()) {
            Ok(()) => {
                if let Some(tokens) = self.client.tokens() {
                    secrets::save_tokens(&self.keychain_account, tokens)?;
                }
                Ok(())
            }
            Err(error) if error.status().is_some_and(|s| s.as_u16() == 401) => {
                Err(ServiceError::NotSignedIn("the session has ended; sign in again with: revlens sync login".into()))
            }
            Err(error) => Err(error.into()),
        }
    }
}

impl Service {
    fn session(&self, workspace: Option<&str>) -> Result<Session> {
        let ws = self.workspace(workspace)?;
        let not_signed_in = || {
            ServiceError::NotSignedIn(format!(
                "workspace '{}' is not signed in to a sync server; run: revlens sync login --server URL --email EMAIL",
                ws.name
            ))
        };
        let account = self.store.sync_account(ws.id)?.ok_or_else(not_signed_in)?;
        let keychain_account = account.keychain_account.clone().ok_or_else(not_signed_in)?;
        let tokens = secrets::load_tokens(&keychain_account)?.ok_or_else(|| {
            ServiceError::NotSignedIn(format!(
                "the keychain has no tokens for {keychain_account}; sign in again with: revlens sync login"
            ))
        })?;
        let mut client = SyncClient::new(account.server_url.clone());
        client.set_tokens(Some(tokens));
        Ok(Session { rt: runtime()?, client, keychain_account, account })
    }

    /// Signs the workspace in to a sync server org. The tokens go to the OS keychain; the store
    /// records the server, the org and a reference to the keychain entry.
    pub fn sync_login(&self, workspace: Option<&str>, request: &LoginRequest) -> Result<SyncStatus> {
        let ws = self.workspace(workspace)?;
        let server_url = normalize_server_url(&request.server_url)?;
        let email = request.email.trim();
        let rt = runtime()?;
        let mut client = SyncClient::new(server_url.clone());
        rt.block_on(client.login(email, &request.password))?;
        self.finish_login(workspace, ws.id, &rt, &client, server_url, request.org.as_deref())
    }

    /// Signs the workspace in to a sync server org through the org's single sign-on: listens on
    /// a loopback port, asks the server where the browser should go and hands that URL to
    /// `open` (print it, open the browser), waits for the server's redirect back (at most
    /// `request.timeout`, or until `cancel`), checks its state and exchanges the one-time code
    /// with the PKCE verifier. Then the same as [`Self::sync_login`]: tokens in the keychain,
    /// the account in the store.
    pub fn sync_login_oidc(
        &self,
        workspace: Option<&str>,
        request: &OidcLoginRequest,
        open: &mut dyn FnMut(&str),
        cancel: &CancelToken,
    ) -> Result<SyncStatus> {
        let ws = self.workspace(workspace)?;
        let server_url = normalize_server_url(&request.server_url)?;
        let org = request.org.trim();
        if org.is_empty() {
            return Err(ServiceError::Invalid("an org id is needed for single sign-on (--org)".into()));
        }
        let rt = runtime()?;
        let listener = rt
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
            .and_then(|l| Ok((l.local_addr()?, l)))
            .map_err(|e| ServiceError::Invalid(format!("cannot listen on 127.0.0.1 for the browser: {e}")));
        let (addr, listener) = listener?;
        let redirect_uri = format!("http://{addr}{}", oidc::CALLBACK_PATH);
        let secrets = oidc::Secrets::new()?;
        let mut client = SyncClient::new(server_url.clone());
        let url = rt
            .block_on(client.oidc_authorization_url(org, &redirect_uri, &secrets.challenge(), &secrets.state))
            .map_err(|e| -> ServiceError {
                match e.code() {
                    Some("oidc_not_configured") => {
                        OidcError::NotConfigured { org: org.to_owned(), server: server_url.clone() }.into()
                    }
                    Some("oidc_provider_unavailable") => OidcError::ProviderUnavailable { org: org.to_owned() }.into(),
                    // The start URL carries this sign-in's state: keep it out of the message.
                    _ => match e {
                        ClientError::Http(e) => ClientError::Http(e.without_url()).into(),
                        other => other.into(),
                    },
                }
            })?;
        open(url.as_str());
        let code = rt.block_on(oidc::wait_for_code(&listener, &secrets.state, request.timeout, cancel))?;
        drop(listener);
        rt.block_on(client.oidc_sign_in(&code, &secrets.verifier)).map_err(|e| -> ServiceError {
            match e.code() {
                Some("invalid_token") => OidcError::CodeRefused.into(),
                _ => e.into(),
            }
        })?;
        self.finish_login(workspace, ws.id, &rt, &client, server_url, Some(org))
    }

    /// After a sign-in: finds the org among the user's, keeps the tokens in the keychain and the
    /// account in the store.
    fn finish_login(
        &self,
        workspace: Option<&str>,
        workspace_id: revlens_model::WorkspaceId,
        rt: &tokio::runtime::Runtime,
        client: &SyncClient,
        server_url: String,
        wanted_org: Option<&str>,
    ) -> Result<SyncStatus> {
        let me = rt.block_on(client.me())?;
        let email = me.user.email.as_str();
        let org = match wanted_org {
            Some(wanted) => me
                .orgs
                .iter()
                .find(|o| o.id == *wanted || o.name.eq_ignore_ascii_case(wanted.trim()))
                .ok_or_else(|| ServiceError::Invalid(format!("{email} is not a member of an org '{wanted}'")))?,
            None => match me.orgs.as_slice() {
                [only] => only,
                [] => return Err(ServiceError::Invalid(format!("{email} is not a member of any org"))),
                many => {
                    let names: Vec<&str> = many.iter().map(|o| o.name.as_str()).collect();
                    return Err(ServiceError::Invalid(format!(
                        "{email} belongs to several orgs ({}); choose one with --org",
                        names.join(", ")
                    )));
                }
            },
        };
        let account = keychain_account(&server_url, &me.user.email);
        let tokens = client.tokens().ok_or_else(|| ServiceError::NotSignedIn("the server sent no tokens".into()))?;
        secrets::save_tokens(&account, tokens)?;
        self.store.sign_in_sync(
            workspace_id,
            &revlens_store::NewSyncAccount {
                server_url,
                email: me.user.email.clone(),
                org_id: org.id.clone(),
                org_name: org.name.clone(),
                keychain_account: account,
            },
        )?;
        self.sync_status(workspace)
    }

    /// The workspace's sync state, without asking the server.
    pub fn sync_status(&self, workspace: Option<&str>) -> Result<SyncStatus> {
        let ws = self.workspace(workspace)?;
        let account = self.store.sync_account(ws.id)?;
        let pending = self.store.pending_count(ws.id)?;
        let not_applied = self.store.deferred_changes(ws.id)?.len() as u64;
        Ok(match account {
            Some(a) => SyncStatus {
                workspace: ws.name,
                signed_in: a.keychain_account.is_some(),
                server_url: Some(a.server_url),
                email: Some(a.email),
                org_id: Some(a.org_id),
                org_name: Some(a.org_name),
                client_id: Some(a.client_id),
                pending,
                not_applied,
                cookie: a.cookie,
                last_mutation_id: a.last_mutation_id,
                last_push_at: a.last_push_at,
                last_pull_at: a.last_pull_at,
            },
            None => SyncStatus {
                workspace: ws.name,
                signed_in: false,
                server_url: None,
                email: None,
                org_id: None,
                org_name: None,
                client_id: None,
                pending,
                not_applied,
                cookie: 0,
                last_mutation_id: 0,
                last_push_at: None,
                last_pull_at: None,
            },
        })
    }

    /// Sends the pending edits in order and drops the acknowledged ones. A conflicting edit
    /// leaves the server's version in place locally; the server keeps ours as a conflicted copy,
    /// which the next pull brings.
    pub fn sync_push(&self, workspace: Option<&str>) -> Result<PushSummary> {
        let mut session = self.session(workspace)?;
        let ws = session.account.workspace_id;
        let (org, client_id) = (session.account.org_id.clone(), session.account.client_id.clone());
        let mut summary = PushSummary::default();
        let pending = self.store.prepare_push(ws)?;
        let mut files_checked = HashSet::new();
        for batch in pending.chunks(PUSH_BATCH) {
            // The files first: a teammate who pulls the edit finds what it names.
            summary.files_uploaded += self.upload_dataset_files(&mut session, batch, &mut files_checked)?;
            let mut mutations = Vec::with_capacity(batch.len());
            for m in batch {
                let kind: SyncKind = m.kind.parse().map_err(|e| ServiceError::Invalid(format!("{e}")))?;
                let id = m.mutation_id.ok_or_else(|| ServiceError::Invalid("an edit has no mutation id".into()))?;
                mutations.push(match &m.body {
                    Some(body) if !m.deleted => Mutation::put(id, kind, m.object_id.clone(), m.base_rev, body.clone()),
                    _ => Mutation::delete(id, kind, m.object_id.clone(), m.base_rev),
                });
            }
            let (org, client_id, mutations) = (&org, &client_id, &mutations);
            let response = session.call(move |c| async move { c.push(org, client_id, mutations).await })?;
            let mut applied = Vec::new();
            let mut conflicted = Vec::new();
            let mut server_versions = Vec::new();
            for result in &response.results {
                match result {
                    MutationResult::Applied { mutation_id, rev, merged } => {
                        applied.push((*mutation_id, *rev));
                        summary.applied += 1;
                        summary.merged += u64::from(*merged);
                    }
                    MutationResult::Conflict { mutation_id, server, conflict_copy_id } => {
                        conflicted.push(*mutation_id);
                        summary.conflicts += 1;
                        server_versions.extend(server.iter().map(to_remote));
                        // The server kept our edit as a new copy (revision 1): show it at once
                        // rather than after the next pull (read-your-writes).
                        let ours = batch.iter().find(|m| m.mutation_id == Some(*mutation_id));
                        if let (Some(copy), Some(ours)) = (conflict_copy_id, ours) {
                            server_versions.push(RemoteObject {
                                kind: ours.kind.clone(),
                                id: copy.clone(),
                                rev: 1,
                                body: ours.body.clone(),
                                deleted: false,
                                conflict_of: Some(ours.object_id.clone()),
                            });
                        }
                    }
                    MutationResult::AlreadyApplied { .. } => summary.already_applied += 1,
                }
            }
            summary.sent += mutations.len() as u64;
            let incoming = self.stage_datasets(&mut session, ws, &server_versions, response.last_mutation_id)?;
            let last = response.last_mutation_id;
            self.store.finish_push_with(ws, &applied, &conflicted, &server_versions, incoming, last)?;
        }
        summary.pending = self.store.pending_count(ws)?;
        Ok(summary)
    }

    /// Applies every change since the cookie, page by page, replaying the pending edits on top.
    /// After edits whose push answer was lost, it reads the whole feed again from version 0
    /// (the stored cookie never goes back): the server may have kept such an edit as a
    /// conflicted copy while the store still shows it as the object.
    pub fn sync_pull(&self, workspace: Option<&str>) -> Result<PullSummary> {
        let mut session = self.session(workspace)?;
        let ws = session.account.workspace_id;
        let (org, client_id) = (session.account.org_id.clone(), session.account.client_id.clone());
        let mut summary = PullSummary::default();
        let mut cookie = session.account.cookie;
        // Changes an earlier pull could not apply are tried again first; newer ones below win.
        let retry: Vec<RemoteObject> = self.store.deferred_changes(ws)?.into_iter().map(|d| d.object).collect();
        if !retry.is_empty() {
            let acknowledged = session.account.last_mutation_id;
            let incoming = self.stage_datasets(&mut session, ws, &retry, acknowledged)?;
            let applied = self.store.apply_pull_page_with(ws, &retry, incoming, cookie, acknowledged)?;
            summary.updated += applied.updated;
            summary.deleted += applied.deleted;
            summary.conflicts += applied.conflicts;
        }
        for pass in 0..MAX_PULL_PASSES {
            let account = self.store.sync_account(ws)?.ok_or_else(|| ServiceError::NotSignedIn("signed out".into()))?;
            let resync = account.resync;
            if pass > 0 && resync == 0 {
                break;
            }
            let mut from = if resync > 0 { 0 } else { account.cookie };
            for _ in 0..MAX_PULL_PAGES {
                let (org, client_id) = (&org, &client_id);
                let page = session.call(move |c| async move { c.pull(org, client_id, from).await })?;
                let changes: Vec<RemoteObject> = page.changes.iter().map(to_remote).collect();
                let incoming = self.stage_datasets(&mut session, ws, &changes, page.last_mutation_id)?;
                let applied =
                    self.store.apply_pull_page_with(ws, &changes, incoming, page.cookie, page.last_mutation_id)?;
                summary.pages += 1;
                summary.updated += applied.updated;
                summary.deleted += applied.deleted;
                summary.conflicts += applied.conflicts;
                summary.skipped += applied.skipped;
                let advanced = page.cookie > from;
                from = from.max(page.cookie);
                cookie = cookie.max(from);
                if !page.has_more {
                    break;
                }
                if !advanced {
                    return Err(ServiceError::Invalid("the server says more changes wait but sent none".into()));
                }
            }
            if resync > 0 && self.store.finish_resync(ws, resync)? {
                break;
            }
        }
        summary.cookie = cookie;
        summary.pending = self.store.pending_count(ws)?;
        summary.not_applied = self.store.deferred_changes(ws)?.into_iter().map(NotApplied::from).collect();
        Ok(summary)
    }

    /// Ends the session on the server (when it can be reached) and deletes the keychain entry.
    /// The workspace keeps its client id, cookie and pending edits for the next sign-in.
    pub fn sync_logout(&self, workspace: Option<&str>) -> Result<LogoutSummary> {
        let ws = self.workspace(workspace)?;
        let account = self.store.sync_account(ws.id)?;
        let Some(keychain) = account.as_ref().and_then(|a| a.keychain_account.clone()) else {
            return Err(ServiceError::NotSignedIn(format!("workspace '{}' is not signed in", ws.name)));
        };
        let mut revoked_on_server = false;
        if let (Some(account), Some(tokens)) = (&account, secrets::load_tokens(&keychain)?) {
            let mut client = SyncClient::new(account.server_url.clone());
            client.set_tokens(Some(tokens));
            let rt = runtime()?;
            revoked_on_server = match rt.block_on(client.logout()) {
                Ok(()) => true,
                // An expired access token: refresh, then revoke the session it belongs to.
                Err(e) if e.code() == Some("unauthorized") => {
                    rt.block_on(client.refresh()).is_ok() && rt.block_on(client.logout()).is_ok()
                }
                Err(_) => false,
            };
        }
        secrets::delete_tokens(&keychain)?;
        self.store.sign_out_sync(ws.id)?;
        Ok(LogoutSummary { revoked_on_server })
    }

    /// A read-only, expiring link to a saved mapping (it must have been pushed).
    pub fn share_create(&self, workspace: Option<&str>, mapping: &str, days: u32) -> Result<ShareLinkCreated> {
        let ws = self.workspace(workspace)?;
        let saved = self.store.mapping(ws.id, mapping)?;
        let what = format!("mapping '{}'", saved.name);
        self.share(workspace, SyncKind::Mapping, &saved.id.to_string(), &what, days)
    }

    /// A read-only, expiring link to a saved dashboard or scenario (it must have been pushed).
    pub fn share_document(
        &self,
        workspace: Option<&str>,
        kind: DocumentKind,
        id: DocumentId,
        days: u32,
    ) -> Result<ShareLinkCreated> {
        let ws = self.workspace(workspace)?;
        let document = self.store.document(ws.id, kind, id)?;
        let sync_kind = match kind {
            DocumentKind::Dashboard => SyncKind::Dashboard,
            DocumentKind::Scenario => SyncKind::Scenario,
            DocumentKind::Template => SyncKind::Template,
        };
        self.share(workspace, sync_kind, &id.to_string(), &format!("{kind} '{}'", document.name), days)
    }

    fn share(
        &self,
        workspace: Option<&str>,
        kind: SyncKind,
        local_id: &str,
        what: &str,
        days: u32,
    ) -> Result<ShareLinkCreated> {
        if days == 0 || days > 366 {
            return Err(ServiceError::Invalid("a share link lasts 1 to 366 days".into()));
        }
        let mut session = self.session(workspace)?;
        let ws = session.account.workspace_id;
        let id = self.store.remote_id(ws, kind.as_str(), local_id)?;
        let request = CreateShareLinkRequest { kind, id, expires_at: Utc::now() + Duration::days(days.into()) };
        let org = session.account.org_id.clone();
        let (org, request) = (&org, &request);
        session.call(move |c| async move { c.create_share_link(org, request).await }).map_err(|e| match e {
            ServiceError::SyncServer(ref c) if c.code() == Some("not_found") => ServiceError::Invalid(format!(
                "the server does not have {what} yet; send it first with: revlens sync push"
            )),
            other => other,
        })
    }

    pub fn share_list(&self, workspace: Option<&str>) -> Result<Vec<ShareLink>> {
        let mut session = self.session(workspace)?;
        let org = session.account.org_id.clone();
        let org = &org;
        session.call(move |c| async move { c.share_links(org).await })
    }

    /// The signed-in org's members, with their roles.
    pub fn team_members(&self, workspace: Option<&str>) -> Result<Vec<Member>> {
        let mut session = self.session(workspace)?;
        let org = session.account.org_id.clone();
        let org = &org;
        session.call(move |c| async move { c.members(org).await })
    }

    /// Gives a member of the signed-in org another role (the server checks who may).
    pub fn team_set_role(&self, workspace: Option<&str>, user: &str, role: Role) -> Result<Member> {
        let mut session = self.session(workspace)?;
        let org = session.account.org_id.clone();
        let org = &org;
        session.call(move |c| async move { c.change_role(org, user, role).await })
    }

    /// Removes a member from the signed-in org.
    pub fn team_remove_member(&self, workspace: Option<&str>, user: &str) -> Result<()> {
        let mut session = self.session(workspace)?;
        let org = session.account.org_id.clone();
        let org = &org;
        session.call(move |c| async move { c.remove_member(org, user).await })
    }

    pub fn share_revoke(&self, workspace: Option<&str>, id: &str) -> Result<()> {
        let mut session = self.session(workspace)?;
        let org = session.account.org_id.clone();
        let org = &org;
        session.call(move |c| async move { c.revoke_share_link(org, id).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_are_checked_and_trimmed() {
        assert_eq!(
            normalize_server_url(" https://sync.example.com/ ").ok().as_deref(),
            Some("https://sync.example.com")
        );
        assert!(normalize_server_url("sync.example.com").is_err());
        assert!(normalize_server_url("ftp://x").is_err());
    }
}
