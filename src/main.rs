//! The `redress` command: serve the desk, migrate, generate the demo world,
//! add agents.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDateTime, Utc};
use clap::{Parser, Subcommand};
use redress::agents::{NewAgentRequest, add_agent};
use redress::config::Settings;
use redress::db::{self, Database, DatabaseUrl};
use redress::demo::{self, GenerateOptions, GenerateSummary};
use redress::domain::Role;
use redress::mail::worker::{self, WorkerSettings};
use redress::web::Application;
use std::io::{BufRead, IsTerminal};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;

// The ledger's writer allocates for every statement; glibc's allocator was
// a sixth of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Connections per process; several processes can share one PostgreSQL.
const POOL_SIZE: u32 = 8;

#[derive(Parser)]
#[command(
    name = "redress",
    version,
    about = "Support and dispute desk for a digital wallet"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the desk and the platform API (migrates the database first).
    Serve {
        /// Address and port to listen on; overrides REDRESS_BIND.
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill the empty database named by DATABASE_URL with a demo world.
    Generate(GenerateArgs),
    /// Start afresh on ./data/demo.db: generate the demo world, print the
    /// sign-ins, and serve it.
    Demo {
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Seed of the demo world.
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
    },
    /// Manage support agents.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Measure on the database named by DATABASE_URL: the ledger (adds
    /// benchmark customers and payments to it) or the queue.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Apply the wallet platform's records (customers, transactions,
    /// statuses) from a JSON Lines file, each line on its own.
    Import {
        /// The file, one JSON record a line.
        file: std::path::PathBuf,
    },
    /// Manage the wallet platform's API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Check the ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// E-mail: run the outbox worker on its own (serve runs one too).
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Send the outbox's due mails until stopped (SIGTERM or Ctrl-C).
    Work,
    /// Take one RFC 5322 message on standard input, as an MTA's pipe gives
    /// it: it lands on its ticket, or opens one. Exits 65 when the message
    /// itself is at fault (the MTA bounces it) and 75 when Redress cannot
    /// take it now (the MTA tries again).
    Receive,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Refunds per second through the refund remedy, then verify's time.
    Ledger {
        /// How many payments to create and refund.
        #[arg(long, default_value_t = 10_000)]
        refunds: usize,
        /// Requests refunding at once, as many agents' clicks would.
        #[arg(long, default_value_t = 16)]
        threads: usize,
        /// Database connections in the pool.
        #[arg(long, default_value_t = 4)]
        pool: u32,
    },
    /// Time the queue page's database work (a page and the sidebar
    /// counts) over a mix of views, filters, sorts, searches and pages.
    Queue {
        /// How many queue requests to time.
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
    },
    /// Time the ticket page's database work, its playbook evaluated, over
    /// random tickets.
    Ticket {
        /// How many ticket pages to time.
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
    },
    /// Ticket opens, public replies, status changes and recorded
    /// transactions per second, from one client and from several at once
    /// (adds tickets and top-ups to the database).
    Write {
        /// How many writes of each kind, per round.
        #[arg(long, default_value_t = 2_000)]
        writes: usize,
        /// Clients writing at once in the second round.
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it; it is shown this once, and only its
    /// hash is kept.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Revoke the active token of this name.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the audit log's hash chain; exits 1 and names the first edited
    /// or missing row when it is broken.
    Verify,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Check every invariant of the ledger over the whole database; exits 1
    /// and names each broken account or transfer when one fails.
    Verify,
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Number of tickets.
    #[arg(long, default_value_t = demo::DEFAULT_TICKETS)]
    tickets: u64,
    /// Number of wallet customers.
    #[arg(long, default_value_t = demo::DEFAULT_CUSTOMERS)]
    customers: u64,
    /// Seed: the same seed and --now give the same world.
    #[arg(long, default_value_t = demo::DEFAULT_SEED)]
    seed: u64,
    /// The world's present moment (RFC 3339); default: now.
    #[arg(long)]
    now: Option<DateTime<Utc>>,
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Add an agent. The password is read from standard input, or asked
    /// for at a terminal.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a role: use agent, supervisor or admin"))
}

fn main() -> std::process::ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> Result<()> {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        // An MTA bounces mail on any other failure: a setting being fixed
        // must only delay it.
        Err(error)
            if matches!(
                cli.command,
                Command::Mail {
                    command: MailCommand::Receive
                }
            ) =>
        {
            eprintln!("redress: invalid configuration: {error}");
            std::process::exit(EX_TEMPFAIL);
        }
        Err(error) => return Err(error).context("invalid configuration"),
    };
    match cli.command {
        Command::Serve { bind } => serve_command(settings, bind),
        Command::Migrate => migrate(&settings),
        Command::Generate(args) => {
            print_summary(&generate(&settings.database_url, &args)?);
            Ok(())
        }
        Command::Demo { bind, seed } => demo_command(settings, bind, seed),
        Command::Bench { command } => bench(&settings, command),
        Command::Import { file } => import(&settings, &file),
        Command::Token { command } => token(&settings, command),
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(&settings),
        Command::Ledger {
            command: LedgerCommand::Verify,
        } => {
            if verify_ledger(&settings.database_url)? {
                Ok(())
            } else {
                Err(anyhow::anyhow!("the ledger has violations"))
            }
        }
        Command::Mail {
            command: MailCommand::Work,
        } => mail_work(&settings),
        Command::Mail {
            command: MailCommand::Receive,
        } => mail_receive(&settings),
        Command::Agent {
            command: AgentCommand::Add { email, name, role },
        } => agent_add(&settings, &email, &name, role),
    }
}

