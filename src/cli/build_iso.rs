//! `kslint build-iso`: the whole pipeline from a media tree to a bootable
//! install image — check, refresh the repodata, patch the boot
//! configurations in the image, master with the embedded engine (no
//! mkisofs, genisoimage, xorriso or createrepo process). A thin shell over
//! [`crate::build::pipeline`].

use std::io::IsTerminal;
use std::path::PathBuf;

use super::report::{self, Color};
use crate::build::pipeline::{self, BuildError, Event};
use crate::build::{BuildOptions, RepodataMode};

#[derive(clap::Args, Debug, Clone)]
pub struct BuildIsoArgs {
    /// Media tree to master; it becomes the image root (default: current directory)
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,

    /// Image to write (written to a temporary file next to it, then renamed)
    #[arg(short = 'o', long = "output", value_name = "OUT.iso")]
    pub output: PathBuf,

    /// Volume id (the LABEL= the boot configurations search for). Default: the LABEL=
    /// in the tree's boot configurations, else .treeinfo/.discinfo, else "CDROM".
    /// Given, the labels of the boot configurations in the image follow it
    #[arg(long, value_name = "ID")]
    pub volume_id: Option<String>,

    /// Kickstart in the image (e.g. ks/ks.cfg): every installer entry of isolinux.cfg,
    /// EFI/BOOT/grub.cfg, boot/grub2/grub.cfg and images/efiboot.img gets
    /// inst.ks=hd:LABEL=<volume id>:/<PATH> and inst.stage2=hd:LABEL=<volume id>
    /// (in the image only; the tree is not modified)
    // The text is `--help`'s, where `<volume id>` is no HTML tag.
    #[allow(rustdoc::invalid_html_tags)]
    #[arg(long, value_name = "PATH")]
    pub ks: Option<String>,

    /// Kernel argument for every boot entry in the image (KEY=VALUE replaces KEY=…); repeatable
    #[arg(long = "add-arg", value_name = "ARG")]
    pub add_arg: Vec<String>,

    /// Kernel argument removed from every boot entry in the image (KEY: every KEY and
    /// KEY=…; KEY=VALUE: that one); repeatable
    #[arg(long = "remove-arg", value_name = "ARG")]
    pub remove_arg: Vec<String>,

    /// Build even when the checks find errors
    #[arg(long)]
    pub force: bool,

    /// When to make the repodata again (into the image only; the tree keeps its own)
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = RepodataMode::Auto)]
    pub repodata: RepodataMode,

    /// Comps file for the repodata's group records (default: as `kslint repo` finds it)
    #[arg(short = 'g', long, value_name = "COMPS")]
    pub comps: Option<PathBuf>,

    /// BIOS boot image inside the tree (default: isolinux.bin or isolinux/isolinux.bin)
    #[arg(long, value_name = "PATH")]
    pub boot_image: Option<String>,

    /// Where the El Torito boot catalog goes in the image (default: boot.cat beside the boot image)
    #[arg(long, value_name = "PATH")]
    pub boot_catalog: Option<String>,

    /// UEFI boot image inside the tree (default: images/efiboot.img when present)
    #[arg(long, value_name = "PATH")]
    pub efi_image: Option<String>,

    /// No UEFI boot entry even if an EFI image is present
    #[arg(long)]
    pub bios_only: bool,

    /// No boot entries at all (a plain data image)
    #[arg(long, conflicts_with_all = ["boot_image", "efi_image", "bios_only"])]
    pub no_boot: bool,

    /// 512-byte sectors the BIOS loads from the boot image
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub boot_load_size: u16,

    /// Do not patch a boot-info-table into the image's copy of the boot image
    #[arg(long)]
    pub no_boot_info_table: bool,

    /// No isohybrid MBR/GPT (the image then boots from optical media only)
    #[arg(long)]
    pub no_hybrid: bool,

    /// MBR boot code for isohybrid (default: isolinux's isohdpfx.bin when installed)
    #[arg(long, value_name = "FILE")]
    pub isohybrid_mbr: Option<PathBuf>,

    /// Do not implant the media check MD5 (checkisomd5 / "Test this media")
    #[arg(long)]
    pub no_implant_md5: bool,

    /// Write a Joliet tree (the default)
    #[arg(long, overrides_with = "no_joliet")]
    pub joliet: bool,

    /// No Joliet tree
    #[arg(long, overrides_with = "joliet")]
    pub no_joliet: bool,

    /// Write a TRANS.TBL in every directory (like mkisofs -T)
    #[arg(long)]
    pub trans_tbl: bool,

    /// ISO 9660 level (1, 2 or 3; 3 allows files of 4 GiB and more)
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub iso_level: u8,

    /// Fixed time for all dates (file times later than it are clamped). Default:
    /// the SOURCE_DATE_EPOCH environment variable when set
    #[arg(long, value_name = "SECONDS")]
    pub source_date_epoch: Option<i64>,

    /// Reproducible output even without SOURCE_DATE_EPOCH: use the newest file time of the tree
    #[arg(long)]
    pub reproducible: bool,

    /// Publisher id recorded in the volume descriptor
    #[arg(long, value_name = "TEXT")]
    pub publisher: Option<String>,

    /// fsync the image before renaming it into place
    #[arg(long)]
    pub fsync: bool,

    /// No progress bar and no summary
    #[arg(short, long)]
    pub quiet: bool,
}

