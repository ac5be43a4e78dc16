//! `kslint lsp`: the language server, a thin shell over [`crate::analysis`]
//! and [`crate::ide`]. It owns open documents (ropes and their last syntax
//! tree), converts positions in the negotiated encoding, and publishes the
//! same diagnostics `kslint check` prints, tagged with the document version
//! they were computed for.

pub(crate) mod convert;
mod framing;
mod publish;
pub mod text;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ropey::Rope;
use serde::Deserialize;
use serde_json::Value;
use tower_lsp::jsonrpc::{Error, Result};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer, LspService, Server};
use tree_sitter::Tree;

use crate::analysis::{self, Analysis, CheckOptions};
use crate::catalog::SyntaxVersion;
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::ide;
use crate::memo::Memo;
use crate::rules;
use crate::source::{ColumnUnit, SourceFile, TextRange};

/// Commands the server executes (`workspace/executeCommand`).
pub const BUILD_ISO_COMMAND: &str = "kslint.buildIso";

/// Settings an editor passes in `initializationOptions` or answers to
/// `workspace/configuration` for the section `kslint`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Syntax version (`RHEL7`, `F40`, …); `kslint.toml` and the file decide otherwise.
    pub syntax: Option<String>,
    /// Root of the install media tree.
    pub media_root: Option<PathBuf>,
    /// Rule severities by code or name: `off`, `hint`, `info`, `warning`, `error`.
    pub rules: HashMap<String, String>,
    /// Run shellcheck on script sections (when installed).
    pub shellcheck: Option<bool>,
    /// Rule documentation URL with `{code}`.
    pub docs_url: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Language {
    Kickstart,
    /// isolinux.cfg, syslinux.cfg, grub.cfg.
    BootConfig,
}

struct Document {
    rope: Rope,
    version: i32,
    language: Language,
    /// The last tree, edited along with every change since it was parsed.
    tree: Option<Tree>,
    /// The analysis of `version`, once computed.
    analysis: Option<(i32, Arc<Analysis>)>,
    /// Which opening of the URI this is: a client may close and reopen a
    /// document with the same version number while an analysis of the old
    /// text is still running.
    opening: u64,
    /// Findings of earlier versions that the next analysis may reuse.
    memo: Arc<Memo>,
    /// The JSON of the diagnostics last published, reused by the next
    /// publish for those that did not change.
    fragments: Arc<publish::Fragments>,
}

#[derive(Default)]
struct State {
    documents: HashMap<Url, Document>,
    unit: Option<ColumnUnit>,
    settings: Settings,
    supports_configuration: bool,
    supports_watch_registration: bool,
    supports_progress: bool,
    supports_snippets: bool,
    supports_link_tooltips: bool,
    /// Counts `didOpen`s, for [`Document::opening`].
    openings: u64,
    /// Notices already shown to the user (e.g. shellcheck cannot be run).
    notified: std::collections::HashSet<String>,
    /// Cancel flags of running ISO builds, by progress token.
    builds: HashMap<NumberOrString, Arc<std::sync::atomic::AtomicBool>>,
}

impl State {
    fn unit(&self) -> ColumnUnit {
        self.unit.unwrap_or(ColumnUnit::Utf16CodeUnits)
    }

    /// After settings or files on disk changed, findings are computed anew.
    fn forget_memos(&mut self) {
        for document in self.documents.values() {
            document.memo.clear();
        }
    }
}

#[derive(Clone)]
pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
    /// Over stdio, diagnostics are serialised here and sent past tower-lsp
    /// (see [`framing::Outbox`]); `None` sends them through `client`.
    outbox: Option<framing::Outbox>,
}

/// The service with kslint's extra notification handlers; diagnostics are
/// published through its client socket.
pub fn service() -> (LspService<Backend>, tower_lsp::ClientSocket) {
    service_with(None)
}

/// The service, publishing diagnostics through `outbox` when given.
fn service_with(outbox: Option<framing::Outbox>) -> (LspService<Backend>, tower_lsp::ClientSocket) {
    LspService::build(move |client| Backend {
        outbox,
        ..Backend::new(client)
    })
    .custom_method("window/workDoneProgress/cancel", Backend::cancel_progress)
    .custom_method("kslint/documentText", Backend::document_text)
    .custom_method(framing::INVALID_MESSAGE_METHOD, Backend::invalid_message)
    .finish()
}

/// Runs the server on stdin/stdout until the client exits.
pub async fn run_stdio() {
    let (outbox, queued) = framing::Outbox::new();
    let (service, socket) = service_with(Some(outbox.clone()));
    // One message at a time keeps edits in order; the slow work (analysis,
    // ISO builds) runs in spawned tasks, so the queue never waits on it.
    let (checked, server_input) = tokio::io::duplex(1 << 16);
    let (server_output, answers) = tokio::io::duplex(1 << 16);
    tokio::spawn(framing::forward(tokio::io::stdin(), checked));
    let output = tokio::spawn(framing::forward_output(
        answers,
        outbox,
        queued,
        tokio::io::stdout(),
    ));
    Server::new(server_input, server_output, socket)
        .concurrency_level(1)
        .serve(service)
        .await;
    // The server's side of the pipe is closed now: let the last answers out.
    let _ = output.await;
}