/// One migrated connection, for commands that read or check.
fn open_connection(url: &DatabaseUrl) -> Result<db::DbConnection> {
    let mut conn = db::establish(url).with_context(|| format!("cannot open {url}"))?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

/// The migrated database with a pool of `pool` connections and its write
/// path, for commands that write.
fn open_database(url: &DatabaseUrl, pool: u32) -> Result<Database> {
    Database::open(url, pool).with_context(|| format!("cannot open {url}"))
}

fn serve_command(mut settings: Settings, bind: Option<std::net::SocketAddr>) -> Result<()> {
    if let Some(bind) = bind {
        settings.rebind(bind)?;
    }
    serve(settings)
}

fn migrate(settings: &Settings) -> Result<()> {
    let mut conn = db::establish(&settings.database_url)
        .with_context(|| format!("cannot open {}", settings.database_url))?;
    let applied = db::run_migrations(&mut conn)?;
    println!(
        "{} migration(s) applied to {}",
        applied.len(),
        settings.database_url
    );
    for version in applied {
        println!("  {version}");
    }
    Ok(())
}

fn demo_command(
    mut settings: Settings,
    bind: Option<std::net::SocketAddr>,
    seed: u64,
) -> Result<()> {
    let path = settings.data_dir.join("demo.db");
    remove_database_files(&path)?;
    settings.database_url = DatabaseUrl::Sqlite(path);
    if let Some(bind) = bind {
        settings.rebind(bind)?;
    }
    let args = GenerateArgs {
        tickets: demo::DEFAULT_TICKETS,
        customers: demo::DEFAULT_CUSTOMERS,
        seed,
        now: None,
    };
    let summary = generate(&settings.database_url, &args)?;
    print_summary(&summary);
    println!("\nOpen {}agent/login", settings.base_url);
    serve(settings)
}

fn bench(settings: &Settings, command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Queue { requests } => bench_queue(settings, requests),
        BenchCommand::Ledger {
            refunds,
            threads,
            pool,
        } => bench_ledger(settings, refunds, threads, pool),
        BenchCommand::Write { writes, clients } => bench_write(settings, writes, clients),
        BenchCommand::Ticket { requests } => bench_ticket(settings, requests),
    }
}

fn bench_queue(settings: &Settings, requests: usize) -> Result<()> {
    let database = open_database(&settings.database_url, 1)?;
    let mut conn = database.conn()?;
    let report = redress::tickets::bench::run(&mut conn, requests.max(1))?;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} queue requests on {} ({} tickets): {}",
        report.requests,
        database.backend().name(),
        report.tickets,
        report.latencies
    );
    println!("slowest:");
    for (elapsed, query) in &report.slowest {
        println!("  {:>8.1} ms  {query}", ms(*elapsed));
    }
    Ok(())
}

fn bench_ticket(settings: &Settings, requests: usize) -> Result<()> {
    let database = open_database(&settings.database_url, 1)?;
    let mut conn = database.conn()?;
    let report = redress::tickets::bench::ticket_page(&mut conn, requests.max(1))?;
    println!(
        "{} ticket pages on {} ({} tickets): {}",
        report.requests,
        database.backend().name(),
        report.tickets,
        report.latencies
    );
    Ok(())
}

