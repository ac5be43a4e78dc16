//! `kslint build-iso`: master a bootable install image from a media tree
//! with the embedded engine (no mkisofs, genisoimage or xorriso process).

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::build::{self, BuildOptions};
use crate::iso::{self, Control};

#[derive(clap::Args, Debug, Clone)]
pub struct BuildIsoArgs {
    /// Media tree to master; it becomes the image root (default: current directory)
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,

    /// Image to write (written to a temporary file next to it, then renamed)
    #[arg(short = 'o', long = "output", value_name = "OUT.iso")]
    pub output: PathBuf,

    /// Volume id (the LABEL= the boot configurations search for). Default: the LABEL=
    /// in the tree's boot configurations, else .treeinfo/.discinfo, else "CDROM"
    #[arg(long, value_name = "ID")]
    pub volume_id: Option<String>,

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
        }
    }
}

/// Runs `build-iso`. Returns the process exit code; refusals are errors.
pub fn run(args: &BuildIsoArgs) -> anyhow::Result<i32> {
    let plan = build::plan(&args.options())?;
    let image = plan.image;
    for warning in &plan.warnings {
        eprintln!("warning: {warning}");
    }
    if !args.quiet {
        for line in &plan.notes {
            eprintln!("build-iso: {line}");
        }
        for note in image.notes() {
            eprintln!("note: {note}");
        }
        if !image.renamed().is_empty() {
            eprintln!(
                "note: {} name(s) got a numbered ISO 9660 name to stay unique (Rock Ridge and Joliet keep the real names), e.g. {} -> {}",
                image.renamed().len(),
                image.renamed()[0].path,
                image.renamed()[0].iso_name
            );
        }
    }
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(image.size());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut on_progress = |p: &iso::Progress<'_>| {
        if let Some(bar) = &bar {
            bar.set_position(p.done);
            if !p.current.is_empty() {
                bar.set_message(p.current.to_string());
            }
        }
    };
    let mut ctl = Control {
        progress: Some(&mut on_progress),
        cancel: None,
    };
    let report = image
        .write_file(&plan.output, &mut ctl)
        .map_err(anyhow::Error::new)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if !args.quiet {
        eprintln!(
            "build-iso: wrote {} ({} bytes){}",
            args.output.display(),
            report.size,
            report
                .md5
                .map(|m| format!(", media check MD5 {m}"))
                .unwrap_or_default()
        );
    }
    Ok(0)
}
