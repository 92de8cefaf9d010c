//! `nautobot-server`: the command line. Each subcommand lives in its own file; failures
//! print one line on stderr and exit with the error's code (`Error::exit_code`).

mod database;
mod jobs;
mod log_writer;
mod plugins;
mod sample;
mod server;
mod setup;
mod staticfiles;
mod users;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use nautobot_app::AppState;
use nautobot_base::error::{Error, Result};
use nautobot_config::{Locator, Settings};

/// Runs every start-up check and builds the application state, with the core templates
/// of the UI (what serving, jobs, checks and the sample data start from).
fn boot(settings: Settings) -> Result<AppState> {
    nautobot_app::boot(settings, &nautobot_ui::templates::all())
}

/// Loads the plugins and templates without touching the database.
fn load_plugins(
    settings: &Settings,
) -> Result<(
    nautobot_plugins::PluginRegistry,
    std::sync::Arc<nautobot_plugins::templates::Templates>,
)> {
    nautobot_app::load_plugins(settings, &nautobot_ui::templates::all())
}

/// A network source of truth with native plugins.
#[derive(Debug, Parser)]
#[command(name = "nautobot-server", version = nautobot_base::version::VERSION, about)]
pub struct Cli {
    /// The configuration file (default: $NAUTOBOT_CONFIG, else $NAUTOBOT_ROOT/nautobot_config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,

