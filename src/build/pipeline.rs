//! The whole build, from media tree to image, shared by `kslint build-iso`
//! and the language server's Build ISO command:
//!
//! 1. **lint** — boot configurations are patched in memory when asked
//!    (`--ks`, `--volume-id`, `--add-arg`, `--remove-arg`; see [`patch`]),
//!    then they and the kickstarts they load are checked as they will be on
//!    the disc; error-severity diagnostics stop the build unless forced;
//! 2. **repodata** — stale or missing repodata is made again (reusing the
//!    entries of unchanged RPMs) into a staging directory beside the output;
//! 3. **master** — the image is written from the tree with the patched
//!    files, the new repodata and a corrected `.treeinfo` laid over it;
//! 4. **implant md5** — the media check sum goes into the image.
//!
//! The media tree is only read: everything that differs on the disc comes
//! from memory or from the staging directory, which is removed afterwards.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::analysis::{self, Analysis, CheckOptions};
use crate::boot::cmdline::{source_option, SourceOption, SourceSpec};
use crate::boot::media::{self as boot_media, EfiImage};
use crate::boot::model::Loader;
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::iso::{self, Control, FileSource, Meta};
use crate::media::{LayoutKind, MediaIndex, MediaLayout};
use crate::repo::{self, GroupSource, RepoOptions, RepoSummary};
use crate::source::{FileId, SourceFile};

use super::efiboot;
use super::patch::{self, Patch};
use super::treeinfo;
use super::{BuildOptions, Overlay, RepodataMode};

/// The phases a build reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Lint,
    Repodata,
    Master,
    ImplantMd5,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Lint => "lint",
            Phase::Repodata => "repodata",
            Phase::Master => "master",
            Phase::ImplantMd5 => "implant md5",
        }
    }
}

/// What a running build tells its caller.
pub enum Event<'a> {
    /// A phase starts.
    Phase(Phase, String),
    /// A decision or a change worth showing.
    Note(String),
    Warning(String),
    /// Bytes of the image written.
    Write(&'a iso::Progress<'a>),
}

/// A finished build.
#[derive(Debug)]
pub struct Outcome {
    pub output: PathBuf,
    pub size: u64,
    pub md5: Option<String>,
    pub volume_id: String,
    pub elapsed: Duration,
    /// Image paths whose content differs from the tree.
    pub patched: Vec<String>,
    pub repodata: Vec<RepoSummary>,
    /// The checks, with whatever they found (nothing blocking unless forced).
    pub lint: Vec<Analysis>,
}

/// Why there is no image.
#[derive(Debug)]
pub enum BuildError {
    /// Error-severity diagnostics; the analyses hold them.
    Blocked(Vec<Analysis>),
    Cancelled,
    Failed(anyhow::Error),
}

impl BuildError {
    /// Number of error diagnostics when blocked.
    pub fn error_count(&self) -> usize {
        match self {
            BuildError::Blocked(analyses) => count_errors(analyses),
            _ => 0,
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Blocked(analyses) => {
                let files: Vec<String> = analyses
                    .iter()
                    .filter(|a| a.has_errors())
                    .map(|a| a.sources.get(a.main).path.display().to_string())
                    .collect();
                write!(
                    f,
                    "{} error(s) in {}; fix them or build with --force",
                    count_errors(analyses),
                    files.join(", ")
                )
            }
            BuildError::Cancelled => f.write_str("cancelled"),
            BuildError::Failed(error) => write!(f, "{error:#}"),
        }
    }
}

impl From<anyhow::Error> for BuildError {
    fn from(error: anyhow::Error) -> Self {
        BuildError::Failed(error)
    }
}

