//! The `tanggap` command: serve, migrate, seed, users, tokens, import, audit.

mod channels;
mod report;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tanggap_core::audit::ChainVerifier;
use tanggap_core::{Role, TimeStandards};
use tanggap_service::reference::ReferenceData;
use tanggap_service::{ServiceConfig, Services};

/// Reference data shipped with the binary, so it runs from any directory.
const REFERENCE: ReferenceData<'static> = ReferenceData {
    agencies_csv: include_str!("../../../data/perangkat-daerah-banjarmasin.csv"),
    regions_csv: include_str!("../../../data/wilayah-banjarmasin.csv"),
    categories_json: include_str!("../../../data/lapor-categories.json"),
    holidays_csv: include_str!("../../../data/hari-libur-2025-2026.csv"),
};
const SAMPLE_COMPLAINTS: &str = include_str!("../../../data/pengaduan-contoh.jsonl");

#[derive(Parser)]
#[command(
    name = "tanggap",
    version,
    about = "Public-complaint management for Indonesian local governments"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, env = "TANGGAP_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Database URL: sqlite://FILE (default sqlite://tanggap.db) or postgres://...
    #[arg(long, env = "TANGGAP_DATABASE_URL", global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Starts the HTTP server and the background workers.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "TANGGAP_BIND")]
        bind: Option<SocketAddr>,
        /// Migrates, seeds, creates demo users and imports the sample complaints with a replayed history.
        #[arg(long)]
        demo: bool,
        /// Starts the LAPOR! simulator on a free 127.0.0.1 port and
        /// synchronises with it, unless a LAPOR! endpoint is configured.
        #[arg(long)]
        lapor_simulator: bool,
    },
    /// Runs the LAPOR! SIMULATOR: a local stand-in for the national
    /// integration API, for demos and tests (see docs/lapor.md).
    LaporSimulator {
        /// Port to listen on, on 127.0.0.1.
        #[arg(long, default_value_t = 8091)]
        port: u16,
        /// Seed of the choice of sample reports.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Bearer token that clients must send.
        #[arg(long, env = "TANGGAP_LAPOR_TOKEN", default_value = "simulator-token")]
        token: String,
        /// Reports made at start.
        #[arg(long, default_value_t = 5)]
        initial: usize,
        /// Seconds between two new reports; 0 makes none after the start.
        #[arg(long, default_value_t = 60)]
        generate_every: u64,
    },
    /// Applies database migrations.
    Migrate,
    /// Loads the reference data (agencies, regions, categories, holidays).
    Seed,
    /// Manages staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manages API tokens for integrations.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manages the API keys of Open311 GeoReport v2 clients.
    #[command(name = "open311-key")]
    Open311Key {
        #[command(subcommand)]
        command: Open311KeyCommand,
    },
    /// Imports complaints.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Checks the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Fills the database with synthetic data for demos and benchmarks.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Writes the quarterly complaint report's figures.
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Adds synthetic complaints with histories, drawn from the sample
    /// corpus; the same seed, count, years and --until give the same data.
    Generate {
        /// Number of complaints to add.
        #[arg(long)]
        complaints: u64,
        /// Years of history, ending at --until (1 to 50).
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// Seed of the random choices.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Local date (YYYY-MM-DD) whose start ends the history; default today.
        #[arg(long)]
        until: Option<jiff::civil::Date>,
        /// Complaints written per transaction.
        #[arg(long, default_value_t = 5000)]
        batch_size: usize,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates an account; the password comes from TANGGAP_PASSWORD or a prompt.
    Add {
        username: String,
        /// central_admin, liaison_admin, agency_head, city_secretary, complaint_team, inspectorate or system_admin.
        #[arg(long)]
        role: String,
        /// Agency code, for liaison_admin and agency_head.
        #[arg(long)]
        agency: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
    },
    /// Lists accounts.
    List,
    /// Sets a password; it comes from TANGGAP_PASSWORD or a prompt.
    SetPassword { username: String },
    /// Turns off two-step sign-in for a user who lost the authenticator.
    Reset2fa { username: String },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues a token acting as USERNAME; it is printed once.
    Add {
        username: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum Open311KeyCommand {
    /// Issues a key for the client NAME; the key is printed once.
    Add { name: String },
    /// Lists the keys with their ids, names and dates.
    List,
    /// Revokes the key with this id; posting with it fails from then on.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Imports complaints from JSON Lines in the sample format; re-importing changes nothing.
    Jsonl { file: PathBuf },
    /// Imports complaints from an XLSX spreadsheet (first sheet); rows with
    /// errors are listed and left out; re-importing changes nothing.
    Xlsx(SheetArgs),
    /// Imports complaints from a CSV file (comma or semicolon separated).
    Csv(SheetArgs),
}

#[derive(clap::Args)]
struct SheetArgs {
    file: PathBuf,
    /// Name of the source, e.g. lapor-dashboard; its column mapping is
    /// remembered and used when --mapping is not given.
    #[arg(long)]
    source: Option<String>,
    /// Column mapping as field=Header pairs separated by commas, e.g.
    /// "body=Uraian Masalah,received_at=Tgl". Fields: tracking_id,
    /// received_at, title, body, reporter_name, phone, email,
    /// classification, category, subcategory, address, kelurahan,
    /// anonymous, confidential, channel.
    #[arg(long)]
    mapping: Option<String>,
    /// Checks every row and lists the errors without importing anything.
    #[arg(long)]
    dry_run: bool,
    /// Channel of rows without a tracking ID or channel column (default lapor).
    #[arg(long)]
    channel: Option<String>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verifies the audit log's hash chain from the first entry to the last.
    Verify,
}

/// The configuration file's contents; every key is optional.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<SocketAddr>,
    tracking_prefix: Option<String>,
    time_zone: Option<String>,
    sweep_interval_seconds: Option<u64>,
    /// Marks the session cookie Secure; default true except in demo mode.
    secure_cookies: Option<bool>,
    time_standards: Option<TimeStandards>,
    /// Directory of uploaded files; TANGGAP_UPLOAD_DIR overrides it.
    upload_dir: Option<PathBuf>,
    /// Map tile URL template; unset shows maps without tiles.
    map_tile_url: Option<String>,
    /// The public portal's retention period and rate limits.
    portal: Option<tanggap_service::portal::PortalConfig>,
    /// The SP4N-LAPOR! integration endpoint; unset turns the sync off.
    lapor: Option<tanggap_service::lapor::client::LaporConfig>,
    /// WhatsApp Cloud API settings other than secrets.
    whatsapp: Option<channels::WhatsAppFile>,
    /// SMS gateway field and header names.
    sms: Option<tanggap_service::triage::SmsConfig>,
    /// Mailbox polled for e-mail intake; the password comes from TANGGAP_IMAP_PASSWORD.
    imap: Option<tanggap_service::triage::ImapConfig>,
    /// Notifications to reporters; secrets come from the environment.
    notifications: Option<tanggap_service::notify::NotifyConfig>,
}

struct Settings {
    database_url: String,
    bind: SocketAddr,
    sweep_interval: Duration,
    secure_cookies: Option<bool>,
    map_tile_url: Option<String>,
    lapor: Option<tanggap_service::lapor::client::LaporConfig>,
    service: ServiceConfig,
}

fn load_settings(cli: &Cli) -> anyhow::Result<Settings> {
    let file: FileConfig = match &cli.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration file {}", path.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("invalid configuration file {}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let mut service = ServiceConfig::default();
    if let Some(prefix) = file.tracking_prefix {
        service.tracking_prefix = prefix;
    }
    if let Some(zone) = file.time_zone {
        service.time_zone = jiff::tz::TimeZone::get(&zone)
            .with_context(|| format!("unknown time zone {zone:?} in configuration"))?;
    }
    if let Some(standards) = file.time_standards {
        service.standards = standards;
    }
    if let Some(portal) = file.portal {
        service.portal = portal;
    }
    service.triage = channels::triage_config(channels::ChannelFiles {
        whatsapp: file.whatsapp,
        sms: file.sms,
        imap: file.imap,
    })?;
    if let Some(notifications) = file.notifications {
        service.notifications = notifications;
    }
    add_channel_secrets(&mut service.notifications);
    if let Some(dir) = std::env::var_os("TANGGAP_UPLOAD_DIR")
        .map(PathBuf::from)
        .or(file.upload_dir)
    {
        service.upload_dir = dir;
    }
    Ok(Settings {
        database_url: cli
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| "sqlite://tanggap.db".into()),
        bind: file
            .bind
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        sweep_interval: Duration::from_secs(file.sweep_interval_seconds.unwrap_or(60).max(1)),
        secure_cookies: file.secure_cookies,
        map_tile_url: file.map_tile_url.filter(|url| !url.trim().is_empty()),
        lapor: match std::env::var("TANGGAP_LAPOR_BASE_URL") {
            Ok(url) if !url.trim().is_empty() => Some(match file.lapor {
                Some(lapor) => tanggap_service::lapor::client::LaporConfig {
                    base_url: url,
                    ..lapor
                },
                None => tanggap_service::lapor::client::LaporConfig::new(url),
            }),
            _ => file.lapor,
        },
        service,
    })
}