    /// Show full detail of errors (such as abi_stable's layout reports).
    #[arg(long, short, global = true)]
    verbose: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a new configuration file with a fresh SECRET_KEY.
    Init {
        /// The NAUTOBOT_ROOT to create (default: $NAUTOBOT_ROOT, else ~/.nautobot).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Apply database migrations; `migrate <app> zero` unapplies a plugin's (removing
    /// its tables).
    Migrate {
        /// Only this app (`migrate <app> zero` to unapply it).
        app: Option<String>,
        /// `zero`: unapply every migration of the app.
        target: Option<String>,
    },
    /// List migrations and whether they are applied.
    Showmigrations,
    /// List every route: method, path, owner (core or a plugin) and the permission it
    /// needs.
    #[command(alias = "show_urls")]
    ShowUrls {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a superuser (non-interactive when every flag is given).
    Createsuperuser {
        /// Login name.
        #[arg(long)]
        username: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Password.
        #[arg(long)]
        password: Option<String>,
        /// Also create an API token with this 40-character hexadecimal key.
        #[arg(long, value_name = "KEY")]
        token: Option<String>,
    },
    /// Create a regular user, optionally with permissions and an API token.
    Createuser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// E-mail address.
        #[arg(long, default_value = "")]
        email: String,
        /// Password.
        #[arg(long)]
        password: String,
        /// Grant a permission (app_label.action_model); may repeat.
        #[arg(long = "permission", value_name = "PERMISSION")]
        permissions: Vec<String>,
        /// Also create an API token with this 40-character hexadecimal key.
        #[arg(long, value_name = "KEY")]
        token: Option<String>,
        /// Make the token read-only (write_enabled = false).
        #[arg(long, requires = "token")]
        read_only_token: bool,
    },
    /// Run every start-up check (settings, plugins, database) without serving.
    Check,
    /// Inspect plugins.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Copy core and plugin static files into STATIC_ROOT.
    Collectstatic {
        /// Do not ask before overwriting.
        #[arg(long)]
        no_input: bool,
    },
    /// Serve the web UI and REST API.
    #[command(alias = "runserver")]
    Start {
        /// Address and port to listen on.
        #[arg(long, value_name = "ADDR:PORT")]
        bind: Option<String>,
        /// Address and port, Django-style (`runserver 127.0.0.1:8080`).
        #[arg(value_name = "ADDR:PORT", conflicts_with = "bind")]
        addrport: Option<String>,
        /// Worker threads (default: one per CPU).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Run queued jobs (several workers may share one PostgreSQL database).
    Worker {
        /// Jobs run at the same time.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Stop once the queue is empty and no job runs.
        #[arg(long)]
        burst: bool,
        /// Seconds without a heartbeat after which another worker's running job is
        /// failed as dead.
        #[arg(long, default_value_t = 30, value_name = "SECONDS")]
        stale_after: u64,
    },
    /// Fill an empty database with a sample network (locations, devices, interfaces,
    /// prefixes, IP addresses, VLANs, plugin objects) through the model layer.
    LoadSampleData {
        /// How big: small (~200 locations, 100 devices, 2,000 interfaces and IP
        /// addresses), medium (50 times that) or large (500 times).
        #[arg(long, value_enum, default_value_t = nautobot_sample::Scale::Small)]
        scale: nautobot_sample::Scale,
        /// Succeed without doing anything when the sample network is already loaded
        /// (without it, that is refused like any non-empty database).
        #[arg(long)]
        skip_if_loaded: bool,
    },
    /// Serve one isolated plugin (PLUGINS_ISOLATED) to the server that started this
    /// process, over standard input and output. Not for operators.
    #[command(hide = true)]
    PluginHost {
        /// The plugin's name.
        name: String,
        /// Its library file.
        library: PathBuf,
        /// The digest the library must have (PLUGINS_SHA256).
        #[arg(long)]
        sha256: Option<String>,
    },
    /// Run one job: `runjob <plugin>.<job> --data '{"count": 3}'`.
    Runjob {
        /// The job, `<plugin>.<job>` (its module and class names).
        job: String,
        /// The job's variables as a JSON object.
        #[arg(long, default_value = "{}")]
        data: String,
        /// Run it in this process instead of queuing it for a worker.
        #[arg(long)]
        local: bool,
        /// Roll its changes back whatever happens.
        #[arg(long)]
        dryrun: bool,
        /// The user the job runs as (its permissions apply; the change log names it).
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Subcommand)]
enum PluginsCommand {
    /// List the plugins in PLUGINS with their versions and files.
    List,
    /// Run every load check on a library file and place it in PLUGINS_DIR atomically.
    Install {
        /// The library file (`lib<name>.so`).
        file: PathBuf,
    },
    /// Check a plugin library file and print its digest and manifest.
    Inspect {
        /// The library file.
        file: PathBuf,
        /// Include template sources and static file contents.
        #[arg(long)]
        full: bool,
    },
    /// Write a new plugin crate that builds, loads and tests as it is.
    New {
        /// The plugin's name ([a-z][a-z0-9_]*); also the crate's and folder's name.
        name: String,
        /// Create it in DIR/NAME (default: the current directory).
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
        /// Depend on the nautobot-plugin-abi crate in DIR (and on the test kit in
        /// DIR/../plugin-test) instead of the checkout this server was built from.
        #[arg(long, value_name = "DIR")]
        abi_path: Option<PathBuf>,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let verbose = cli.verbose;
    match run(cli) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("Error: {err}");
            if verbose {
                if let Error::PluginLoad(load) = &err {
                    if let Some(detail) = &load.detail {
                        eprintln!("{detail}");
                    }
                }
            }
            err.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let locator = Locator {
        config: cli.config.clone(),
    };
    match cli.command {
        Command::Init { root } => setup::init(&locator, root),
        Command::PluginHost {
            name,
            library,
            sha256,
        } => {
            init_logging("warn");
            nautobot_plugins::isolated::run_host(&name, &library, sha256.as_deref())
        }
        Command::Plugins {
            command: PluginsCommand::Inspect { file, full },
        } => {
            init_logging("warn");
            plugins::inspect(&file, full)
        }
        Command::Plugins {
            command:
                PluginsCommand::New {
                    name,
                    path,
                    abi_path,
                },
        } => plugins::new(&name, path.as_deref(), abi_path.as_deref()),
        command => {
            let settings = Settings::load(&locator)?;
            init_logging(&settings.log_level);
            for warning in &settings.warnings {
                tracing::warn!("{warning}");
            }
            match command {
                Command::Migrate { app, target } => {
                    database::migrate(&settings, app.as_deref(), target.as_deref())
                }
                Command::Showmigrations => database::showmigrations(&settings),
                Command::ShowUrls { json } => server::show_urls(settings, json),
                Command::Createsuperuser {
                    username,
                    email,
                    password,
                    token,
                } => users::createsuperuser(&settings, username, email, password, token),
                Command::Createuser {
                    username,
                    email,
                    password,
                    permissions,
                    token,
                    read_only_token,
                } => users::createuser(
                    &settings,
                    &username,
                    &email,
                    &password,
                    &permissions,
                    token.as_deref(),
                    !read_only_token,
                ),
                Command::Check => plugins::check(settings),
                Command::Plugins {
                    command: PluginsCommand::List,
                } => plugins::list(&settings),
                Command::Plugins {
                    command: PluginsCommand::Install { file },
                } => plugins::install(&settings, &file),
                Command::Collectstatic { no_input } => {
                    staticfiles::collectstatic(&settings, no_input)
                }
                Command::Start {
                    bind,
                    addrport,
                    workers,
                } => server::start(settings, bind.or(addrport), workers),
                Command::Worker {
                    concurrency,
                    burst,
                    stale_after,
                } => jobs::worker(settings, concurrency, burst, stale_after),
                Command::LoadSampleData {
                    scale,
                    skip_if_loaded,
                } => sample::load_sample_data(settings, scale, skip_if_loaded),
                Command::Runjob {
                    job,
                    data,
                    local,
                    dryrun,
                    username,
                } => jobs::runjob(settings, &job, &data, local, dryrun, &username),
                Command::Init { .. }
                | Command::PluginHost { .. }
                | Command::Plugins {
                    command: PluginsCommand::Inspect { .. } | PluginsCommand::New { .. },
                } => unreachable!("handled above"),
            }
        }
    }
}

/// Prints `text` and a newline on stdout; a closed pipe (`… | head`) is not an error.
fn out(text: impl std::fmt::Display) -> Result<()> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Internal(format!(
            "cannot write to standard output: {e}"
        ))),
        _ => Ok(()),
    }
}

/// Logs to stderr at `level` (`RUST_LOG`, when set, wins).
fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log_writer::EscapingStderr { ansi })
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}
