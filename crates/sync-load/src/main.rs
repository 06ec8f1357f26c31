//! `revlens-sync-load`: a load generator for the sync server (`scripts/bench-sync.sh` runs it).
//!
//! ```text
//! revlens-sync-load --url http://127.0.0.1:PORT --email E --password-stdin [--clients 50] [--seconds 10]
//! ```
//!
//! Signs `--clients` sessions of one account in (each its own connection and sync client id),
//! seeds `--objects` dashboards, then runs two closed-loop phases of `--seconds` each, every
//! client sending its next request as soon as the last one is answered:
//!
//! - pull: `GET /v1/orgs/{org}/pull?cookie=C&client_id=…` with C a little behind the org's
//!   version (a client catching up on the last few changes);
//! - push: `POST /v1/orgs/{org}/push` with `--batch` mutations (each a new revision of one of the
//!   client's own dashboards, on its current revision).
//!
//! It prints requests/s (and mutations/s), p50/p99/max latency and errors per phase, beside the
//! targets; with `--check` it exits 1 when a target is missed.

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser, Clone)]
#[command(name = "revlens-sync-load", version, about = "Load generator for the RevLens sync server")]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    url: String,
    /// The account the clients sign in as (a member who may push).
    #[arg(long)]
    email: String,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Concurrent clients (sessions, connections and sync client ids).
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Length of each phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Dashboards seeded before the pull phase.
    #[arg(long, default_value_t = 200)]
    objects: usize,
    /// How far behind the org's version a pull's cookie is, at most (changes per pull).
    #[arg(long, default_value_t = 20)]
    pull_behind: u64,
    /// Mutations per push.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Targets: pulls/s, mutations/s, p99 latency in ms.
    #[arg(long, default_value_t = 3000.0)]
    target_pulls: f64,
    #[arg(long, default_value_t = 1000.0)]
    target_mutations: f64,
    #[arg(long, default_value_t = 50.0)]
    target_p99_ms: f64,
    /// Exit 1 when a target is missed.
    #[arg(long)]
    check: bool,
}

/// One signed-in client.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    token: String,
    client_id: String,
}

/// What one client measured in a phase.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
    mutations: u64,
    first_error: Option<String>,
}

impl Tally {
    fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.password_stdin {
        bail!("--password-stdin is required (passwords never go on the command line)");
    }
    if args.clients == 0 || args.seconds == 0 || args.batch == 0 {
        bail!("--clients, --seconds and --batch must be at least 1");
    }
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("reading the password")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let base = args.url.trim_end_matches('/').to_owned();

    let clients = sign_in(&args, &base, &password).await?;
    let me = get_json(&clients[0], &format!("{base}/v1/me")).await?;
    let org = me["orgs"][0]["id"].as_str().context("the account belongs to no org")?.to_owned();
    let version = seed(&args, &base, &org, &clients[0]).await?;
    println!(
        "{} clients signed in; {} dashboards seeded (org version {version}); {} s per phase",
        clients.len(),
        args.objects,
        args.seconds
    );

    let phase = Duration::from_secs(args.seconds);
    let cookies = Cookies { version, behind: args.pull_behind };
    let (pull, pull_elapsed) =
        run_phase(&clients, phase, |c, i| pull_loop(c, base.clone(), org.clone(), cookies, i, phase)).await?;
    let batch = args.batch;
    let (push, push_elapsed) =
        run_phase(&clients, phase, |c, _| push_loop(c, base.clone(), org.clone(), batch, phase)).await?;

    let pulls_per_s = pull.latencies_us.len() as f64 / pull_elapsed.as_secs_f64();
    let mutations_per_s = push.mutations as f64 / push_elapsed.as_secs_f64();
    let pushes_per_s = push.latencies_us.len() as f64 / push_elapsed.as_secs_f64();
    let mut ok = true;
    ok &= report("pull", &pull, pulls_per_s, "pulls/s", args.target_pulls, args.target_p99_ms);
    ok &= report("push", &push, mutations_per_s, "mutations/s", args.target_mutations, args.target_p99_ms);
    if batch > 1 {
        println!("       ({pushes_per_s:.0} pushes/s of {batch} mutations)");
    }
    if args.check && !ok {
        std::process::exit(1);
    }
    Ok(())
}