/// Sets the channel secrets from `TANGGAP_SMTP_PASSWORD`,
/// `TANGGAP_WHATSAPP_TOKEN` and `TANGGAP_SMS_TOKEN`, replacing any value
/// from the configuration file, so secrets come only from the environment.
fn add_channel_secrets(config: &mut tanggap_service::notify::NotifyConfig) {
    let secret = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(email) = &mut config.email {
        email.password = secret("TANGGAP_SMTP_PASSWORD");
    }
    if let Some(whatsapp) = &mut config.whatsapp {
        whatsapp.token = secret("TANGGAP_WHATSAPP_TOKEN");
    }
    if let Some(sms) = &mut config.sms {
        sms.token = secret("TANGGAP_SMS_TOKEN");
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TANGGAP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("TANGGAP_LOG_FORMAT").is_ok_and(|f| f == "json");
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Reads a password from TANGGAP_PASSWORD, or from standard input. On a
/// terminal the typed characters are not shown.
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("TANGGAP_PASSWORD") {
        return Ok(password);
    }
    use std::io::IsTerminal;
    let terminal = std::io::stdin().is_terminal();
    eprint!("Password: ");
    let hidden = terminal && set_terminal_echo(false);
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if hidden {
        set_terminal_echo(true);
        eprintln!();
    }
    read.context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Turns the terminal's echo on or off with `stty`; returns whether that
/// worked.
fn set_terminal_echo(on: bool) -> bool {
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|status| status.success())
}

async fn open(settings: &Settings) -> anyhow::Result<Services> {
    let store = tanggap_store::connect(&settings.database_url)
        .await
        .with_context(|| "cannot open the database (check TANGGAP_DATABASE_URL)")?;
    store.migrate().await.context("database migration failed")?;
    Services::new(store, settings.service.clone())
        .await
        .context("cannot load reference data")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging();
    let settings = load_settings(&cli)?;
    match cli.command {
        Command::Serve {
            bind,
            demo,
            lapor_simulator,
        } => serve(settings, bind, demo, lapor_simulator).await,
        Command::LaporSimulator {
            port,
            seed,
            token,
            initial,
            generate_every,
        } => run_lapor_simulator(port, seed, token, initial, generate_every).await,
        Command::Migrate => {
            let services = open(&settings).await?;
            println!("Database migrated ({}).", services.store_kind());
            services.close().await;
            Ok(())
        }
        Command::Seed => {
            let services = open(&settings).await?;
            let report = services.seed_reference(REFERENCE).await?;
            println!(
                "Loaded {} agencies, {} regions, {} categories, {} holidays.",
                report.agencies, report.regions, report.categories, report.holidays
            );
            services.close().await;
            Ok(())
        }
        Command::User { command } => user(settings, command).await,
        Command::Token {
            command: TokenCommand::Add { username, name },
        } => {
            let services = open(&settings).await?;
            let token = services.create_api_token(None, &username, &name).await?;
            println!("{token}");
            eprintln!("Store this token now; it cannot be shown again.");
            services.close().await;
            Ok(())
        }
        Command::Open311Key { command } => open311_key(settings, command).await,
        Command::Import {
            command: ImportCommand::Jsonl { file },
        } => {
            let services = open(&settings).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let report = services.import_jsonl(&text).await?;
            println!(
                "Imported {}, already present {}, rejected {}.",
                report.imported,
                report.unchanged,
                report.rejected.len()
            );
            for (line, reason) in &report.rejected {
                println!("  line {line}: {reason}");
            }
            services.close().await;
            Ok(())
        }
        Command::Import {
            command: ImportCommand::Xlsx(args),
        } => import_sheet(settings, args, tanggap_service::spreadsheet::Format::Xlsx).await,
        Command::Import {
            command: ImportCommand::Csv(args),
        } => import_sheet(settings, args, tanggap_service::spreadsheet::Format::Csv).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(settings).await,
        Command::Demo {
            command:
                DemoCommand::Generate {
                    complaints,
                    years,
                    seed,
                    until,
                    batch_size,
                },
        } => demo_generate(settings, complaints, years, seed, until, batch_size).await,
        Command::Report { command } => {
            let services = open(&settings).await?;
            let result = report::run(&services, command).await;
            services.close().await;
            result
        }
    }
}

async fn import_sheet(
    settings: Settings,
    args: SheetArgs,
    format: tanggap_service::spreadsheet::Format,
) -> anyhow::Result<()> {
    use tanggap_core::lifecycle::{Actor, ActorKind};
    use tanggap_service::spreadsheet::import::SpreadsheetOptions;
    use tanggap_service::spreadsheet::{self, Table};

    let content = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mapping = args
        .mapping
        .as_deref()
        .map(spreadsheet::parse_mapping)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let default_channel = match args.channel.as_deref() {
        None => None,
        Some(code) => Some(
            tanggap_service::import::parse_channel(code)
                .with_context(|| format!("unknown channel {code:?}"))?,
        ),
    };
    // Read once here for a detailed message; the import reads it again.
    let table = Table::read(&content, format)
        .with_context(|| format!("cannot import {}", args.file.display()))?;

    let services = open(&settings).await?;
    let options = SpreadsheetOptions {
        source: args.source,
        mapping,
        dry_run: args.dry_run,
        default_channel,
    };
    let remembered = match &options.source {
        Some(source) if options.mapping.is_none() => services.remembered_mapping(source).await?,
        _ => None,
    };
    if let Err(e) = table.layout(
        options
            .mapping
            .as_ref()
            .or(remembered.as_ref())
            .unwrap_or(&Default::default()),
    ) {
        services.close().await;
        bail!(
            "cannot import {}: {e}; name the columns with --mapping",
            args.file.display()
        );
    }

    let admin = Actor {
        kind: ActorKind::Staff {
            role: Role::CentralAdmin,
            agency: None,
        },
        user_id: None,
        label: "import".into(),
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} rows")?
            .progress_chars("=> "),
    );
    let result = services
        .import_spreadsheet_as(&admin, &content, format, &options, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await;
    bar.finish_and_clear();
    services.close().await;
    let report = result?;

    let columns: Vec<String> = report
        .columns
        .iter()
        .map(|(field, header)| format!("{field}={header}"))
        .collect();
    println!("Header row {}: {}.", report.header_row, columns.join(", "));
    if options.dry_run {
        println!(
            "Dry run: {} rows, {} valid, {} with errors; nothing was imported.",
            report.rows,
            report.valid,
            report.rejected.len()
        );
    } else {
        println!(
            "Imported {}, already present {}, rejected {} (of {} rows).",
            report.imported,
            report.unchanged,
            report.rejected.len(),
            report.rows
        );
    }
    for error in &report.rejected {
        println!("  row {}: {}", error.row, error.reason);
    }
    Ok(())
}

async fn demo_generate(
    settings: Settings,
    complaints: u64,
    years: u32,
    seed: u64,
    until: Option<jiff::civil::Date>,
    batch_size: usize,
) -> anyhow::Result<()> {
    use tanggap_service::generate::{Corpus, GenerateOptions};

    let services = open(&settings).await?;
    if services.reference_missing().await? {
        let report = services.seed_reference(REFERENCE).await?;
        println!(
            "Loaded the reference data first: {} agencies, {} holidays.",
            report.agencies, report.holidays
        );
    }
    let zone = services.config().time_zone.clone();
    let until_date = until.unwrap_or_else(|| jiff::Timestamp::now().to_zoned(zone.clone()).date());
    let until = until_date
        .to_zoned(zone)
        .with_context(|| format!("cannot place {until_date} in the installation's time zone"))?
        .timestamp();
    let corpus = Corpus::parse(
        SAMPLE_COMPLAINTS,
        include_str!("../../../data/kelurahan-banjarmasin.geojson"),
    )?;
    let options = GenerateOptions {
        complaints,
        years,
        seed,
        until,
        batch_size,
    };

    let bar = indicatif::ProgressBar::new(complaints);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {human_pos}/{human_len} complaints, {per_sec}, ETA {eta}",
        )?
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let report = services
        .generate_complaints(std::sync::Arc::new(corpus), &options, |written| {
            bar.set_position(written)
        })
        .await?;
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "Generated {} complaints (ids {} to {}) with {} events in {seconds:.1} s ({:.0} complaints/s).",
        report.complaints,
        report.first_id,
        report.last_id,
        report.events,
        report.complaints as f64 / seconds.max(0.001)
    );
    let statuses: Vec<String> = report
        .statuses
        .iter()
        .map(|(status, n)| format!("{status} {n}"))
        .collect();
    println!("Statuses: {}.", statuses.join(", "));
    services.close().await;
    Ok(())
}

