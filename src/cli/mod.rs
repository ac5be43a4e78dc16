//! The `kslint` command line: a thin shell over [`crate::analysis`].

pub mod build_iso;
mod check;
pub mod collect;
pub mod init;
pub mod media;
pub mod repo;
mod report;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::rules;

/// Exit statuses CI can rely on.
pub mod exit {
    /// No error-severity diagnostic (and no warning under `--deny-warnings`).
    pub const CLEAN: u8 = 0;
    /// At least one diagnostic that fails the check.
    pub const FINDINGS: u8 = 1;
    /// Usage or I/O error: the check could not run.
    pub const FAILURE: u8 = 2;
}

#[derive(Parser, Debug)]
#[command(
    name = "kslint",
    version,
    about = "Check kickstart files and the install media they drive",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Lint kickstart files (directories: every kickstart below them).
    Check(check::CheckArgs),
    /// Build a bootable ISO image (BIOS + UEFI, hybrid for USB) from a media tree:
    /// check, refresh the repodata, patch the boot configurations in the image, master.
    BuildIso(Box<build_iso::BuildIsoArgs>),
    /// Lay out a media tree (seed layout) from a stock install image, without mounting it.
    Init(init::InitArgs),
    /// Copy the RPMs the kickstart's %packages needs (with dependencies) into Packages/.
    Collect(collect::CollectArgs),
    /// Print the explanation of a rule.
    Explain {
        /// Rule code (KS0001) or name (unclosed-section).
        rule: String,
    },
    /// Run the language server over stdin/stdout.
    Lsp {
        /// Accepted for clients that always pass it (stdio is the only transport).
        #[arg(long)]
        stdio: bool,
    },
    /// Inspect install media on its own (`check`, `info`).
    #[command(subcommand)]
    Media(media::MediaCommand),
    /// Make or update the repodata of an install tree (like `createrepo_c -g`).
    Repo(repo::RepoArgs),
    /// List all rules.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Human,
    Json,
    /// The index page of docs/rules (README.md).
    Markdown,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            let code = if error.use_stderr() {
                exit::FAILURE
            } else {
                exit::CLEAN
            };
            return ExitCode::from(code);
        }
    };
    if matches!(
        cli.command,
        Command::BuildIso(_) | Command::Repo(_) | Command::Lsp { .. }
    ) {
        // Temporary outputs (images, also those of the server's Build ISO
        // command, and repodata) are removed on SIGINT/SIGTERM/SIGHUP, and
        // a file size limit becomes a write error (see `crate::cleanup`).
        if let Err(error) = crate::cleanup::install() {
            eprintln!("warning: cannot install signal handlers: {error}");
        }
    }
    let code = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::BuildIso(args) => match build_iso::run(&args) {
            Ok(code) => u8::try_from(code).unwrap_or(exit::FAILURE),
            Err(error) => {
                eprintln!("error: {error:#}");
                exit::FAILURE
            }
        },
        Command::Init(args) => init::run(&args),
        Command::Collect(args) => collect::run(&args),
        Command::Explain { rule } => explain(&rule),
        Command::Rules { format } => list_rules(format),
        Command::Media(command) => media::run(&command),
        Command::Repo(args) => repo::run(&args),
        Command::Lsp { stdio: _ } => run_language_server(),
    };
    ExitCode::from(code)
}

fn run_language_server() -> u8 {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => {
            runtime.block_on(crate::lsp::run_stdio());
            // The stdin reader sits in a blocking read that only the client
            // could end; do not wait for it.
            runtime.shutdown_background();
            exit::CLEAN
        }
        Err(error) => {
            eprintln!("error: cannot start the language server runtime: {error}");
            exit::FAILURE
        }
    }
}

fn explain(code_or_name: &str) -> u8 {
    match rules::find(code_or_name) {
        Some(rule) => {
            // A closed pipe (`kslint explain X | head`) is not an error.
            let _ = writeln!(std::io::stdout(), "{}", rule.explanation.trim_end());
            exit::CLEAN
        }
        None => {
            eprintln!("error: no rule named `{code_or_name}`; `kslint rules` lists them all");
            exit::FAILURE
        }
    }
}

fn list_rules(format: ListFormat) -> u8 {
    match format {
        ListFormat::Human => {
            for rule in rules::REGISTRY {
                println!(
                    "{:<7} {:<8} {:<28} {}",
                    rule.code,
                    rule.default_severity.as_str(),
                    rule.name,
                    rule.summary
                );
            }
        }
        ListFormat::Json => {
            let list: Vec<_> = rules::REGISTRY
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "code": rule.code,
                        "name": rule.name,
                        "severity": rule.default_severity.as_str(),
                        "summary": rule.summary,
                    })
                })
                .collect();
            println!("{}", serde_json::json!({ "version": 1, "rules": list }));
        }
        ListFormat::Markdown => print!("{}", rules::markdown_index()),
    }
    exit::CLEAN
}