/// Error-severity diagnostics in `analyses`.
pub fn count_errors(analyses: &[Analysis]) -> usize {
    analyses
        .iter()
        .flat_map(|a| &a.diagnostics)
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// A boot configuration as it goes on the disc.
struct BootFile {
    /// Path in the tree (for the EFI image: the image path joined with the
    /// path inside it, as the checks name it).
    source: PathBuf,
    /// Image path (`isolinux/isolinux.cfg`).
    image_path: String,
    loader: Loader,
    text: String,
    patched: bool,
    /// Inside `images/efiboot.img`: the path in the FAT file system.
    efi_inner: Option<&'static str>,
}

/// Removes the staging directory when the build ends, however it ends.
struct Staging(Option<PathBuf>);

impl Staging {
    fn dir(&mut self, next_to: &Path) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &self.0 {
            return Ok(dir.clone());
        }
        let parent = next_to.parent().unwrap_or(Path::new("."));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = parent.join(format!(".kslint-build-{}-{nanos:09}", std::process::id()));
        std::fs::create_dir(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        self.0 = Some(dir.clone());
        Ok(dir)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn check_cancel(cancel: Option<&AtomicBool>) -> Result<(), BuildError> {
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        Err(BuildError::Cancelled)
    } else {
        Ok(())
    }
}

/// Runs the build (see the module documentation).
pub fn run(
    opts: &BuildOptions,
    events: &mut dyn FnMut(Event<'_>),
    cancel: Option<&AtomicBool>,
) -> Result<Outcome, BuildError> {
    let started = Instant::now();
    let root = opts
        .root
        .canonicalize()
        .map_err(|e| anyhow::anyhow!("cannot open the media tree {}: {e}", opts.root.display()))?;
    if !root.is_dir() {
        return Err(anyhow::anyhow!("{} is not a directory", opts.root.display()).into());
    }
    let output = super::absolute(&opts.output)?;
    if output.starts_with(&root) {
        return Err(anyhow::anyhow!(
            "the output {} is inside the tree {}: the image would be written into its own source; write it elsewhere",
            opts.output.display(),
            root.display()
        )
        .into());
    }
    let config = Config::discover(&root)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .unwrap_or_default();
    let (volume_id, said) = super::choose_volume_id(opts, &root);
    events(Event::Note(said));
    if let Some(problem) = crate::boot::volume::volume_id_problems(&volume_id).first() {
        return Err(
            anyhow::anyhow!("the volume id {volume_id:?} cannot be used: {problem}").into(),
        );
    }
    let mut overlay = Overlay::default();
    let mut patched_bytes: HashMap<String, Vec<u8>> = HashMap::new();

    // --- lint (with the boot configurations as they will be) ------------
    events(Event::Phase(
        Phase::Lint,
        "checking the boot configurations and kickstarts".into(),
    ));
    let kickstart = match &opts.ks {
        Some(ks) => {
            let relative = ks.trim_start_matches('/').to_string();
            let found = boot_media::resolve(&root, &relative)
                .filter(|p| p.is_file())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--ks {ks}: no such file in the media tree {}",
                        root.display()
                    )
                })?;
            Some((relative, found))
        }
        None => None,
    };
    let patch = Patch {
        volume_id: volume_id.clone(),
        relabel: opts.volume_id.is_some() || opts.ks.is_some(),
        kickstart: kickstart.as_ref().map(|(relative, _)| relative.clone()),
        add: opts.add_args.clone(),
        remove: opts.remove_args.clone(),
    };
    for arg in patch.add.iter().chain(&patch.remove) {
        if arg.is_empty() || arg.chars().any(|c| c.is_whitespace() || c == '"') {
            return Err(anyhow::anyhow!(
                "{arg:?} is not one kernel argument (no spaces or quotes; repeat the option for several)"
            )
            .into());
        }
    }
    let boot_files = boot_files(&root, &patch, &mut overlay, &mut patched_bytes, events)?;
    if patch.kickstart.is_some() && !boot_files.iter().any(|f| f.text.contains("inst.ks=")) {
        return Err(anyhow::anyhow!(
            "--ks: no boot entry of {} loads a kernel to give `inst.ks=` to",
            root.display()
        )
        .into());
    }
    let mut check_config = config.clone();
    check_config.iso.volume_id = Some(volume_id.clone());
    // Each configuration is checked against the others as they will be
    // on the disc.
    let open_files: HashMap<PathBuf, Arc<str>> = boot_files
        .iter()
        .filter(|f| f.patched)
        .map(|f| (f.source.clone(), Arc::from(f.text.as_str())))
        .collect();
    let check = CheckOptions {
        syntax: None,
        media: Some(root.clone()),
        shellcheck: check_config.shellcheck().flatten(),
        config: check_config,
        open_files: Arc::new(open_files),
        memo: None,
    };
    let mut analyses = Vec::new();
    for file in &boot_files {
        let source = SourceFile::new(file.source.clone(), file.text.as_str());
        let analysis = match file.efi_inner {
            Some(_) => crate::boot::analyze_efi_config(&root, source, &check),
            None => crate::boot::analyze(source, &check),
        };
        analyses.push(analysis);
    }
    if !boot_files.iter().any(|f| f.efi_inner.is_some()) {
        analyses.extend(crate::boot::analyze_efi_image(&root, &check));
    }
    let mut kickstarts: Vec<PathBuf> = kickstart.iter().map(|(_, p)| p.clone()).collect();
    for file in &boot_files {
        for path in kickstarts_loaded(&root, file) {
            if !kickstarts.contains(&path) {
                kickstarts.push(path);
            }
        }
    }
    for path in &opts.check_files {
        let path = path.canonicalize().unwrap_or_else(|_| path.clone());
        if !kickstarts
            .iter()
            .any(|k| k.canonicalize().ok().as_ref() == Some(&path))
        {
            kickstarts.push(path);
        }
    }
    for path in &kickstarts {
        let analysis = analysis::analyze_path(path, &check)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        analyses.push(analysis);
    }
    if opts.repodata != RepodataMode::Never {
        // Repodata that does not describe Packages/ is made again below.
        for analysis in &mut analyses {
            analysis
                .diagnostics
                .retain(|d| d.rule.code != crate::rules::packages::STALE_REPODATA.code);
        }
    }
    let errors = count_errors(&analyses);
    if errors > 0 {
        if !opts.force {
            return Err(BuildError::Blocked(analyses));
        }
        events(Event::Warning(format!(
            "building despite {errors} error(s) (--force)"
        )));
    }
    check_cancel(cancel)?;

    // --- repodata -------------------------------------------------------
    let mut staging = Staging(None);
    let mut summaries = Vec::new();
    if opts.repodata != RepodataMode::Never {
        let comps = opts
            .comps
            .clone()
            .or_else(|| config.media.comps.as_ref().map(|p| config.resolve(p)));
        let layout = MediaLayout::at(&root, comps)
            .ok_or_else(|| anyhow::anyhow!("cannot read {}", root.display()))?;
        let bases: Vec<PathBuf> = layout
            .repos
            .iter()
            .filter(|r| r.packages.is_some())
            .map(|r| r.base.clone())
            .collect();
        let needs_index = opts.repodata == RepodataMode::Auto
            && layout
                .repos
                .iter()
                .any(|r| r.packages.is_some() && r.repomd.is_some());
        let index = needs_index.then(|| MediaIndex::load(layout.clone()));
        let group = match &layout.comps {
            Some(path) => GroupSource::File(path.clone()),
            None => GroupSource::Existing,
        };
        let mut any = false;
        for (n, repo_dir) in layout
            .repos
            .iter()
            .filter(|r| r.packages.is_some())
            .enumerate()
        {
            let repomd = repo_dir.base.join("repodata").join("repomd.xml");
            let reason = match (&repo_dir.repomd, opts.repodata, &index) {
                (_, RepodataMode::Always, _) => Some("--repodata always".to_string()),
                (None, _, _) => Some("no repodata/".to_string()),
                (Some(_), _, Some(index)) => index
                    .stale
                    .iter()
                    .find(|s| s.path == repomd)
                    .map(|s| s.message.clone()),
                _ => None,
            };
            let relative = image_path(&root, &repo_dir.base);
            let shown = if relative.is_empty() { "." } else { &relative };
            let Some(reason) = reason else {
                events(Event::Note(format!("repodata of {shown} is up to date")));
                continue;
            };
            if !any {
                events(Event::Phase(
                    Phase::Repodata,
                    format!("making the repodata of {shown}"),
                ));
                any = true;
            }
            events(Event::Note(format!("repodata of {shown}: {reason}")));
            let stage = staging.dir(&output)?.join(format!("repo-{n}"));
            let options = RepoOptions {
                group: group.clone(),
                update: true,
                revision: opts.source_date_epoch.map(|t| t.to_string()),
                exclude: bases
                    .iter()
                    .filter(|b| **b != repo_dir.base)
                    .cloned()
                    .collect(),
                output: Some(stage.clone()),
                // The module metadata `init`/`collect` keep in the project.
                modules: Some(config.base_dir.as_path())
                    .filter(|dir| !dir.as_os_str().is_empty())
                    .and_then(|dir| {
                        crate::cli::repo::project_modules(dir, &layout.root, &repo_dir.base)
                    }),
                // Read only: the staged repodata is not cached.
                cache: repo::cache::default_root(),
                ..RepoOptions::default()
            };
            let summary = repo::generate(&repo_dir.base, &options)
                .map_err(|e| anyhow::anyhow!("repodata: {e}"))?;
            events(Event::Note(format!(
                "repodata of {shown}: {} package(s), {} read, {} reused{}",
                summary.packages,
                summary.read,
                summary.reused,
                summary
                    .group
                    .as_deref()
                    .map(|g| format!(", groups from {g}"))
                    .unwrap_or_default()
            )));
            let repodata_path = join_image(&relative, "repodata");
            overlay.remove.push(repodata_path.clone());
            let mut names: Vec<_> = std::fs::read_dir(&summary.repodata)
                .map_err(|e| anyhow::anyhow!("{}: {e}", summary.repodata.display()))?
                .flatten()
                .collect();
            names.sort_by_key(|e| e.file_name());
            for entry in names {
                let path = entry.path();
                let md = entry
                    .metadata()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                overlay.files.push((
                    join_image(&repodata_path, &name),
                    FileSource::Path {
                        path,
                        size: md.len(),
                        identity: None,
                        modified: Some((md.mtime(), md.mtime_nsec())),
                    },
                    Some(Meta {
                        mode: 0o644,
                        uid: 0,
                        gid: 0,
                        mtime: md.mtime(),
                    }),
                ));
            }
            summaries.push(summary);
            check_cancel(cancel)?;
        }
        if layout.kind == LayoutKind::Seed && bases.is_empty() {
            events(Event::Note("no Packages/ in the tree: no repodata".into()));
        }
    }

    // --- .treeinfo ------------------------------------------------------
    if let Some(path) = boot_media::resolve(&root, ".treeinfo").filter(|p| p.is_file()) {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let exists = |p: &str| {
            let p = p.trim_start_matches('/');
            patched_bytes.contains_key(p) || boot_media::resolve(&root, p).is_some()
        };
        let update = treeinfo::update(&text, &exists, &patched_bytes).map_err(|errors| {
            anyhow::anyhow!(
                "{}",
                errors
                    .iter()
                    .map(|e| format!("{}/{e}", root.display()))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })?;
        for note in update.notes {
            events(Event::Note(note));
        }
        if let Some(new) = update.text {
            let image = image_path(&root, &path);
            overlay.add_bytes(image, new.into_bytes());
        }
    }
    check_cancel(cancel)?;

    // --- master ---------------------------------------------------------
    events(Event::Phase(
        Phase::Master,
        format!("writing {}", output.display()),
    ));
    let plan = super::plan_with(opts, &overlay)?;
    for warning in &plan.warnings {
        events(Event::Warning(warning.clone()));
    }
    for note in plan.notes.iter().chain(plan.image.notes()) {
        events(Event::Note(note.clone()));
    }
    let mut implant_said = false;
    let implant = opts.implant_md5;
    let write = {
        let mut on_progress = |p: &iso::Progress<'_>| {
            events(Event::Write(p));
            if implant && !implant_said && p.done >= p.total {
                implant_said = true;
                events(Event::Phase(
                    Phase::ImplantMd5,
                    "implanting the media check MD5".into(),
                ));
            }
        };
        let mut control = Control {
            progress: Some(&mut on_progress),
            cancel,
        };
        plan.image.write_file(&plan.output, &mut control)
    };
    let report = match write {
        Ok(report) => report,
        Err(_) if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) => {
            return Err(BuildError::Cancelled)
        }
        Err(error) => return Err(anyhow::Error::new(error).into()),
    };
    let mut patched: Vec<String> = overlay.files.iter().map(|(p, _, _)| p.clone()).collect();
    patched.sort();
    Ok(Outcome {
        output: plan.output,
        size: report.size,
        md5: report.md5,
        volume_id,
        elapsed: started.elapsed(),
        patched,
        repodata: summaries,
        lint: analyses,
    })
}