async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let services = open(&settings).await?;
    match command {
        UserCommand::Add {
            username,
            role,
            agency,
            name,
        } => {
            let Some(role) = Role::from_code(&role) else {
                bail!("unknown role {role:?}; use one of: {}", role_codes());
            };
            let password = read_password()?;
            let id = services
                .add_user(
                    None,
                    &username,
                    name.as_deref().unwrap_or(&username),
                    &password,
                    role,
                    agency.as_deref(),
                )
                .await?;
            println!("Created user {username} (id {id}).");
        }
        UserCommand::List => {
            for u in services.list_users(None).await? {
                println!(
                    "{:<28} {:<16} {:<12} {}{}",
                    u.username,
                    u.role.code(),
                    u.agency.as_deref().unwrap_or("-"),
                    u.display_name,
                    if u.locked { " (locked)" } else { "" }
                );
            }
        }
        UserCommand::Reset2fa { username } => {
            services.reset_totp(None, &username).await?;
            println!("Two-step sign-in of {username} is off; the user can turn it on again.");
        }
        UserCommand::SetPassword { username } => {
            let password = read_password()?;
            services.set_password(None, &username, &password).await?;
            println!("Password of {username} changed; its sessions were ended.");
        }
    }
    services.close().await;
    Ok(())
}

