//! `revlens-sync-server`: the sync server's command line.
//!
//! ```text
//! revlens-sync-server [--bind ADDR:PORT] [--data-dir DIR] [--database-url URL] [--config FILE]
//! revlens-sync-server admin create-owner --email E --org NAME --password-stdin
//! ```

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use revlens_sync_server::configuration::Settings;
use revlens_sync_server::startup::Application;
use revlens_sync_server::{admin, telemetry};

#[derive(Parser)]
#[command(name = "revlens-sync-server", version, about = "The RevLens sync server")]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct ServerArgs {
    /// Address to listen on [default: 127.0.0.1:8787].
    #[arg(long, global = true, env = "REVLENS_SYNC_BIND")]
    bind: Option<SocketAddr>,
    /// Folder for the SQLite file and the blobs [default: ./revlens-sync-data].
    #[arg(long, global = true, env = "REVLENS_SYNC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL (sqlite://PATH) [default: the SQLite file in the data folder].
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// TOML settings file (token lifetimes, limits, public URL …).
    #[arg(long, global = true, env = "REVLENS_SYNC_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Administration without the HTTP API.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an org and its owner.
    CreateOwner {
        #[arg(long)]
        email: String,
        #[arg(long)]
        org: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
}

impl ServerArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.config.as_deref()).context("reading the settings")?;
        settings.apply_env(|name| std::env::var(name).ok())?;
        if let Some(bind) = self.bind {
            settings.bind = bind;
        }
        if let Some(dir) = &self.data_dir {
            settings.data_dir.clone_from(dir);
        }
        if let Some(url) = &self.database_url {
            settings.database_url = Some(url.clone());
        }
        Ok(settings)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = cli.server.settings()?;
    match cli.command {
        Some(Command::Admin(AdminCommand::CreateOwner { email, org, password_stdin })) => {
            if !password_stdin {
                bail!("--password-stdin is required");
            }
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let (user_id, org_id) = admin::create_owner(settings, &email, &org, password).await?;
            println!("created org {org_id} with owner {user_id}");
            Ok(())
        }
        None => {
            telemetry::init_subscriber("info", std::io::stdout);
            let mail = settings.smtp.is_some();
            let links_to_bind = mail && settings.public_url.is_none();
            let oidc_to_bind = !settings.oidc.is_empty() && settings.public_url.is_none();
            let plain_credentials = settings
                .smtp
                .as_ref()
                .is_some_and(|s| s.tls == revlens_sync_server::configuration::SmtpTls::None && s.username.is_some());
            // Where blobs go (never the credentials).
            let blob_store = match (&settings.blobs.backend, &settings.blobs.s3) {
                (revlens_sync_server::configuration::BlobBackend::S3, Some(s3)) => format!("s3 bucket {}", s3.bucket),
                _ => format!("folder {}", settings.blobs_dir().display()),
            };
            let app = Application::build(settings).await?;
            if let Some(token) = app.setup_token() {
                // Printed, never logged: the one way to create the first owner over HTTP.
                eprintln!(
                    "No account exists yet. Create the first owner with this one-time token:\n  \
                     POST {}://{}/v1/setup {{\"token\": \"{token}\", \"email\", \"password\", \"name\", \"org\"}}",
                    if app.is_tls() { "https" } else { "http" },
                    app.local_addr()
                );
            }
            tracing::info!(addr = %app.local_addr(), tls = app.is_tls(), blobs = %blob_store, "listening");
            if !mail {
                tracing::info!("no [smtp] settings: password resets and email changes are refused");
            }
            if links_to_bind {
                tracing::warn!("[smtp] is set but public_url is not: mailed links point at the bind address");
            }
            if oidc_to_bind {
                tracing::warn!("[[oidc]] is set but public_url is not: the OIDC callback is the bind address");
            }
            if plain_credentials {
                tracing::warn!("[smtp] tls = \"none\" sends the SMTP username and password unencrypted");
            }
            app.run_until_stopped().await?;
            Ok(())
        }
    }
}