fn bench_ledger(settings: &Settings, refunds: usize, threads: usize, pool: u32) -> Result<()> {
    let database = open_database(&settings.database_url, pool.max(1))?;
    let report = redress::ledger::bench::run(&database, refunds, threads.max(1), |line| {
        println!("{line}")
    })?;
    println!(
        "{} refunds on {} ({} threads, pool of {pool}): {:.2} s, {:.0} refunds/s",
        report.refunds,
        database.backend().name(),
        report.threads,
        report.elapsed.as_secs_f64(),
        report.refunds_per_second()
    );
    println!(
        "ledger verify: {} transfers in {} ms, {}",
        report.transfers,
        report.verify_elapsed.as_millis(),
        if report.ledger_ok {
            "balanced"
        } else {
            "BROKEN"
        }
    );
    if report.ledger_ok {
        Ok(())
    } else {
        Err(anyhow::anyhow!("the ledger has violations"))
    }
}

fn bench_write(settings: &Settings, writes: usize, clients: usize) -> Result<()> {
    let database = open_database(&settings.database_url, (clients as u32).clamp(2, 16))?;
    let report = redress::tickets::write_bench::run(&database, writes.max(1), clients.max(1))?;
    println!(
        "writes on {} with {} tickets before:",
        database.backend().name(),
        report.tickets_before
    );
    for rate in &report.rates {
        println!(
            "  {:<22} {} client(s): {:>6} in {:>6.2} s, {:>7.0}/s",
            rate.what,
            rate.clients,
            rate.writes,
            rate.elapsed.as_secs_f64(),
            rate.per_second()
        );
    }
    Ok(())
}

fn import(settings: &Settings, file: &Path) -> Result<()> {
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let database = open_database(&settings.database_url, 2)?;
    let summary = redress::platform::import::import(&database, std::io::BufReader::new(reader))?;
    for (line, reason) in &summary.refused {
        println!("line {line}: {reason}");
    }
    println!(
        "{} records applied, {} refused",
        summary.applied,
        summary.refused.len()
    );
    if summary.refused.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{} records were refused",
            summary.refused.len()
        ))
    }
}

fn token(settings: &Settings, command: TokenCommand) -> Result<()> {
    let database = open_database(&settings.database_url, 1)?;
    match command {
        TokenCommand::Create { name } => {
            let token = database
                .write_blocking(move |conn| redress::platform::tokens::create_token(conn, &name))?;
            println!("{token}");
        }
        TokenCommand::Revoke { name } => {
            let revoked = name.clone();
            database.write_blocking(move |conn| {
                redress::platform::tokens::revoke_token(conn, &revoked)
            })?;
            println!("token '{}' revoked", name.trim());
        }
    }
    Ok(())
}

fn audit_verify(settings: &Settings) -> Result<()> {
    let mut conn = open_connection(&settings.database_url)?;
    let report = redress::audit::verify_chain(&mut conn)?;
    match report.first_break {
        None => {
            println!("audit log intact: {} rows", report.rows);
            Ok(())
        }
        Some(broken) => {
            println!(
                "AUDIT LOG BROKEN: {broken} ({} rows verified before it)",
                report.rows
            );
            Err(anyhow::anyhow!("the audit log has been tampered with"))
        }
    }
}

fn agent_add(settings: &Settings, email: &str, name: &str, role: Role) -> Result<()> {
    let password = read_password()?;
    let request = NewAgentRequest::parse(email, name, role, &password)?;
    let database = open_database(&settings.database_url, 1)?;
    let id = database.write_blocking(move |conn| add_agent(conn, request.clone(), None))?;
    println!("agent {id} added: {} ({role})", email.trim().to_lowercase());
    Ok(())
}

/// Runs `ledger verify`; false when the ledger is broken.
fn verify_ledger(url: &DatabaseUrl) -> Result<bool> {
    let mut conn = open_connection(url)?;
    let report = redress::ledger::verify::verify_ledger(&mut conn)?;
    for violation in &report.violations {
        println!("VIOLATION {violation}");
    }
    println!(
        "{}: {} accounts, {} transfers, currencies {} checked in {} ms",
        if report.is_ok() {
            "ledger balances"
        } else {
            "LEDGER BROKEN"
        },
        report.accounts,
        report.transfers,
        if report.currencies.is_empty() {
            "(none)".to_owned()
        } else {
            report.currencies.join(", ")
        },
        report.elapsed.as_millis()
    );
    Ok(report.is_ok())
}