async fn open311_key(settings: Settings, command: Open311KeyCommand) -> anyhow::Result<()> {
    let services = open(&settings).await?;
    let result = match command {
        Open311KeyCommand::Add { name } => {
            services.issue_open311_key(None, &name).await.map(|issued| {
                println!("{}", issued.key);
                eprintln!(
                    "Issued key {} for {name}. Store it now; it cannot be shown again.",
                    issued.id
                );
            })
        }
        Open311KeyCommand::List => services.open311_keys(None).await.map(|keys| {
            let time_zone = services.calendar().time_zone().clone();
            let local = |us: i64| {
                jiff::Timestamp::from_microsecond(us)
                    .map(|at| {
                        at.to_zoned(time_zone.clone())
                            .strftime("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default()
            };
            for key in keys {
                let state = match key.revoked_at {
                    Some(at) => format!("revoked {}", local(at)),
                    None => "active".to_owned(),
                };
                println!(
                    "{:>5}  {:<16}  {:<26}  {}",
                    key.id,
                    local(key.created_at),
                    state,
                    key.name
                );
            }
        }),
        Open311KeyCommand::Revoke { id } => services
            .revoke_open311_key(None, id)
            .await
            .map(|()| println!("Revoked key {id}.")),
    };
    services.close().await;
    Ok(result?)
}

fn role_codes() -> String {
    Role::ALL
        .iter()
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn audit_verify(settings: Settings) -> anyhow::Result<()> {
    let store = tanggap_store::connect(&settings.database_url).await?;
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let entries = store.audit_entries(after, 5000).await?;
        if entries.is_empty() {
            break;
        }
        for entry in &entries {
            if let Err(e) = verifier.check(entry) {
                store.close().await;
                bail!("audit log is broken: {e}");
            }
            after = entry.seq;
        }
    }
    store.close().await;
    println!(
        "Audit log intact: {} entries verified.",
        verifier.verified()
    );
    Ok(())
}

async fn run_lapor_simulator(
    port: u16,
    seed: u64,
    token: String,
    initial: usize,
    generate_every: u64,
) -> anyhow::Result<()> {
    let simulator = lapor_simulator::Simulator::new(
        SAMPLE_COMPLAINTS,
        lapor_simulator::Options {
            token,
            seed,
            ..lapor_simulator::Options::default()
        },
    );
    simulator.generate(initial);
    let handle = simulator
        .start(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    println!(
        "LAPOR! SIMULATOR (not the real LAPOR!) at {}; control routes under http://{}/simulator",
        handle.base_url(),
        handle.address
    );
    let generator = (generate_every > 0).then(|| {
        tokio::spawn(lapor_simulator::generate_every(
            handle.simulator.clone(),
            Duration::from_secs(generate_every),
        ))
    });
    shutdown_signal().await;
    if let Some(generator) = generator {
        generator.abort();
    }
    handle.stop();
    Ok(())
}

/// Connects the LAPOR! synchronisation: to the configured endpoint, or to
/// an in-process simulator when `simulator` is set and none is configured.
/// Returns the sync interval and the simulator's handle.
async fn connect_lapor(
    settings: &Settings,
    services: &Services,
    simulator: bool,
) -> anyhow::Result<(Duration, Option<lapor_simulator::Handle>)> {
    use tanggap_service::lapor::client::{HttpConnector, LaporConfig};
    if let Some(config) = &settings.lapor {
        let connector = HttpConnector::from_env(config)?;
        services.set_lapor_connector(std::sync::Arc::new(connector), config.page_size);
        tracing::info!(base_url = %config.base_url, "LAPOR! synchronisation on");
        return Ok((
            Duration::from_secs(config.sync_interval_seconds.max(1)),
            None,
        ));
    }
    if !simulator {
        return Ok((Duration::from_secs(60), None));
    }
    let token = std::env::var("TANGGAP_LAPOR_TOKEN").unwrap_or_else(|_| "simulator-token".into());
    let sim = lapor_simulator::Simulator::new(
        SAMPLE_COMPLAINTS,
        lapor_simulator::Options {
            token: token.clone(),
            ..lapor_simulator::Options::default()
        },
    );
    sim.generate(5);
    let handle = sim.start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    tokio::spawn(lapor_simulator::generate_every(
        handle.simulator.clone(),
        Duration::from_secs(120),
    ));
    let config = LaporConfig::new(handle.base_url());
    let connector = HttpConnector::new(&config, token)?;
    services.set_lapor_connector(std::sync::Arc::new(connector), config.page_size);
    println!(
        "LAPOR! SIMULATOR (not the real LAPOR!) at {}; it makes a new report every 2 minutes, \
         synchronised every 15 s.",
        handle.base_url()
    );
    Ok((Duration::from_secs(15), Some(handle)))
}

async fn serve(
    settings: Settings,
    bind: Option<SocketAddr>,
    demo: bool,
    lapor_simulator: bool,
) -> anyhow::Result<()> {
    let bind = bind.unwrap_or(settings.bind);
    let services = open(&settings).await?;
    if demo {
        let seeded = services.seed_reference(REFERENCE).await?;
        tracing::info!(?seeded, "reference data loaded");
        let started = std::time::Instant::now();
        let renderer = tanggap_web::report_document::VersionRenderer {
            services: services.clone(),
        };
        let report = services.setup_demo(SAMPLE_COMPLAINTS, &renderer).await?;
        tracing::info!(
            users = report.users_created,
            complaints = report.complaints_imported,
            steps = report.steps_replayed,
            reports_approved = report.reports_approved,
            monev_runs = report.monev_runs_started,
            seconds = started.elapsed().as_secs_f32(),
            "demo data ready"
        );
        for (line, reason) in &report.rejected_lines {
            tracing::warn!(line, reason = %reason, "sample line rejected");
        }
        let inbox = tanggap_intake::demo::seed_triage_inbox(&services).await?;
        tracing::info!(
            whatsapp = inbox.whatsapp,
            sms = inbox.sms,
            email = inbox.email,
            "demo triage inbox ready"
        );
    }

    let channels =
        tanggap_channels::Channels::from_config(&settings.service.notifications.channels())
            .map_err(anyhow::Error::msg)?;
    tracing::info!(
        email = channels.email.is_some(),
        whatsapp = channels.whatsapp.is_some(),
        sms = channels.sms.is_some(),
        "notification channels configured"
    );
    services.set_outbound(tanggap_service::notify::Outbound {
        channels,
        templates: std::sync::Arc::new(tanggap_web::i18n::NotificationTemplates),
    });

    let web_config = tanggap_web::WebConfig {
        secure_cookies: settings.secure_cookies.unwrap_or(!demo),
        map_tile_url: settings.map_tile_url.clone(),
    };
    web_config.validate().map_err(anyhow::Error::msg)?;
    let app = tanggap_web::router(services.clone(), web_config);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let address = listener.local_addr()?;

    let (lapor_interval, simulator) = connect_lapor(&settings, &services, lapor_simulator).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mailbox_stop = stop_rx.clone();
    let worker = {
        let services = services.clone();
        let name = format!("{}-{}", hostname(), std::process::id());
        tokio::spawn(async move {
            services
                .run_workers(name, settings.sweep_interval, lapor_interval, stop_rx)
                .await
        })
    };

    let mailbox = services.config().triage.email.clone().map(|config| {
        tokio::spawn(tanggap_intake::imap::run(
            services.clone(),
            config,
            mailbox_stop,
        ))
    });

    tracing::info!(%address, database = services.store_kind(), "server started");
    println!("Tanggap is running at http://{address}/ (API: http://{address}/api/v1/openapi.json)");
    if demo {
        println!(
            "Demo accounts (password for all: {}):",
            tanggap_service::demo::DEMO_PASSWORD
        );
        for (username, name, role, agency) in tanggap_service::demo::DEMO_USERS {
            println!(
                "  {username:<20} {:<16} {}{}",
                role.code(),
                name,
                agency.map(|a| format!(" ({a})")).unwrap_or_default()
            );
        }
        println!(
            "  penghubung.<agency code>: the liaison admin of every other agency with complaints"
        );
        println!(
            "Demo mode is for trying Tanggap out; never put real complaints in a demo database."
        );
    }

    // The connection's address feeds the public portal's rate limits.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        shutdown_signal().await;
        tracing::info!("shutdown requested");
    })
    .await?;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    if let Some(simulator) = simulator {
        simulator.stop();
    }
    if let Some(mailbox) = mailbox {
        let _ = mailbox.await;
    }
    services.close().await;
    tracing::info!("server stopped");
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "node".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