impl BuildIsoArgs {
    fn options(&self) -> BuildOptions {
        BuildOptions {
            root: self.root.clone(),
            output: self.output.clone(),
            volume_id: self.volume_id.clone(),
            boot_image: self.boot_image.clone(),
            boot_catalog: self.boot_catalog.clone(),
            efi_image: self.efi_image.clone(),
            bios_only: self.bios_only,
            no_boot: self.no_boot,
            boot_load_size: self.boot_load_size,
            boot_info_table: !self.no_boot_info_table,
            hybrid: !self.no_hybrid,
            isohybrid_mbr: self.isohybrid_mbr.clone(),
            implant_md5: !self.no_implant_md5,
            joliet: !self.no_joliet,
            trans_tbl: self.trans_tbl,
            iso_level: self.iso_level,
            source_date_epoch: self.source_date_epoch,
            reproducible: self.reproducible,
            publisher: self.publisher.clone(),
            fsync: self.fsync,
            ks: self.ks.clone(),
            add_args: self.add_arg.clone(),
            remove_args: self.remove_arg.clone(),
            force: self.force,
            check_files: Vec::new(),
            repodata: self.repodata,
            comps: self.comps.clone(),
        }
    }
}

/// Runs `build-iso`. Returns the process exit code; refusals are errors.
pub fn run(args: &BuildIsoArgs) -> anyhow::Result<i32> {
    let options = args.options();
    let quiet = args.quiet;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let terminal = std::io::stderr().is_terminal();
    let mut on_event = |event: Event<'_>| match event {
        Event::Phase(phase, message) => {
            if let Some(bar) = bar.take() {
                bar.finish_and_clear();
            }
            if !quiet {
                eprintln!("build-iso: [{}] {message}", phase.name());
            }
        }
        Event::Note(note) => {
            if !quiet {
                eprintln!("build-iso: {note}");
            }
        }
        Event::Warning(warning) => eprintln!("warning: {warning}"),
        Event::Write(p) => {
            if quiet || !terminal {
                return;
            }
            let bar = bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new(p.total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            bar.set_position(p.done);
            if !p.current.is_empty() {
                bar.set_message(p.current.to_string());
            }
        }
    };
    let result = pipeline::run(&options, &mut on_event, None);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(outcome) => {
            let noisy: Vec<_> = outcome
                .lint
                .into_iter()
                .filter(|a| !a.diagnostics.is_empty())
                .collect();
            if !noisy.is_empty() && !quiet {
                report::human(&noisy, color())?;
            }
            if !quiet {
                eprintln!(
                    "build-iso: wrote {} ({} bytes, volume id {:?}) in {:.1} s{}",
                    args.output.display(),
                    outcome.size,
                    outcome.volume_id,
                    outcome.elapsed.as_secs_f64(),
                    outcome
                        .md5
                        .map(|m| format!(", media check MD5 {m}"))
                        .unwrap_or_default()
                );
            }
            Ok(0)
        }
        Err(BuildError::Blocked(analyses)) => {
            let count = pipeline::count_errors(&analyses);
            let blocking: Vec<_> = analyses
                .into_iter()
                .filter(|a| !a.diagnostics.is_empty())
                .collect();
            report::human(&blocking, color())?;
            eprintln!(
                "error: build-iso refused: the checks found {count} error(s); fix them or pass --force"
            );
            Ok(1)
        }
        Err(BuildError::Cancelled) => anyhow::bail!("cancelled"),
        Err(BuildError::Failed(error)) => Err(error),
    }
}

fn color() -> Color {
    if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Color::Always
    } else {
        Color::Never
    }
}