fn generate(url: &DatabaseUrl, args: &GenerateArgs) -> Result<GenerateSummary> {
    let mut conn = open_connection(url)?;
    let now: NaiveDateTime = args.now.unwrap_or_else(Utc::now).naive_utc();
    let options = GenerateOptions {
        tickets: args.tickets,
        customers: args.customers,
        seed: args.seed,
        now,
    };
    Ok(demo::generate(&mut conn, &options)?)
}

fn print_summary(summary: &GenerateSummary) {
    println!(
        "generated {} customers, {} ledger accounts, {} transactions, {} transfers, {} tickets, {} ticket events in {:.1}s",
        summary.customers,
        summary.ledger_accounts,
        summary.transactions,
        summary.transfers,
        summary.tickets,
        summary.events,
        summary.elapsed.as_secs_f64()
    );
    println!("\nSign in with:");
    for login in &summary.logins {
        println!(
            "  {:<11} {:<32} {}",
            login.role.as_str(),
            login.email,
            login.password
        );
    }
}

/// Deletes an SQLite database with its WAL and shared-memory files.
fn remove_database_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => bail!("cannot remove {}: {error}", Path::new(&file).display()),
        }
    }
    Ok(())
}

fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(
            "Password (at least 12 characters): ",
        )?);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn serve(settings: Settings) -> Result<()> {
    settings
        .load_or_create_secret()
        .context("cannot load the session secret")?;
    let db = open_database(&settings.database_url, POOL_SIZE)?;
    let mailer = redress::mail::transport::Mailer::new(&settings.mail_url)
        .map_err(|reason| anyhow::anyhow!("REDRESS_MAIL_URL: {reason}"))?;
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = %settings.database_url, "listening");
    let worker = WorkerSettings::new(settings.mail_from.clone(), settings.mail_tries);
    actix_web::rt::System::new().block_on(async move {
        // The mail worker runs beside the server and stops after it,
        // finishing the mail in hand.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mail = actix_web::rt::spawn(worker::work(db.clone(), mailer, worker, stopped));
        let app = Application::build(listener, db, settings)?;
        let served = app.run_until_stopped().await;
        let _ = stop.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), mail).await;
        served
    })?;
    tracing::info!("stopped");
    Ok(())
}

/// sysexits(3): the message is at fault; the MTA bounces it.
const EX_DATAERR: i32 = 65;
/// sysexits(3): try again later; the MTA keeps the message.
const EX_TEMPFAIL: i32 = 75;

/// One message from standard input, with sysexits codes an MTA
/// understands: whatever keeps Redress from taking it now (settings, a
/// database down or busy) is temporary, so the MTA tries again later.
fn mail_receive(settings: &Settings) -> Result<()> {
    use redress::mail::inbound::{self, InboundError};
    use std::io::Read;
    let received = (|| -> Result<inbound::Receipt, InboundError> {
        let mut raw = Vec::new();
        std::io::stdin()
            .take(inbound::MAX_MESSAGE_BYTES as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(|e| InboundError::Storage(e.to_string()))?;
        let db = Database::open(&settings.database_url, 2)?;
        let dir = redress::evidence::directory(&settings.data_dir);
        actix_web::rt::System::new()
            .block_on(async move { inbound::receive(&db, &dir, &raw).await })
    })();
    match received {
        Ok(receipt) => {
            println!("{}", receipt.json());
            Ok(())
        }
        Err(error) => {
            eprintln!("redress: {error}");
            std::process::exit(if error.is_senders() {
                EX_DATAERR
            } else {
                EX_TEMPFAIL
            });
        }
    }
}

/// The outbox worker alone, until SIGTERM or Ctrl-C.
fn mail_work(settings: &Settings) -> Result<()> {
    let db = open_database(&settings.database_url, 2)?;
    let mailer = redress::mail::transport::Mailer::new(&settings.mail_url)
        .map_err(|reason| anyhow::anyhow!("REDRESS_MAIL_URL: {reason}"))?;
    let worker = WorkerSettings::new(settings.mail_from.clone(), settings.mail_tries);
    actix_web::rt::System::new().block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mail = actix_web::rt::spawn(worker::work(db, mailer, worker, stopped));
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        let _ = stop.send(true);
        let _ = mail.await;
        Ok::<(), std::io::Error>(())
    })?;
    Ok(())
}