impl Backend {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            state: Arc::new(Mutex::new(State::default())),
            outbox: None,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held leaves data that is still usable:
        // every mutation is a single assignment or rope edit.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Analyses the document's current version in the background and
    /// publishes the result unless a newer version arrived meanwhile.
    fn schedule(&self, uri: Url) {
        let Some(job) = self.job(&uri) else { return };
        let client = self.client.clone();
        let state = self.state.clone();
        let this = self.clone();
        let job_uri = uri.clone();
        tokio::spawn(async move {
            let version = job.version;
            let fragments = job.fragments.clone();
            let current = state.clone();
            let opening = job.opening;
            let still_current = move || {
                let state = current.lock().unwrap_or_else(|p| p.into_inner());
                state
                    .documents
                    .get(&job_uri)
                    .map(|d| (d.version, d.opening))
                    == Some((version, opening))
            };
            // Edits arrive faster than analyses with shellcheck finish: one
            // that is already stale when its turn comes is not started.
            let computed =
                tokio::task::spawn_blocking(move || still_current().then(|| job.run()).flatten())
                    .await;
            let Ok(Some(analysis)) = computed else { return };
            let analysis = Arc::new(analysis);
            let fresh_notices: Vec<String> = {
                let mut state = state
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                analysis
                    .notices
                    .iter()
                    .filter(|notice| state.notified.insert((*notice).clone()))
                    .cloned()
                    .collect()
            };
            for notice in fresh_notices {
                client.show_message(MessageType::WARNING, notice).await;
            }
            let (unit, docs_url) = {
                let state = state.lock().unwrap_or_else(|p| p.into_inner());
                (state.unit(), docs_url(&state.settings))
            };
            // Converted (and serialised) before taking the lock again: the
            // queue of edits waits for that lock.
            let outgoing = match this.outbox {
                Some(_) => {
                    let publish = publish::Publish {
                        analysis: &analysis,
                        uri: &uri,
                        unit,
                        docs_url: &docs_url,
                        version: Some(version),
                    };
                    Outgoing::Serialised(publish.message(&fragments))
                }
                None => Outgoing::Converted(main_diagnostics(&analysis, &uri, unit, &docs_url)),
            };
            // The analysis this one replaces is freed once the diagnostics
            // are out: freeing a large one takes a fraction of a millisecond.
            let (unsent, _replaced) = {
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                let replaced = match state.documents.get_mut(&uri) {
                    Some(document)
                        if document.version == version && document.opening == opening =>
                    {
                        document.tree = analysis.document.tree.clone();
                        document.analysis.replace((version, analysis.clone()))
                    }
                    // Closed, or edited again: this result is stale.
                    _ => return,
                };
                let unsent = match outgoing {
                    // Sent while holding the lock: a publish of a later
                    // version cannot overtake it.
                    Outgoing::Serialised(message) => {
                        this.send_serialised(message);
                        None
                    }
                    Outgoing::Converted(diagnostics) => Some(diagnostics),
                };
                (unsent, replaced)
            };
            if let Some(diagnostics) = unsent {
                client
                    .publish_diagnostics(uri, diagnostics, Some(version))
                    .await;
            }
        });
    }

    /// `diagnostics` of `uri` as a `publishDiagnostics` message, when
    /// they go out through the outbox (`None` otherwise).
    fn serialise(
        &self,
        uri: &Url,
        diagnostics: &[Diagnostic],
        version: Option<i32>,
    ) -> Option<Vec<u8>> {
        self.outbox.as_ref()?;
        Some(publish_message(uri, diagnostics, version))
    }

    fn send_serialised(&self, message: Vec<u8>) {
        if let Some(outbox) = &self.outbox {
            outbox.send(message);
        }
    }

    /// Publishes `diagnostics` of `uri` outside the per-edit analyses (a
    /// closed document, a blocked build), the same way those are sent.
    async fn publish(&self, uri: Url, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
        match self.serialise(&uri, &diagnostics, version) {
            Some(message) => self.send_serialised(message),
            None => {
                self.client
                    .publish_diagnostics(uri, diagnostics, version)
                    .await
            }
        }
    }

    fn schedule_all(&self) {
        let uris: Vec<Url> = self.state().documents.keys().cloned().collect();
        for uri in uris {
            self.schedule(uri);
        }
    }

    fn job(&self, uri: &Url) -> Option<Job> {
        let state = self.state();
        let document = state.documents.get(uri)?;
        Some(Job {
            path: uri_path(uri),
            text: document.rope.to_string(),
            version: document.version,
            opening: document.opening,
            language: document.language,
            tree: document.tree.clone(),
            options: check_options(&state, uri),
            fragments: document.fragments.clone(),
        })
    }

    /// The analysis of the document's current text, computing it now when
    /// the background one is not there yet.
    fn analysis(&self, uri: &Url) -> Option<(Arc<Analysis>, ColumnUnit)> {
        let job = {
            let state = self.state();
            let document = state.documents.get(uri)?;
            if let Some((version, analysis)) = &document.analysis {
                if *version == document.version {
                    return Some((analysis.clone(), state.unit()));
                }
            }
            drop(state);
            let mut job = self.job(uri)?;
            // This runs inside a request handler: no external process here.
            // The background analysis has the shellcheck findings.
            job.options.shellcheck = None;
            job
        };
        let unit = self.state().unit();
        job.run().map(|analysis| (Arc::new(analysis), unit))
    }