/// The boot configurations of the tree, patched when asked; changed ones
/// go into the overlay.
fn boot_files(
    root: &Path,
    patch: &Patch,
    overlay: &mut Overlay,
    patched_bytes: &mut HashMap<String, Vec<u8>>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<BootFile>, BuildError> {
    let mut files = Vec::new();
    let mut seen: BTreeMap<PathBuf, ()> = BTreeMap::new();
    for (place, _) in boot_media::CONFIG_PLACES {
        let Some(found) = boot_media::resolve(root, place).filter(|p| p.is_file()) else {
            continue;
        };
        let canonical = found.canonicalize().unwrap_or_else(|_| found.clone());
        if seen.insert(canonical, ()).is_some() {
            continue;
        }
        let bytes = std::fs::read(&found)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", found.display()))?;
        let image = image_path(root, &found);
        let Ok(text) = String::from_utf8(bytes) else {
            if !patch.is_empty() {
                return Err(anyhow::anyhow!(
                    "{}: not UTF-8 text; cannot patch it",
                    found.display()
                )
                .into());
            }
            continue;
        };
        let loader = crate::boot::loader_for(&found, &text).unwrap_or(Loader::Syslinux);
        let mut file = BootFile {
            source: found.clone(),
            image_path: image.clone(),
            loader,
            text,
            patched: false,
            efi_inner: None,
        };
        apply_patch(&mut file, patch, events)?;
        if file.patched {
            overlay.add_bytes(file.image_path.clone(), file.text.clone().into_bytes());
            patched_bytes.insert(file.image_path.clone(), file.text.clone().into_bytes());
        }
        files.push(file);
    }
    if patch.is_empty() {
        return Ok(files);
    }
    let Some(image) = boot_media::resolve(root, boot_media::EFI_IMAGE).filter(|p| p.is_file())
    else {
        return Ok(files);
    };
    let image_bytes = std::fs::read(&image)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", image.display()))?;
    match crate::boot::media::read_efi_image_bytes(image_bytes.clone()) {
        EfiImage::Config { inner, bytes } => {
            let text = String::from_utf8(bytes).map_err(|_| {
                anyhow::anyhow!(
                    "{}/{inner}: not UTF-8 text; cannot patch it",
                    image.display()
                )
            })?;
            let loader = crate::boot::loader_for(Path::new(inner), &text).unwrap_or(Loader::Grub2);
            let image_path_str = image_path(root, &image);
            let mut file = BootFile {
                source: image.join(inner),
                image_path: format!("{image_path_str}/{inner}"),
                loader,
                text,
                patched: false,
                efi_inner: Some(inner),
            };
            apply_patch(&mut file, patch, events)?;
            if file.patched {
                let new = efiboot::replace_file(&image_bytes, inner, file.text.as_bytes())
                    .map_err(|e| anyhow::anyhow!("{}: {e}", image.display()))?;
                patched_bytes.insert(image_path_str.clone(), new.clone());
                overlay.add_bytes(image_path_str, new);
            }
            files.push(file);
        }
        EfiImage::NoConfig => events(Event::Warning(format!(
            "{} holds no GRUB configuration: nothing to patch in it",
            image.display()
        ))),
        EfiImage::Unreadable(why) => {
            return Err(anyhow::anyhow!("{}: cannot patch: {why}", image.display()).into())
        }
    }
    Ok(files)
}

fn apply_patch(
    file: &mut BootFile,
    patch: &Patch,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(), BuildError> {
    if patch.is_empty() {
        return Ok(());
    }
    let out = patch::patch_config(&file.image_path, &file.text, file.loader, patch)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for change in out.changes {
        events(Event::Note(format!("patched {change}")));
    }
    if out.text != file.text {
        file.text = out.text;
        file.patched = true;
    }
    Ok(())
}

/// Kickstarts on the disc that `inst.ks=` arguments of `file` load.
fn kickstarts_loaded(root: &Path, file: &BootFile) -> Vec<PathBuf> {
    let parsed = crate::boot::parse(FileId(0), &file.text, file.loader);
    let mut out = Vec::new();
    for word in parsed.config.all_args() {
        if source_option(word) != Some(SourceOption::Kickstart) {
            continue;
        }
        let Some(spec) = SourceSpec::parse(word, SourceOption::Kickstart) else {
            continue;
        };
        let Some(range) = spec.path else { continue };
        let relative = word.value[range].trim_start_matches('/').to_string();
        if let Some(path) = boot_media::resolve(root, &relative).filter(|p| p.is_file()) {
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// `path` below `root` as an image path (`isolinux/isolinux.cfg`).
fn image_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .trim_start_matches('/')
        .to_string()
}

fn join_image(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}