/// Signs every client in (a few at a time: each login costs an Argon2 hash on the server).
async fn sign_in(args: &Args, base: &str, password: &str) -> anyhow::Result<Vec<Client>> {
    let run = std::process::id();
    let mut clients = Vec::with_capacity(args.clients);
    for chunk in (0..args.clients).collect::<Vec<_>>().chunks(4) {
        let mut tasks = Vec::new();
        for &i in chunk {
            let (base, email, password) = (base.to_owned(), args.email.clone(), password.to_owned());
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
                let response = http
                    .post(format!("{base}/v1/auth/login"))
                    .json(&json!({"email": email, "password": password}))
                    .send()
                    .await?;
                let status = response.status();
                let body: Value = response.json().await?;
                if !status.is_success() {
                    bail!("login answered {status}: {body}");
                }
                let token = body["access_token"].as_str().context("no access token")?.to_owned();
                anyhow::Ok(Client { http, token, client_id: format!("load-{run}-{i}") })
            }));
        }
        for task in tasks {
            clients.push(task.await??);
        }
    }
    Ok(clients)
}

/// A dashboard's synced body, about a kilobyte.
fn dashboard_body(name: &str, n: u64) -> Value {
    json!({
        "name": name,
        "body": {
            "tiles": ["mrr", "arr", "nrr", "active_customers", "movements", "top_customers"],
            "filters": {"segment": ["Enterprise", "Mid-market"], "plan": ["Pro"], "country": ["DE", "FR", "US"]},
            "note": "x".repeat(600),
            "n": n,
        }
    })
}

/// Seeds the dashboards every pull reads; returns the org's version after.
async fn seed(args: &Args, base: &str, org: &str, client: &Client) -> anyhow::Result<u64> {
    let client_id = format!("{}-seed", client.client_id);
    let mut mutation_id = 0u64;
    for chunk in (0..args.objects).collect::<Vec<_>>().chunks(100) {
        let mutations: Vec<Value> = chunk
            .iter()
            .map(|i| {
                mutation_id += 1;
                json!({"mutation_id": mutation_id, "kind": "dashboard", "id": format!("seed-{}-{i}", std::process::id()),
                       "base_rev": 0, "body": dashboard_body(&format!("Seed {i}"), 0)})
            })
            .collect();
        post_json(
            client,
            &format!("{base}/v1/orgs/{org}/push"),
            &json!({"client_id": client_id, "mutations": mutations}),
        )
        .await?;
    }
    // The org's version: the cookie after the last page.
    let mut cookie = 0;
    loop {
        let page = get_json(client, &format!("{base}/v1/orgs/{org}/pull?cookie={cookie}")).await?;
        cookie = page["cookie"].as_u64().unwrap_or(cookie);
        if page["has_more"] != true {
            return Ok(cookie);
        }
    }
}

async fn get_json(client: &Client, url: &str) -> anyhow::Result<Value> {
    let response = client.http.get(url).bearer_auth(&client.token).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() {
        bail!("GET answered {status}: {body}");
    }
    Ok(body)
}

