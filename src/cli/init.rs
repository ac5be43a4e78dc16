//! `kslint init`: lay out a media tree (seed layout) from a stock image.

use std::path::PathBuf;

use super::exit;
use crate::assemble::init::{self, InitOptions};

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The stock install image (read in place, no mount) or an extracted/mounted directory
    #[arg(long, value_name = "DVD.iso")]
    from: PathBuf,
    /// The project directory to lay out (default: current directory)
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Use this kickstart as ks/ks.cfg instead of the starter one
    #[arg(long, value_name = "FILE")]
    ks: Option<PathBuf>,
    /// Lay the tree out again even if DIR already has a kslint.toml
    #[arg(long)]
    force: bool,
    /// No progress bar and no summary
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: &InitArgs) -> u8 {
    let options = InitOptions {
        from: args.from.clone(),
        dir: args.dir.clone(),
        ks: args.ks.clone(),
        force: args.force,
        quiet: args.quiet,
    };
    match init::run(&options) {
        Ok(report) => {
            if !args.quiet {
                eprintln!(
                    "init: copied {} file(s), {} bytes, into {}",
                    report.files,
                    report.bytes,
                    report.root.display()
                );
                if let Some(id) = &report.volume_id {
                    eprintln!("init: volume id {id:?}");
                }
                if let Some(version) = report.syntax {
                    eprintln!("init: syntax version {}", version.name());
                }
                if let Some(comps) = &report.comps {
                    eprintln!("init: comps {}", comps.display());
                }
                eprintln!("init: kickstart {}", report.kickstart.display());
                for note in &report.notes {
                    eprintln!("note: {note}");
                }
                eprintln!(
                    "next: edit the kickstart, then run `kslint collect {}`",
                    args.dir.display()
                );
            }
            exit::CLEAN
        }
        Err(error) => {
            eprintln!("error: {error}");
            exit::FAILURE
        }
    }
}
