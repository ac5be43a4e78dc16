//! `kslint collect`: copy the RPMs the kickstart needs into `Packages/`.

use std::path::PathBuf;

use super::exit;
use crate::assemble::collect::{self, CollectOptions};

#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    /// The project directory made by `kslint init` (default: current directory)
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// The kickstart (default: ks/ks.cfg of the ISO root)
    #[arg(long, value_name = "FILE")]
    ks: Option<PathBuf>,
    /// The stock image or directory (default: [source] image of kslint.toml)
    #[arg(long, value_name = "DVD.iso")]
    from: Option<PathBuf>,
    /// Also copy the RPMs in DIR (e.g. your product RPMs) and their dependencies
    #[arg(long, value_name = "DIR")]
    add: Vec<PathBuf>,
    /// Also install the packages of an `rpm -qa` list (entries not on the image are reported)
    #[arg(long, value_name = "install.log")]
    from_list: Option<PathBuf>,
    /// Explain why a package is in the set (which entry or dependency pulled it in)
    #[arg(long, value_name = "PKG")]
    why: Vec<String>,
    /// Remove RPMs from Packages/ that the set no longer needs
    #[arg(long)]
    prune: bool,
    /// Report what would be copied and removed; change nothing
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// List every RPM copied (by default only when there are at most 30)
    #[arg(short, long)]
    verbose: bool,
    /// No progress bar and no summary (problems are still printed)
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
}

pub fn run(args: &CollectArgs) -> u8 {
    let options = CollectOptions {
        dir: args.dir.clone(),
        ks: args.ks.clone(),
        from: args.from.clone(),
        add: args.add.clone(),
        from_list: args.from_list.clone(),
        why: args.why.clone(),
        prune: args.prune,
        dry_run: args.dry_run,
        quiet: args.quiet,
    };
    let report = match collect::run(&options) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return exit::FAILURE;
        }
    };
    for answer in &report.why {
        println!("{answer}");
    }
    let verb = if args.dry_run { "would copy" } else { "copied" };
    if !args.quiet {
        eprintln!(
            "collect: {} package(s) needed ({} selected, {} dependencies); {verb} {} ({} bytes), {} already present",
            report.needed.len(),
            report.direct,
            report.dependencies,
            report.copied.len(),
            report.copied_bytes,
            report.present
        );
        if args.verbose || report.copied.len() <= 30 {
            for name in &report.copied {
                eprintln!("  + {name}");
            }
        }
    }
    if !report.not_needed.is_empty() {
        if report.pruned {
            eprintln!(
                "collect: removed {} RPM(s) no longer needed:",
                report.not_needed.len()
            );
        } else {
            eprintln!(
                "collect: {} RPM(s) no longer needed (remove them with --prune):",
                report.not_needed.len()
            );
        }
        for name in &report.not_needed {
            eprintln!("  - {name}");
        }
    }
    for (listed, taken) in &report.other_version {
        eprintln!("collect: {listed} is on the image as {taken}");
    }
    if !report.not_on_image.is_empty() {
        eprintln!(
            "collect: {} list entr(y/ies) not on the image:",
            report.not_on_image.len()
        );
        for entry in &report.not_on_image {
            eprintln!("  ? {entry}");
        }
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    for problem in &report.unresolved {
        eprintln!("unresolved: {problem}");
    }
    if report.has_unresolved() {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}