    /// Runs an editor feature, turning a panic into an error response so one
    /// bad request never takes the server down.
    fn guarded<T>(
        &self,
        uri: &Url,
        feature: impl FnOnce(&Analysis, ColumnUnit) -> T,
    ) -> Result<Option<T>> {
        let Some((analysis, unit)) = self.analysis(uri) else {
            return Ok(None);
        };
        catch_unwind(AssertUnwindSafe(|| feature(&analysis, unit)))
            .map(Some)
            .map_err(|_| Error::internal_error())
    }

    async fn pull_configuration(&self) {
        if !self.state().supports_configuration {
            // Settings arrive only pushed (didChangeConfiguration) or in
            // initializationOptions: re-check with what we have.
            self.schedule_all();
            return;
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("kslint".to_string()),
        }];
        if let Ok(values) = self.client.configuration(items).await {
            if let Some(settings) = values.into_iter().next().and_then(parse_settings) {
                let mut state = self.state();
                state.settings = settings;
                state.forget_memos();
            }
        }
        self.schedule_all();
    }

    async fn register_watchers(&self) {
        if !self.state().supports_watch_registration {
            return;
        }
        let globs = [
            "**/*.rpm",
            "**/comps*.xml",
            "**/comps*.xml.gz",
            "**/repodata/**",
            "**/*.ks",
            "**/*.cfg",
            "**/kslint.toml",
            "**/.treeinfo",
            "**/.discinfo",
            "**/efiboot.img",
        ];
        let watchers = globs
            .iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String(glob.to_string()),
                kind: None,
            })
            .collect();
        let registration = Registration {
            id: "kslint-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        let _ = self.client.register_capability(vec![registration]).await;
    }
}

/// An analysis's diagnostics, ready to go out: serialised for the outbox,
/// or converted for tower-lsp's client when there is none.
enum Outgoing {
    Serialised(Vec<u8>),
    Converted(Vec<Diagnostic>),
}

/// Everything needed to analyse one document version off the handler queue.
struct Job {
    path: PathBuf,
    text: String,
    version: i32,
    opening: u64,
    language: Language,
    tree: Option<Tree>,
    options: CheckOptions,
    fragments: Arc<publish::Fragments>,
}

impl Job {
    fn run(self) -> Option<Analysis> {
        let file = SourceFile::new(self.path, self.text);
        catch_unwind(AssertUnwindSafe(|| match self.language {
            Language::Kickstart => {
                analysis::analyze_incremental(file, &self.options, self.tree.as_ref())
            }
            Language::BootConfig => crate::boot::analyze(file, &self.options),
        }))
        .ok()
    }
}

fn uri_path(uri: &Url) -> PathBuf {
    uri.to_file_path()
        .unwrap_or_else(|_| PathBuf::from(uri.path()))
}

fn language_of(uri: &Url, language_id: &str) -> Language {
    if matches!(language_id, "isolinux" | "syslinux" | "grub")
        || crate::boot::is_boot_config_file(&uri_path(uri))
    {
        Language::BootConfig
    } else {
        Language::Kickstart
    }
}

fn parse_settings(value: Value) -> Option<Settings> {
    let value = match value {
        Value::Object(mut map) if map.contains_key("kslint") => map.remove("kslint")?,
        other => other,
    };
    serde_json::from_value(value).ok()
}

/// Check options for a document: `kslint.toml` found from its path, then
/// the editor's settings on top, and the text of every open document.
fn check_options(state: &State, uri: &Url) -> CheckOptions {
    let path = uri_path(uri);
    let mut config = Config::discover(&path).ok().flatten().unwrap_or_default();
    for (rule, setting) in &state.settings.rules {
        let Some(rule) = rules::find(rule) else {
            continue;
        };
        let severity = match setting.as_str() {
            "off" => None,
            other => match Severity::parse(other) {
                Some(severity) => Some(severity),
                None => continue,
            },
        };
        config.set_rule(rule, severity);
    }
    let open_files = state
        .documents
        .iter()
        .filter(|(other, _)| *other != uri)
        .filter_map(|(other, document)| {
            Some((
                other.to_file_path().ok()?,
                Arc::from(document.rope.to_string()),
            ))
        })
        .collect();
    CheckOptions {
        syntax: state
            .settings
            .syntax
            .as_deref()
            .and_then(SyntaxVersion::parse),
        media: state.settings.media_root.clone(),
        shellcheck: shellcheck_program(state.settings.shellcheck, &config),
        config,
        open_files: Arc::new(open_files),
        memo: state
            .documents
            .get(uri)
            .map(|document| document.memo.clone()),
    }
}

