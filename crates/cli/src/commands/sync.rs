use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};

use anyhow::Context;
use std::time::Duration;

use revlens_model::CancelToken;
use revlens_service::{LoginRequest, OidcLoginRequest, Service, SyncStatus};

use crate::cli::{Format, SyncCommand};
use crate::output::print_json;

pub fn run(service: &Service, workspace: Option<&str>, command: SyncCommand) -> anyhow::Result<()> {
    match command {
        SyncCommand::Login { server, email, org, password_stdin, oidc, no_browser, timeout, format } => {
            let status = if oidc {
                let org = org.context("--oidc needs --org (the org's id)")?;
                let request = OidcLoginRequest { server_url: server, org, timeout: Duration::from_secs(timeout) };
                login_oidc(service, workspace, &request, no_browser, format)?
            } else {
                let email = email.context("--email is needed (or --oidc)")?;
                let password = read_password(password_stdin)?;
                let request = LoginRequest { server_url: server, email, password, org };
                service.sync_login(workspace, &request)?
            };
            match format {
                Format::Json => print_json(&status),
                Format::Text => {
                    outln!(
                        "Signed in to {} as {} (org {}).",
                        status.server_url.as_deref().unwrap_or_default(),
                        status.email.as_deref().unwrap_or_default(),
                        status.org_name.as_deref().unwrap_or_default()
                    );
                    if status.pending > 0 {
                        outln!("{} local edit(s) wait to be sent: revlens sync push", status.pending);
                    }
                    Ok(())
                }
            }
        }
        SyncCommand::Status(args) => {
            let status = service.sync_status(workspace)?;
            match args.format {
                Format::Json => print_json(&status),
                Format::Text => {
                    print_status(&status);
                    Ok(())
                }
            }
        }
        SyncCommand::Push(args) => {
            let summary = service.sync_push(workspace)?;
            match args.format {
                Format::Json => print_json(&summary),
                Format::Text => {
                    outln!(
                        "Sent {} edit(s): {} applied ({} merged), {} conflict(s), {} already applied; {} pending.",
                        summary.sent,
                        summary.applied,
                        summary.merged,
                        summary.conflicts,
                        summary.already_applied,
                        summary.pending
                    );
                    if summary.files_uploaded > 0 {
                        outln!("Uploaded {} dataset file(s) to the org.", summary.files_uploaded);
                    }
                    if summary.conflicts > 0 {
                        outln!("The server's versions stand; yours are kept as conflicted copies: revlens sync pull");
                    }
                    Ok(())
                }
            }
        }
        SyncCommand::Pull(args) => {
            let summary = service.sync_pull(workspace)?;
            // What could not be applied is said on stderr in either format, and fails the run,
            // so a script notices; the rest of the pull is in.
            for problem in &summary.not_applied {
                eprintln!("Not applied: {}; it is retried at the next pull.", problem.error);
            }
            let printed = match args.format {
                Format::Json => print_json(&summary),
                Format::Text => {
                    outln!(
                        "Pulled {} change(s), {} deletion(s), {} conflicted copy(ies); cookie {}; {} pending.",
                        summary.updated,
                        summary.deleted,
                        summary.conflicts,
                        summary.cookie,
                        summary.pending
                    );
                    if summary.skipped > 0 {
                        outln!("{} change(s) of kinds this version does not sync yet were skipped.", summary.skipped);
                    }
                    Ok(())
                }
            };
            printed?;
            anyhow::ensure!(
                summary.not_applied.is_empty(),
                "{} change(s) from the server could not be applied (see above)",
                summary.not_applied.len()
            );
            Ok(())
        }
        SyncCommand::Logout => {
            let summary = service.sync_logout(workspace)?;
            if summary.revoked_on_server {
                outln!("Signed out; the session was ended on the server and the tokens deleted from the keychain.");
            } else {
                outln!("Signed out locally (the server could not be told); the tokens were deleted from the keychain.");
            }
            Ok(())
        }
    }
}

/// The browser side of an OIDC sign-in: say where to go (on stdout, or on stderr when stdout
/// carries the JSON answer), try to open the browser, and let Ctrl-C stop the wait.
fn login_oidc(
    service: &Service,
    workspace: Option<&str>,
    request: &OidcLoginRequest,
    no_browser: bool,
    format: Format,
) -> anyhow::Result<SyncStatus> {
    let cancel = CancelToken::new();
    let on_interrupt = cancel.clone();
    let _ = ctrlc::set_handler(move || on_interrupt.cancel());
    let mut open = |url: &str| {
        let say = |line: String| match format {
            Format::Text => outln!("{line}"),
            Format::Json => eprintln!("{line}"),
        };
        say(format!("To sign in, open this address in your browser:\n{url}"));
        if !no_browser && webbrowser::open(url).is_err() {
            say("(The browser could not be opened; open the address yourself.)".to_owned());
        }
        say(format!("Waiting up to {} s for the sign-in (Ctrl-C cancels)…", request.timeout.as_secs()));
    };
    Ok(service.sync_login_oidc(workspace, request, &mut open, &cancel)?)
}

fn print_status(status: &SyncStatus) {
    let Some(server) = &status.server_url else {
        outln!(
            "Workspace '{}' does not sync. Sign in with: revlens sync login --server URL --email EMAIL",
            status.workspace
        );
        return;
    };
    let state = if status.signed_in { "signed in" } else { "signed out" };
    outln!("workspace    {}", status.workspace);
    outln!("server       {server} ({state})");
    outln!("user         {}", status.email.as_deref().unwrap_or_default());
    outln!(
        "org          {} ({})",
        status.org_name.as_deref().unwrap_or_default(),
        status.org_id.as_deref().unwrap_or_default()
    );
    outln!("pending      {}", status.pending);
    if status.not_applied > 0 {
        outln!("not applied  {} (retried at the next pull: revlens sync pull)", status.not_applied);
    }
    outln!("cookie       {}", status.cookie);
    outln!("last push    {}", status.last_push_at.as_deref().unwrap_or("never"));
    outln!("last pull    {}", status.last_pull_at.as_deref().unwrap_or("never"));
}

/// The password, from stdin: all of it with `--password-stdin`, else one line after a prompt.
/// It is never taken from the command line, where other users could see it.
fn read_password(password_stdin: bool) -> anyhow::Result<String> {
    let mut stdin = std::io::stdin().lock();
    let mut password = String::new();
    if password_stdin {
        stdin.read_to_string(&mut password).context("reading the password from stdin")?;
    } else {
        if std::io::stdin().is_terminal() {
            eprint!("Password: ");
            let _ = std::io::stderr().flush();
        }
        stdin.read_line(&mut password).context("reading the password from stdin")?;
    }
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    Ok(password)
}