async fn pull_once(client: &Client, url: &str) -> anyhow::Result<()> {
    let response = client.http.get(url).bearer_auth(&client.token).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    if !status.is_success() || !body.starts_with(b"{\"cookie\"") {
        bail!("GET answered {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(())
}

async fn post_json(client: &Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    let response = client.http.post(url).bearer_auth(&client.token).json(body).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() {
        bail!("POST answered {status}: {body}");
    }
    Ok(body)
}

/// Runs one loop per client for `phase`; returns the merged tally and the wall time.
async fn run_phase<F, Fut>(clients: &[Client], phase: Duration, make: F) -> anyhow::Result<(Tally, Duration)>
where
    F: Fn(Client, usize) -> Fut,
    Fut: std::future::Future<Output = Tally> + Send + 'static,
{
    let started = Instant::now();
    let tasks: Vec<_> = clients.iter().enumerate().map(|(i, c)| tokio::spawn(make(c.clone(), i))).collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await?;
        total.latencies_us.extend(tally.latencies_us);
        total.errors += tally.errors;
        total.mutations += tally.mutations;
        total.first_error = total.first_error.or(tally.first_error);
    }
    let elapsed = started.elapsed().max(phase);
    Ok((total, elapsed))
}

/// Where a pull starts and how far behind the org's version it may be.
#[derive(Clone, Copy)]
struct Cookies {
    version: u64,
    behind: u64,
}

async fn pull_loop(
    client: Client,
    base: String,
    org: String,
    cookies: Cookies,
    index: usize,
    phase: Duration,
) -> Tally {
    let mut tally = Tally::default();
    let Cookies { version, behind } = cookies;
    let behind = behind.min(version);
    let end = Instant::now() + phase;
    let mut n = index as u64;
    while Instant::now() < end {
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let cookie = version - (n >> 33) % (behind + 1);
        let url = format!("{base}/v1/orgs/{org}/pull?cookie={cookie}&client_id={}", client.client_id);
        let started = Instant::now();
        // The body is read whole but not parsed: the generator shares the machine's cores.
        match pull_once(&client, &url).await {
            Ok(()) => tally.latencies_us.push(started.elapsed().as_micros() as u64),
            Err(e) => tally.error(e),
        }
    }
    tally
}

async fn push_loop(client: Client, base: String, org: String, batch: usize, phase: Duration) -> Tally {
    const OWN_OBJECTS: usize = 10;
    let mut tally = Tally::default();
    let mut revs = [0u64; OWN_OBJECTS];
    let mut mutation_id = 0u64;
    let mut next = 0usize;
    let url = format!("{base}/v1/orgs/{org}/push");
    let end = Instant::now() + phase;
    while Instant::now() < end {
        let mut targets = Vec::with_capacity(batch);
        let mutations: Vec<Value> = (0..batch)
            .map(|_| {
                let k = next % OWN_OBJECTS;
                next += 1;
                mutation_id += 1;
                targets.push(k);
                let id = format!("{}-{k}", client.client_id);
                json!({"mutation_id": mutation_id, "kind": "dashboard", "id": id, "base_rev": revs[k],
                       "body": dashboard_body(&id, mutation_id)})
            })
            .collect();
        let started = Instant::now();
        let answer = post_json(&client, &url, &json!({"client_id": client.client_id, "mutations": mutations})).await;
        let elapsed = started.elapsed().as_micros() as u64;
        match answer {
            Ok(answer) => {
                tally.latencies_us.push(elapsed);
                let results = answer["results"].as_array().cloned().unwrap_or_default();
                for (result, k) in results.iter().zip(&targets) {
                    match (result["status"].as_str(), result["rev"].as_u64()) {
                        (Some("applied"), Some(rev)) => {
                            revs[*k] = rev;
                            tally.mutations += 1;
                        }
                        _ => tally.error(format!("mutation not applied: {result}")),
                    }
                }
            }
            Err(e) => tally.error(e),
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// Prints one phase's line; true when it meets its targets.
fn report(name: &str, tally: &Tally, rate: f64, unit: &str, target_rate: f64, target_p99_ms: f64) -> bool {
    let mut sorted = tally.latencies_us.clone();
    sorted.sort_unstable();
    let (p50, p99, max) = (percentile(&sorted, 50.0), percentile(&sorted, 99.0), percentile(&sorted, 100.0));
    let rate_ok = rate >= target_rate;
    let p99_ok = p99 < target_p99_ms;
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "{name}: {rate:>8.0} {unit:<12} (target ≥ {target_rate:.0}: {})  p50 {p50:.2} ms  p99 {p99:.2} ms (target < {target_p99_ms:.0} ms: {})  max {max:.1} ms  requests {}  errors {}",
        mark(rate_ok),
        mark(p99_ok),
        sorted.len(),
        tally.errors
    );
    if let Some(e) = &tally.first_error {
        println!("       first error: {e}");
    }
    rate_ok && p99_ok && tally.errors == 0
}