/// The server runs shellcheck when it is installed. The editor's
/// `shellcheck: false` or `[scripts] shellcheck = false` turn it off; the
/// editor's `true` (VS Code's default) means the same as no setting. A
/// program `kslint.toml` asks for is run even when missing, so the user hears
/// why it cannot be.
fn shellcheck_program(setting: Option<bool>, config: &Config) -> Option<PathBuf> {
    match (setting, config.shellcheck()) {
        (Some(false), _) | (_, Some(None)) => None,
        (_, Some(Some(program))) => Some(program),
        (_, None) => crate::scripts::shellcheck::find_program(Path::new("shellcheck")),
    }
}

/// The JSON of the `publishDiagnostics` notification tower-lsp would send
/// (see `Client::publish_diagnostics`), serialised straight from the LSP
/// types.
fn publish_message(uri: &Url, diagnostics: &[Diagnostic], version: Option<i32>) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Params<'a> {
        uri: &'a Url,
        diagnostics: &'a [Diagnostic],
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<i32>,
    }
    #[derive(serde::Serialize)]
    struct Notification<'a> {
        jsonrpc: &'static str,
        method: &'static str,
        params: Params<'a>,
    }
    let notification = Notification {
        jsonrpc: "2.0",
        method: <notification::PublishDiagnostics as notification::Notification>::METHOD,
        params: Params {
            uri,
            diagnostics,
            version,
        },
    };
    serde_json::to_vec(&notification).expect("LSP types serialise")
}

fn docs_url(settings: &Settings) -> String {
    settings
        .docs_url
        .clone()
        .unwrap_or_else(|| convert::DEFAULT_DOCS_URL.to_string())
}

fn main_diagnostics(
    analysis: &Analysis,
    uri: &Url,
    unit: ColumnUnit,
    docs_url: &str,
) -> Vec<Diagnostic> {
    analysis
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.location.file == analysis.main)
        .map(|diagnostic| convert::diagnostic(analysis, uri, diagnostic, unit, docs_url))
        .collect()
}

fn workspace_edit(
    analysis: &Analysis,
    uri: &Url,
    edits: &[crate::diagnostic::TextEdit],
    unit: ColumnUnit,
) -> WorkspaceEdit {
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for edit in edits {
        let Some(target) = convert::uri_of(analysis, uri, edit.file) else {
            continue;
        };
        let file = analysis.sources.get(edit.file);
        changes.entry(target).or_default().push(TextEdit::new(
            convert::range(file, edit.range, unit),
            edit.replacement.clone(),
        ));
    }
    WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }
}

fn negotiate_unit(params: &InitializeParams) -> ColumnUnit {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => ColumnUnit::Utf8Bytes,
        _ => ColumnUnit::Utf16CodeUnits,
    }
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let unit = negotiate_unit(&params);
        {
            let mut state = self.state();
            state.unit = Some(unit);
            if let Some(settings) = params
                .initialization_options
                .clone()
                .and_then(parse_settings)
            {
                state.settings = settings;
            }
            let workspace = params.capabilities.workspace.as_ref();
            state.supports_configuration = workspace.and_then(|w| w.configuration).unwrap_or(false);
            state.supports_watch_registration = workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false);
            let text_document = params.capabilities.text_document.as_ref();
            state.supports_snippets = text_document
                .and_then(|t| t.completion.as_ref())
                .and_then(|c| c.completion_item.as_ref())
                .and_then(|i| i.snippet_support)
                .unwrap_or(false);
            state.supports_link_tooltips = text_document
                .and_then(|t| t.document_link.as_ref())
                .and_then(|l| l.tooltip_support)
                .unwrap_or(false);
            state.supports_progress = params
                .capabilities
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false);
        }
        let encoding = match unit {
            ColumnUnit::Utf8Bytes => PositionEncodingKind::UTF8,
            _ => PositionEncodingKind::UTF16,
        };
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "kslint".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding),
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::INCREMENTAL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![
                        "-".into(),
                        "=".into(),
                        "%".into(),
                        "@".into(),
                        "/".into(),
                    ]),
                    ..CompletionOptions::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                document_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: SemanticTokensLegend {
                                token_types: ide::TOKEN_KINDS
                                    .iter()
                                    .map(|kind| SemanticTokenType::new(kind))
                                    .collect(),
                                token_modifiers: vec![SemanticTokenModifier::DEPRECATED],
                            },
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::new("source.fixAll.kslint"),
                        ]),
                        ..CodeActionOptions::default()
                    },
                )),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![BUILD_ISO_COMMAND.to_string()],
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                ..ServerCapabilities::default()
            },
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Requests to the client run in a task: the message queue never
        // waits for the client's answers.
        let this = self.clone();
        tokio::spawn(async move {
            this.register_watchers().await;
            this.pull_configuration().await;
        });
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let language = language_of(&document.uri, &document.language_id);
        {
            let mut state = self.state();
            state.openings += 1;
            let opening = state.openings;
            state.documents.insert(
                document.uri.clone(),
                Document {
                    rope: Rope::from_str(&document.text),
                    version: document.version,
                    language,
                    tree: None,
                    analysis: None,
                    opening,
                    memo: Arc::default(),
                    fragments: Arc::default(),
                },
            );
        }
        // Other open files may include this one: check them all again.
        self.schedule_all();
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut state = self.state();
            let unit = state.unit();
            let Some(document) = state.documents.get_mut(&uri) else {
                return;
            };
            for change in &params.content_changes {
                if !text::apply_change(&mut document.rope, document.tree.as_mut(), change, unit) {
                    document.tree = None;
                }
            }
            document.version = params.text_document.version;
        }
        self.schedule_all();
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.state().documents.remove(&uri);
        self.publish(uri, Vec::new(), None).await;
        self.schedule_all();
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if let Some(settings) = parse_settings(params.settings) {
            let mut state = self.state();
            state.settings = settings;
            state.forget_memos();
        }
        // Pull the authoritative settings without holding up the queue.
        let this = self.clone();
        tokio::spawn(async move { this.pull_configuration().await });
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        // Script findings look at files on the media (KS3009).
        self.state().forget_memos();
        self.schedule_all();
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let uri = position.text_document.uri;
        let result = self.guarded(&uri, |analysis, unit| {
            let file = analysis.sources.get(analysis.main);
            let offset = convert::offset(file, position.position, unit);
            ide::hover(analysis, offset).map(|hover| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: hover.markdown,
                }),
                range: Some(convert::range(file, hover.range, unit)),
            })
        })?;
        Ok(result.flatten())
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let position = params.text_document_position;
        let uri = position.text_document.uri;
        let snippets = self.state().supports_snippets;
        let items = self.guarded(&uri, |analysis, unit| {
            let file = analysis.sources.get(analysis.main);
            let offset = convert::offset(file, position.position, unit);
            ide::completions(analysis, offset)
                .into_iter()
                .map(|item| convert::completion(file, item, unit, snippets))
                .collect::<Vec<_>>()
        })?;
        Ok(items.map(CompletionResponse::Array))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        let uri = position.text_document.uri;
        let link = self.guarded(&uri, |analysis, unit| {
            let file = analysis.sources.get(analysis.main);
            let offset = convert::offset(file, position.position, unit);
            ide::definition(analysis, offset)
        })?;
        let unit = self.state().unit();
        Ok(link.flatten().and_then(|link| {
            let target = Url::from_file_path(&link.target).ok()?;
            let range = match &link.target_range {
                Some((text, range)) => {
                    convert::range(&SourceFile::new(&link.target, text.clone()), *range, unit)
                }
                None => Range::default(),
            };
            Some(GotoDefinitionResponse::Scalar(Location::new(target, range)))
        }))
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let uri = params.text_document.uri;
        let tooltips = self.state().supports_link_tooltips;
        self.guarded(&uri, |analysis, unit| {
            let file = analysis.sources.get(analysis.main);
            ide::document_links(analysis)
                .into_iter()
                .filter_map(|link| {
                    Some(DocumentLink {
                        range: convert::range(file, link.range, unit),
                        target: Some(Url::from_file_path(&link.target).ok()?),
                        tooltip: tooltips.then(|| link.target.display().to_string()),
                        data: None,
                    })
                })
                .collect()
        })
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let uri = params.text_document.uri;
        let symbols = self.guarded(&uri, |analysis, unit| {
            let file = analysis.sources.get(analysis.main);
            ide::symbols(analysis)
                .into_iter()
                .map(|symbol| convert::symbol(file, symbol, unit))
                .collect::<Vec<_>>()
        })?;
        Ok(symbols.map(DocumentSymbolResponse::Nested))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let uri = params.text_document.uri;
        self.guarded(&uri, |analysis, _| {
            ide::folding_ranges(analysis)
                .into_iter()
                .map(|fold| FoldingRange {
                    start_line: fold.start_line,
                    end_line: fold.end_line,
                    kind: Some(match fold.kind {
                        ide::FoldKind::Region => FoldingRangeKind::Region,
                        ide::FoldKind::Comment => FoldingRangeKind::Comment,
                    }),
                    ..FoldingRange::default()
                })
                .collect()
        })
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let uri = params.text_document.uri;
        let data = self.guarded(&uri, |analysis, unit| {
            let file = analysis.sources.get(analysis.main);
            convert::semantic_tokens(file, &ide::semantic_tokens(analysis), unit)
        })?;
        Ok(data.map(|data| {
            SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data,
            })
        }))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let only = params.context.only.clone();
        let wants = |kind: &CodeActionKind| {
            only.as_ref().is_none_or(|only| {
                only.iter()
                    .any(|wanted| kind.as_str().starts_with(wanted.as_str()))
            })
        };
        let docs_url = self
            .state()
            .settings
            .docs_url
            .clone()
            .unwrap_or_else(|| convert::DEFAULT_DOCS_URL.to_string());
        self.guarded(&uri, |analysis, unit| {
            let file = analysis.sources.get(analysis.main);
            let start = convert::offset(file, params.range.start, unit);
            let end = convert::offset(file, params.range.end, unit);
            let mut actions = Vec::new();
            let to_lsp = |action: ide::Action, kind: CodeActionKind| {
                let diagnostics: Vec<Diagnostic> = action
                    .diagnostics
                    .iter()
                    .map(|&index| {
                        convert::diagnostic(
                            analysis,
                            &uri,
                            &analysis.diagnostics[index],
                            unit,
                            &docs_url,
                        )
                    })
                    .collect();
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: action.title,
                    kind: Some(kind),
                    diagnostics: Some(diagnostics),
                    edit: Some(workspace_edit(analysis, &uri, &action.edits, unit)),
                    is_preferred: Some(action.preferred),
                    ..CodeAction::default()
                })
            };
            if wants(&CodeActionKind::QUICKFIX) {
                for action in
                    ide::code_actions(analysis, TextRange::new(start.min(end), start.max(end)))
                {
                    actions.push(to_lsp(action, CodeActionKind::QUICKFIX));
                }
            }
            let fix_all = CodeActionKind::new("source.fixAll.kslint");
            if only.as_ref().is_some_and(|_| wants(&fix_all)) || only.is_none() {
                if let Some(action) = ide::fix_all(analysis) {
                    actions.push(to_lsp(action, fix_all));
                }
            }
            actions
        })
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        if params.command != BUILD_ISO_COMMAND {
            return Err(Error::invalid_params(format!(
                "unknown command {}",
                params.command
            )));
        }
        let request: BuildRequest = params
            .arguments
            .into_iter()
            .next()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|error| {
                Error::invalid_params(format!(
                    "kslint.buildIso takes {{uri, output?, force?}}: {error}"
                ))
            })?
            .ok_or_else(|| Error::invalid_params("kslint.buildIso needs {uri}"))?;
        let options = self.build_options(&request)?;
        let output = options.output.clone();
        // The build runs in the background; the answer says where it goes,
        // progress and the result follow as notifications.
        let this = self.clone();
        tokio::spawn(async move { this.run_build(options).await });
        Ok(Some(
            serde_json::json!({ "started": true, "output": output }),
        ))
    }
}

/// Arguments of `kslint.buildIso`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuildRequest {
    /// The kickstart (or any file) of the media tree to build.
    uri: Url,
    /// Image path; default: `<root's parent>/<root's name>.iso`.
    output: Option<PathBuf>,
    /// Build even when the checks find errors.
    #[serde(default)]
    force: bool,
    /// Kickstart in the image every installer entry loads (`ks/ks.cfg`).
    ks: Option<String>,
    volume_id: Option<String>,
    #[serde(default)]
    add_args: Vec<String>,
    #[serde(default)]
    remove_args: Vec<String>,
}

/// What the build worker tells the notification loop.
enum BuildMessage {
    Report(u32, String),
}

impl Backend {
    /// Picks the media root and output path of the request.
    fn build_options(&self, request: &BuildRequest) -> Result<crate::build::BuildOptions> {
        let path = uri_path(&request.uri);
        let (root, blocking) = {
            let state = self.state();
            let options = check_options(&state, &request.uri);
            let root = options
                .media
                .clone()
                .or_else(|| analysis::media_root(&options))
                .or_else(|| {
                    crate::media::layout::MediaLayout::discover(&path).map(|layout| layout.root)
                });
            // The document as the editor has it (maybe unsaved): its errors
            // refuse the build at once; the pipeline checks the files on disk.
            let blocking = state
                .documents
                .get(&request.uri)
                .and_then(|document| document.analysis.as_ref())
                .map(|(_, analysis)| {
                    analysis
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == Severity::Error)
                        .count()
                })
                .unwrap_or(0);
            (root, blocking)
        };
        let root = root.ok_or_else(|| {
            Error::invalid_params(format!("no media tree found for {}", path.display()))
        })?;
        if blocking > 0 && !request.force {
            return Err(Error {
                code: tower_lsp::jsonrpc::ErrorCode::ServerError(2),
                message: format!(
                    "the kickstart has {blocking} error(s); fix them or build with force"
                )
                .into(),
                data: None,
            });
        }
        let output = request.output.clone().unwrap_or_else(|| {
            let name = root
                .file_name()
                .map_or_else(|| "media".into(), |n| n.to_string_lossy().into_owned());
            root.parent().unwrap_or(&root).join(format!("{name}.iso"))
        });
        let mut options = crate::build::BuildOptions::new(root, output);
        options.force = request.force;
        options.ks = request.ks.clone();
        options.volume_id = request.volume_id.clone();
        options.add_args = request.add_args.clone();
        options.remove_args = request.remove_args.clone();
        // The kickstart the action was invoked from is checked too, even
        // when no boot entry loads it yet.
        if path.is_file() && !crate::boot::is_boot_config_file(&path) {
            options.check_files.push(path);
        }
        Ok(options)
    }

    /// Runs the build pipeline with `$/progress` per phase; blocking errors
    /// are published as diagnostics of their files.
    async fn run_build(&self, options: crate::build::BuildOptions) {
        use crate::build::pipeline::{self, BuildError, Event, Phase};
        let token = NumberOrString::String(format!("kslint-build-iso-{}", std::process::id()));
        // Read before waiting for the client's answer: nothing else may
        // wait for the state lock meanwhile.
        let supports_progress = self.state().supports_progress;
        let progress = supports_progress
            && self
                .client
                .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                    token: token.clone(),
                })
                .await
                .is_ok();
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        self.state().builds.insert(token.clone(), cancel.clone());
        if progress {
            self.progress(
                &token,
                WorkDoneProgress::Begin(WorkDoneProgressBegin {
                    title: "Build ISO".into(),
                    cancellable: Some(true),
                    message: Some(options.output.display().to_string()),
                    percentage: Some(0),
                }),
            )
            .await;
        }
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<BuildMessage>();
        let flag = cancel.clone();
        let worker = tokio::task::spawn_blocking(move || {
            let mut last = u32::MAX;
            let mut on_event = |event: Event<'_>| {
                let message = match event {
                    Event::Phase(phase, message) => {
                        let percent = match phase {
                            Phase::Lint => 0,
                            Phase::Repodata => 5,
                            Phase::Master => 10,
                            Phase::ImplantMd5 => 99,
                        };
                        last = percent;
                        BuildMessage::Report(percent, format!("{}: {message}", phase.name()))
                    }
                    Event::Write(p) => {
                        // The write is 10 % to 99 % of the whole.
                        let percent = 10 + (p.percent() * 0.89) as u32;
                        if percent == last {
                            return;
                        }
                        last = percent;
                        BuildMessage::Report(percent, format!("master: {}", p.current))
                    }
                    Event::Note(_) | Event::Warning(_) => return,
                };
                let _ = sender.send(message);
            };
            pipeline::run(&options, &mut on_event, Some(&flag))
        });
        while let Some(BuildMessage::Report(percent, message)) = receiver.recv().await {
            if progress {
                self.progress(
                    &token,
                    WorkDoneProgress::Report(WorkDoneProgressReport {
                        cancellable: Some(true),
                        message: Some(message),
                        percentage: Some(percent.min(100)),
                    }),
                )
                .await;
            }
        }
        let outcome = worker
            .await
            .unwrap_or_else(|_| Err(BuildError::Failed(anyhow::anyhow!("the build crashed"))));
        self.state().builds.remove(&token);
        let message = match &outcome {
            Ok(done) => format!(
                "Built {} ({:.1} MiB) in {:.1} s",
                done.output.display(),
                done.size as f64 / 1048576.0,
                done.elapsed.as_secs_f64()
            ),
            Err(error) => format!("Build ISO failed: {error}"),
        };
        if let Err(BuildError::Blocked(analyses)) = &outcome {
            self.publish_blocking(analyses).await;
        }
        if progress {
            self.progress(
                &token,
                WorkDoneProgress::End(WorkDoneProgressEnd {
                    message: Some(message.clone()),
                }),
            )
            .await;
        }
        let kind = if outcome.is_ok() {
            MessageType::INFO
        } else {
            MessageType::ERROR
        };
        self.client.show_message(kind, message).await;
    }

    /// Publishes the diagnostics of the checks that stopped a build, file by
    /// file.
    async fn publish_blocking(&self, analyses: &[Analysis]) {
        let (unit, docs) = {
            let state = self.state();
            let docs = state
                .settings
                .docs_url
                .clone()
                .unwrap_or_else(|| convert::DEFAULT_DOCS_URL.to_string());
            (state.unit(), docs)
        };
        for analysis in analyses {
            let Ok(main_uri) = Url::from_file_path(&analysis.sources.get(analysis.main).path)
            else {
                continue;
            };
            let mut by_uri: HashMap<Url, Vec<Diagnostic>> = HashMap::new();
            for diagnostic in &analysis.diagnostics {
                let Some(uri) = convert::uri_of(analysis, &main_uri, diagnostic.location.file)
                else {
                    continue;
                };
                by_uri
                    .entry(uri.clone())
                    .or_default()
                    .push(convert::diagnostic(
                        analysis, &main_uri, diagnostic, unit, &docs,
                    ));
            }
            for (uri, diagnostics) in by_uri {
                self.publish(uri, diagnostics, None).await;
            }
        }
    }

    async fn progress(&self, token: &NumberOrString, value: WorkDoneProgress) {
        self.client
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(value),
            })
            .await;
    }

    /// `kslint/documentText`: the server's view of an open document, for
    /// clients and tests that check both sides agree after many edits.
    async fn document_text(&self, params: TextDocumentIdentifier) -> Result<Option<Value>> {
        Ok(self.state().documents.get(&params.uri).map(|document| {
            serde_json::json!({ "version": document.version, "text": document.rope.to_string() })
        }))
    }

    /// Answers a message the framing guard could not use with a parse error.
    async fn invalid_message(&self, params: Value) -> Result<()> {
        let detail = params["message"]
            .as_str()
            .unwrap_or("invalid message")
            .to_string();
        Err(Error {
            code: tower_lsp::jsonrpc::ErrorCode::ParseError,
            message: detail.into(),
            data: None,
        })
    }

    /// `window/workDoneProgress/cancel`: stops a running build.
    async fn cancel_progress(&self, params: WorkDoneProgressCancelParams) {
        if let Some(flag) = self.state().builds.get(&params.token) {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/p/kslint.toml"), text).unwrap()
    }

    /// What tower-lsp's `Client::publish_diagnostics` sends for the same
    /// arguments, as JSON.
    fn through_tower_lsp(uri: &Url, diagnostics: &[Diagnostic], version: Option<i32>) -> Value {
        let params = PublishDiagnosticsParams::new(uri.clone(), diagnostics.to_vec(), version);
        let request = tower_lsp::jsonrpc::Request::build(
            <notification::PublishDiagnostics as notification::Notification>::METHOD,
        )
        .params(serde_json::to_value(params).unwrap())
        .finish();
        serde_json::to_value(request).unwrap()
    }

    /// The script rules' fixtures, and options that check them against
    /// their media tree.
    fn script_fixtures() -> (PathBuf, CheckOptions) {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts");
        let options = CheckOptions {
            media: Some(fixtures.join("media")),
            ..CheckOptions::default()
        };
        (fixtures, options)
    }

    /// The publish built from remembered fragments is byte for byte the
    /// one serialised whole, on the first publish and on later ones after
    /// edits that move, change, add and remove diagnostics; and it keeps
    /// only the fragments of the diagnostics it published.
    #[test]
    fn publishes_from_fragments_equal_whole_ones() {
        let (fixtures, options) = script_fixtures();
        let mut reused = 0;
        for name in ["network.ks", "heredoc.ks", "media-release.ks", "syntax.ks"] {
            let path = fixtures.join(name);
            let original = std::fs::read_to_string(&path).unwrap();
            let first_line_end = original.find('\n').unwrap() + 1;
            // Each text, and whether it only moves the diagnostics.
            let edits = [
                (original.clone(), false),
                (original.clone(), true),
                // Every diagnostic a line lower.
                (format!("# a comment\n{original}"), true),
                // One more diagnostic, with a non-ASCII column.
                (format!("bogus-command \"é\" x\n{original}"), false),
                // The last diagnostics gone.
                (original[..original.len() / 2].to_string(), false),
                (original[first_line_end..].to_string(), false),
            ];
            let uri = Url::from_file_path(&path).unwrap();
            for unit in [ColumnUnit::Utf16CodeUnits, ColumnUnit::Utf8Bytes] {
                let fragments = publish::Fragments::default();
                for (text, only_moves) in &edits {
                    let file = SourceFile::new(&path, text.clone());
                    let analysis = analysis::analyze(file, &options);
                    let whole = main_diagnostics(&analysis, &uri, unit, convert::DEFAULT_DOCS_URL);
                    let before = fragments.keys();
                    let publish = publish::Publish {
                        analysis: &analysis,
                        uri: &uri,
                        unit,
                        docs_url: convert::DEFAULT_DOCS_URL,
                        version: Some(7),
                    };
                    let message = String::from_utf8(publish.message(&fragments)).unwrap();
                    let expected = publish_message(&uri, &whole, Some(7));
                    assert_eq!(message, String::from_utf8(expected).unwrap());
                    let after = fragments.keys();
                    assert!(after.len() <= whole.len());
                    reused += after.intersection(&before).count();
                    // Moved diagnostics keep their fragments, but for those
                    // whose related information moved with them.
                    let with_related = analysis
                        .diagnostics
                        .iter()
                        .filter(|d| d.location.file == analysis.main && !d.related.is_empty())
                        .count();
                    if *only_moves {
                        assert!(after.difference(&before).count() <= with_related, "{name}");
                    }
                }
            }
        }
        assert!(reused >= 40, "only {reused} fragments reused");
    }

    #[test]
    fn serialised_publishes_equal_tower_lsps() {
        let (fixtures, options) = script_fixtures();
        let mut files: Vec<SourceFile> = std::fs::read_dir(&fixtures)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "ks"))
            .map(|path| SourceFile::read(&path).unwrap())
            .collect();
        files.push(SourceFile::new(
            "/ks/a b.ks",
            "bogus-command \"é\"\n%post\necho \"é\" $x\n%end\n".to_string(),
        ));
        let mut published = 0;
        for file in files {
            let uri = Url::from_file_path(&file.path).unwrap();
            let analysis = analysis::analyze(file, &options);
            for unit in [ColumnUnit::Utf16CodeUnits, ColumnUnit::Utf8Bytes] {
                let diagnostics =
                    main_diagnostics(&analysis, &uri, unit, convert::DEFAULT_DOCS_URL);
                published += diagnostics.len();
                for version in [Some(3), None] {
                    let ours: Value =
                        serde_json::from_slice(&publish_message(&uri, &diagnostics, version))
                            .unwrap();
                    assert_eq!(ours, through_tower_lsp(&uri, &diagnostics, version));
                }
            }
        }
        assert!(published > 50, "only {published} diagnostics compared");
    }

    #[test]
    fn shellcheck_setting_and_config() {
        let installed = crate::scripts::shellcheck::find_program(Path::new("shellcheck"));
        let none = Config::default();
        assert_eq!(shellcheck_program(None, &none), installed);
        assert_eq!(shellcheck_program(Some(true), &none), installed);
        assert_eq!(shellcheck_program(Some(false), &none), None);
        let off = config("[scripts]\nshellcheck = false\n");
        assert_eq!(shellcheck_program(Some(true), &off), None);
        let path = config("[scripts]\nshellcheck = \"bin/sc\"\n");
        assert_eq!(
            shellcheck_program(None, &path),
            Some(PathBuf::from("/p/bin/sc"))
        );
        assert_eq!(shellcheck_program(Some(false), &path), None);
    }
}
