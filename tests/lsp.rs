//! The language server in process: JSON-RPC requests through the real
//! `LspService`, notifications read back from its client socket.

#[path = "iso/common.rs"]
mod common;

use std::time::Duration;

use futures::StreamExt;
use kslint::lsp::Backend;
use serde_json::{json, Value};
use tower::{Service, ServiceExt};
use tower_lsp::jsonrpc::Request;
use tower_lsp::{ClientSocket, LspService};

struct Client {
    service: LspService<Backend>,
    socket: ClientSocket,
    next_id: i64,
}

impl Client {
    async fn start(capabilities: Value) -> Client {
        let (service, socket) = kslint::lsp::service();
        let mut client = Client {
            service,
            socket,
            next_id: 1,
        };
        let result = client
            .request("initialize", json!({ "capabilities": capabilities }))
            .await;
        assert_eq!(result["serverInfo"]["name"], "kslint");
        client.notify("initialized", json!({})).await;
        client
    }

    async fn request(&mut self, method: &'static str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = Request::build(method).params(params).id(id).finish();
        let response = self
            .service
            .ready()
            .await
            .unwrap()
            .call(request)
            .await
            .unwrap();
        let response = response.expect("a request gets a response");
        let value = serde_json::to_value(&response).unwrap();
        assert!(value.get("error").is_none(), "{method} failed: {value}");
        value["result"].clone()
    }

    async fn notify(&mut self, method: &'static str, params: Value) {
        let notification = Request::build(method).params(params).finish();
        let response = self
            .service
            .ready()
            .await
            .unwrap()
            .call(notification)
            .await
            .unwrap();
        assert!(response.is_none());
    }

    /// The next `publishDiagnostics` for `uri`.
    async fn diagnostics(&mut self, uri: &str) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("diagnostics within 10 s")
                .expect("server alive");
            let value = serde_json::to_value(&message).unwrap();
            if value["method"] == "textDocument/publishDiagnostics" && value["params"]["uri"] == uri
            {
                return value["params"].clone();
            }
        }
    }

    /// Sends one content change and returns the diagnostics published for
    /// that version (earlier versions' publishes are skipped).
    async fn change(&mut self, uri: &str, version: i64, change: Value) -> Value {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
        )
        .await;
        loop {
            let published = self.diagnostics(uri).await;
            if published["version"] == version {
                return published;
            }
        }
    }

    async fn open(&mut self, uri: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "kickstart", "version": 1, "text": text } }),
        )
        .await;
        self.diagnostics(uri).await
    }
}

fn utf16_client() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-16"] },
        "textDocument": { "completion": { "completionItem": { "snippetSupport": true } } }
    })
}

fn codes(published: &Value) -> Vec<String> {
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

const URI: &str = "file:///tmp/kslint-lsp-test/ks.cfg";

#[tokio::test]
async fn diagnostics_carry_version_code_link_and_related_information() {
    let mut client = Client::start(utf16_client()).await;
    let published = client
        .open(URI, "lang C\n%packages\n@core\n%post\necho\n%end\n")
        .await;
    assert_eq!(published["version"], 1);
    let diagnostic = &published["diagnostics"][0];
    assert_eq!(diagnostic["code"], "KS0001");
    assert_eq!(diagnostic["source"], "kslint");
    assert!(diagnostic["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("KS0001.md"));
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 9}})
    );
    assert_eq!(
        diagnostic["relatedInformation"][0]["location"]["range"]["start"]["line"],
        3
    );
}

#[tokio::test]
async fn incremental_edits_apply_in_order_and_stale_results_are_dropped() {
    let mut client = Client::start(utf16_client()).await;
    let published = client.open(URI, "lang C\n%pakages\n@core\n%end\n").await;
    assert_eq!(codes(&published), ["KS0002"]);
    // Three edits in a burst, without waiting for diagnostics in between.
    let edits = [(2, 3, 3, "c"), (3, 4, 5, "k"), (4, 4, 5, "")];
    for (version, start, end, text) in edits {
        client
            .notify(
                "textDocument/didChange",
                json!({
                    "textDocument": { "uri": URI, "version": version },
                    "contentChanges": [{ "range": { "start": {"line": 1, "character": start}, "end": {"line": 1, "character": end} }, "text": text }]
                }),
            )
            .await;
    }
    let mut last = Value::Null;
    let mut versions = Vec::new();
    while last["version"] != 4 {
        last = client.diagnostics(URI).await;
        versions.push(last["version"].as_i64().unwrap());
    }
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let state_after: Vec<String> = codes(&last);
    // The server's final view equals a fresh analysis of the same edits.
    let text = apply_all("lang C\n%pakages\n@core\n%end\n", &edits);
    let fresh = kslint::analysis::analyze(
        kslint::source::SourceFile::new("/tmp/kslint-lsp-test/ks.cfg", text.as_str()),
        &Default::default(),
    );
    let expected: Vec<String> = fresh
        .diagnostics
        .iter()
        .map(|d| d.rule.code.to_string())
        .collect();
    assert_eq!(state_after, expected, "text was {text:?}");
}

fn apply_all(text: &str, edits: &[(i32, u32, u32, &str)]) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for &(_, start, end, insert) in edits {
        let line = &mut lines[1];
        line.replace_range(start as usize..end as usize, insert);
    }
    lines.join("\n")
}

#[tokio::test]
async fn utf8_is_negotiated_when_offered() {
    let (service, _socket) = kslint::lsp::service();
    let mut client = Client {
        service,
        socket: _socket,
        next_id: 1,
    };
    let result = client
        .request(
            "initialize",
            json!({ "capabilities": { "general": { "positionEncodings": ["utf-8", "utf-16"] } } }),
        )
        .await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    client.notify("initialized", json!({})).await;
    // "é" is 2 bytes: the unknown section after it starts at byte column 3.
    let published = client.open(URI, "# é\n%é%frob\n%end\n").await;
    let range = &published["diagnostics"][0]["range"];
    assert_eq!(range["start"], json!({"line": 1, "character": 0}));
    assert_eq!(range["end"]["character"], 8);

    let mut utf16 = Client::start(utf16_client()).await;
    let published = utf16.open(URI, "# é\n%é%frob\n%end\n").await;
    assert_eq!(published["diagnostics"][0]["range"]["end"]["character"], 7);
}

#[tokio::test]
async fn hover_completion_and_symbols() {
    let mut client = Client::start(utf16_client()).await;
    let text = "#version=RHEL7\nnetwork --bootproto=dhcp\nbootloader --location=mbr\nlang C  # kslint: disable=KS0001\n%packages\n@core\n%end\n";
    client.open(URI, text).await;
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": {"uri": URI}, "position": {"line": 1, "character": 2} }),
        )
        .await;
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("**network**"), "{value}");
    assert!(value.contains("--bootproto"), "{value}");
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": {"uri": URI}, "position": {"line": 2, "character": 14} }),
        )
        .await;
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("`mbr`") && value.contains("`partition`"),
        "{value}"
    );
    // The option's own description from the hover docs (src/ide/docs.rs).
    assert!(
        value.starts_with("**bootloader --location** — Where the boot record goes"),
        "{value}"
    );
    let hover = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": {"uri": URI}, "position": {"line": 3, "character": 30} }),
        )
        .await;
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .starts_with("# KS0001 unclosed-section"));

    let items = client
        .request(
            "textDocument/completion",
            json!({ "textDocument": {"uri": URI}, "position": {"line": 2, "character": 22} }),
        )
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["mbr", "partition", "none", "boot"]);

    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": {"uri": URI} }),
        )
        .await;
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["network", "bootloader", "lang", "%packages"]);
    assert_eq!(symbols[3]["children"][0]["name"], "@core");

    let folds = client
        .request(
            "textDocument/foldingRange",
            json!({ "textDocument": {"uri": URI} }),
        )
        .await;
    assert_eq!(folds[0]["startLine"], 4);
    assert_eq!(folds[0]["endLine"], 6);

    let tokens = client
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": {"uri": URI} }),
        )
        .await;
    let data = tokens["data"].as_array().unwrap();
    // The first token is the `#version=` comment: line 0, column 0, length 14, type comment (4).
    assert_eq!(
        &data[..5],
        &[json!(0), json!(0), json!(14), json!(4), json!(0)]
    );
}

#[tokio::test]
async fn completion_at_line_start_and_after_a_command() {
    let mut client = Client::start(utf16_client()).await;
    client
        .open(URI, "#version=RHEL9\nboo\npart / --fs\n%pa\n")
        .await;
    let items = client
        .request(
            "textDocument/completion",
            json!({ "textDocument": {"uri": URI}, "position": {"line": 1, "character": 3} }),
        )
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["bootloader"]);
    let items = client
        .request(
            "textDocument/completion",
            json!({ "textDocument": {"uri": URI}, "position": {"line": 2, "character": 11} }),
        )
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"--fstype") && labels.contains(&"--fsoptions"),
        "{labels:?}"
    );
    let fstype = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "--fstype")
        .unwrap();
    assert_eq!(fstype["insertTextFormat"], 2);
    assert_eq!(
        fstype["textEdit"]["range"]["start"],
        json!({"line": 2, "character": 7})
    );
    let items = client
        .request(
            "textDocument/completion",
            json!({ "textDocument": {"uri": URI}, "position": {"line": 3, "character": 3} }),
        )
        .await;
    let packages = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "%packages")
        .unwrap();
    assert_eq!(packages["textEdit"]["newText"], "%packages\n$0\n%end");
}

#[tokio::test]
async fn code_actions_offer_fixes_suppressions_and_fix_all() {
    let mut client = Client::start(utf16_client()).await;
    client.open(URI, "lang C\n%packages\n@core\n").await;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": {"uri": URI}, "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 3}}, "context": {"diagnostics": []} }),
        )
        .await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Insert `%end` at the end of the file",
            "Disable KS0001 (unclosed-section) for this line",
            "Disable KS0001 (unclosed-section) for this file",
            "Fix all safe kslint problems",
        ]
    );
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    let edit = &fix["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "%end\n");
    assert_eq!(edit["range"]["start"], json!({"line": 3, "character": 0}));
    let disable = &actions[1]["edit"]["changes"][URI][0];
    assert_eq!(disable["newText"], "  # kslint: disable=KS0001");
    assert_eq!(actions[3]["kind"], "source.fixAll.kslint");
}

#[tokio::test]
async fn includes_are_links_and_definitions_and_open_buffers_win_over_disk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("part.ks"), "zerombr\n").unwrap();
    let main = url(&dir.path().join("ks.cfg"));
    let part = url(&dir.path().join("part.ks"));
    let mut client = Client::start(utf16_client()).await;
    let published = client.open(&main, "lang C\n%include part.ks\n").await;
    assert_eq!(codes(&published), Vec::<String>::new());
    let links = client
        .request(
            "textDocument/documentLink",
            json!({ "textDocument": {"uri": main} }),
        )
        .await;
    assert_eq!(links[0]["target"], part);
    let definition = client
        .request(
            "textDocument/definition",
            json!({ "textDocument": {"uri": main}, "position": {"line": 1, "character": 11} }),
        )
        .await;
    assert_eq!(definition["uri"], part);
    // Opening the included file with an error in the buffer (not on disk)
    // re-checks the includer; the error is reported in the included file.
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": part, "languageId": "kickstart", "version": 1, "text": "%frob\n%end\n" } }),
        )
        .await;
    let published = client.diagnostics(&part).await;
    assert_eq!(codes(&published), ["KS0002"]);
}

fn url(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

/// Answers the server's next request to the client with `result`, returning
/// the request.
async fn answer(client: &mut Client, method: &str, result: Value) -> Value {
    use futures::SinkExt;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), client.socket.next())
            .await
            .expect("a request within 10 s")
            .expect("server alive");
        let value = serde_json::to_value(&message).unwrap();
        if value["method"] == method {
            let id: tower_lsp::jsonrpc::Id = serde_json::from_value(value["id"].clone()).unwrap();
            let response = tower_lsp::jsonrpc::Response::from_ok(id, result);
            client.socket.send(response).await.unwrap();
            return value;
        }
    }
}

#[tokio::test]
async fn settings_pulled_from_the_client_change_severities() {
    let (service, socket) = kslint::lsp::service();
    let mut client = Client {
        service,
        socket,
        next_id: 1,
    };
    client
        .request(
            "initialize",
            json!({ "capabilities": { "workspace": { "configuration": true, "didChangeWatchedFiles": { "dynamicRegistration": true } } } }),
        )
        .await;
    client.notify("initialized", json!({})).await;
    let registration = answer(&mut client, "client/registerCapability", Value::Null).await;
    let watchers = &registration["params"]["registrations"][0];
    assert_eq!(watchers["method"], "workspace/didChangeWatchedFiles");
    assert!(watchers["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["globPattern"] == "**/*.rpm"));
    let request = answer(
        &mut client,
        "workspace/configuration",
        json!([{ "rules": { "unclosed-section": "warning" }, "syntax": "RHEL7" }]),
    )
    .await;
    assert_eq!(request["params"]["items"][0]["section"], "kslint");
    // The settings may land just before or just after the open: the server
    // re-checks open documents when they do, so wait for the warning.
    let mut published = client.open(URI, "%packages\n").await;
    while published["diagnostics"][0]["severity"] != 2 {
        published = client.diagnostics(URI).await;
    }
    assert_eq!(published["diagnostics"][0]["code"], "KS0001");
    // A configuration change notification pulls again.
    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": {} }),
        )
        .await;
    answer(
        &mut client,
        "workspace/configuration",
        json!([{ "rules": { "KS0001": "off" } }]),
    )
    .await;
    loop {
        let published = client.diagnostics(URI).await;
        if published["diagnostics"].as_array().unwrap().is_empty() {
            break;
        }
    }
}

#[tokio::test]
async fn build_iso_runs_in_the_background_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("media");
    std::fs::create_dir_all(root.join("ks")).unwrap();
    std::fs::write(root.join("ks/ks.cfg"), "lang C\n").unwrap();
    std::fs::write(root.join("README"), "payload\n").unwrap();
    let output = dir.path().join("out.iso");
    let (service, socket) = kslint::lsp::service();
    let mut client = Client {
        service,
        socket,
        next_id: 1,
    };
    client
        .request(
            "initialize",
            json!({ "capabilities": { "window": { "workDoneProgress": true } }, "initializationOptions": { "mediaRoot": root } }),
        )
        .await;
    client.notify("initialized", json!({})).await;
    let ks = url(&root.join("ks/ks.cfg"));
    client.open(&ks, "lang C\n").await;
    let id = client.next_id;
    client.next_id += 1;
    let request = Request::build("workspace/executeCommand")
        .params(
            json!({ "command": "kslint.buildIso", "arguments": [{ "uri": ks, "output": output }] }),
        )
        .id(id)
        .finish();
    let call = client.service.ready().await.unwrap().call(request);
    let response = call.await.unwrap().unwrap();
    let value = serde_json::to_value(&response).unwrap();
    assert_eq!(value["result"]["started"], true, "{value}");
    answer(&mut client, "window/workDoneProgress/create", Value::Null).await;
    let mut kinds = Vec::new();
    let message = loop {
        let message = tokio::time::timeout(Duration::from_secs(30), client.socket.next())
            .await
            .expect("build finishes within 30 s")
            .expect("server alive");
        let value = serde_json::to_value(&message).unwrap();
        if value["method"] == "$/progress" {
            kinds.push(
                value["params"]["value"]["kind"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        if value["method"] == "window/showMessage" {
            break value["params"]["message"].as_str().unwrap().to_string();
        }
    };
    assert!(message.starts_with("Built "), "{message}");
    assert_eq!(kinds.first().map(String::as_str), Some("begin"));
    assert_eq!(kinds.last().map(String::as_str), Some("end"));
    let image = std::fs::read(&output).unwrap();
    assert_eq!(&image[0x8001..0x8006], b"CD001");
}

#[tokio::test]
async fn build_iso_refuses_a_kickstart_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ks.cfg"), "%packages\n").unwrap();
    let (service, socket) = kslint::lsp::service();
    let mut client = Client {
        service,
        socket,
        next_id: 1,
    };
    client
        .request(
            "initialize",
            json!({ "capabilities": {}, "initializationOptions": { "mediaRoot": dir.path() } }),
        )
        .await;
    let ks = url(&dir.path().join("ks.cfg"));
    client.open(&ks, "%packages\n").await;
    let request = Request::build("workspace/executeCommand")
        .params(json!({ "command": "kslint.buildIso", "arguments": [{ "uri": ks }] }))
        .id(99)
        .finish();
    let response = client
        .service
        .ready()
        .await
        .unwrap()
        .call(request)
        .await
        .unwrap()
        .unwrap();
    let value = serde_json::to_value(&response).unwrap();
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 error"),
        "{value}"
    );
}

#[tokio::test]
async fn packages_and_groups_come_from_the_media() {
    let ks = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/centos7-media/build_iso/isolinux/ks/ks.cfg");
    let text = std::fs::read_to_string(&ks).unwrap();
    let uri = url(&ks);
    let mut client = Client::start(utf16_client()).await;
    client.open(&uri, &text).await;
    let line = |needle: &str| text.lines().position(|l| l == needle).unwrap() as u32;

    let hover = client
        .request("textDocument/hover", json!({ "textDocument": {"uri": uri}, "position": {"line": line("httpd"), "character": 2} }))
        .await;
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("**httpd-") && value.contains("Packages/httpd-"),
        "{value}"
    );
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": {"uri": uri}, "position": {"line": line("@core"), "character": 2} }))
        .await;
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**@core**") && value.contains("`bash` (mandatory)"),
        "{value}"
    );

    // Type "ch" on the line of "chrony": package names from Packages/.
    let items = client
        .request("textDocument/completion", json!({ "textDocument": {"uri": uri}, "position": {"line": line("chrony"), "character": 2} }))
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"chrony"), "{labels:?}");
    assert!(
        labels.iter().all(|label| label.starts_with("ch")),
        "{labels:?}"
    );

    let definition = client
        .request("textDocument/definition", json!({ "textDocument": {"uri": uri}, "position": {"line": line("@core"), "character": 2} }))
        .await;
    assert!(
        definition["uri"]
            .as_str()
            .unwrap()
            .ends_with("build_iso/comps.xml"),
        "{definition}"
    );
    assert!(
        definition["range"]["start"]["line"].as_u64().unwrap() > 0,
        "{definition}"
    );
}

#[tokio::test]
async fn boot_configs_are_documents_with_their_own_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kslint.toml"),
        "[iso]\nvolume_id = \"GOOD\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".discinfo"), "1\nCentOS 7\nx86_64\n").unwrap();
    let config = dir.path().join("isolinux.cfg");
    let text = "default linux\nlabel linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=BAD quiet\n";
    std::fs::write(&config, text).unwrap();
    let mut client = Client::start(utf16_client()).await;
    let published = client.open(&url(&config), text).await;
    assert!(
        codes(&published).contains(&"KS4002".to_string()),
        "{published}"
    );
}

/// A media tree with a boot menu, two kickstarts and the loader's files.
fn boot_media() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("kslint.toml"),
        "[iso]\nvolume_id = \"KS MEDIA\"\n",
    )
    .unwrap();
    std::fs::write(root.join(".discinfo"), "1\nCentOS 7\nx86_64\n").unwrap();
    std::fs::create_dir_all(root.join("isolinux")).unwrap();
    std::fs::create_dir_all(root.join("ks")).unwrap();
    for name in ["vmlinuz", "initrd.img", "isolinux.bin", "ldlinux.c32"] {
        std::fs::write(root.join("isolinux").join(name), "boot file\n").unwrap();
    }
    std::fs::write(root.join("ks/ks.cfg"), "lang C\n").unwrap();
    std::fs::write(root.join("ks/alt.ks"), "lang C\n").unwrap();
    let config = root.join("isolinux/isolinux.cfg");
    let text = "default ks\nlabel ks\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=KS\\x20MEDIA inst.ks=hd:LABEL=KS\\x20MEDIA:/ks/ks.cfg rd.shell ks=cdrom:/ks/alt.ks inst.\n".to_string();
    std::fs::write(&config, &text).unwrap();
    (dir, config, text)
}

async fn open_boot(client: &mut Client, uri: &str, text: &str) -> Value {
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "isolinux", "version": 1, "text": text } }),
        )
        .await;
    client.diagnostics(uri).await
}

fn column_of(text: &str, line: usize, needle: &str) -> usize {
    text.lines().nth(line).unwrap().find(needle).unwrap()
}

#[tokio::test]
async fn boot_configs_hover_kernel_arguments_and_files() {
    let (_dir, config, text) = boot_media();
    let uri = url(&config);
    let mut client = Client::start(utf16_client()).await;
    open_boot(&mut client, &uri, &text).await;
    let hover = |character: usize| json!({ "textDocument": {"uri": uri}, "position": {"line": 3, "character": character} });
    let at = column_of(&text, 3, "inst.ks=") + 3;
    let result = client.request("textDocument/hover", hover(at)).await;
    let value = result["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("`inst.ks=<source>`"), "{value}");
    assert!(value.contains("kickstart"), "{value}");
    // What the argument names on this media.
    assert!(value.contains("Label `KS MEDIA`: matches"), "{value}");
    assert!(value.contains("ks/ks.cfg` on the media"), "{value}");
    let start = column_of(&text, 3, "inst.ks=") as u64;
    assert_eq!(result["range"]["start"]["character"], start);
    assert_eq!(result["range"]["end"]["character"], start + 7);

    let at = column_of(&text, 3, "rd.shell") + 1;
    let result = client.request("textDocument/hover", hover(at)).await;
    let value = result["contents"]["value"].as_str().unwrap();
    assert!(value.contains("dracut opens a shell"), "{value}");

    // The old spelling says what it stands for.
    let at = column_of(&text, 3, " ks=") + 1;
    let result = client.request("textDocument/hover", hover(at)).await;
    let value = result["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("`ks` is the old spelling of `inst.ks`"),
        "{value}"
    );

    // A loaded file: where it is on the media.
    let result = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": {"uri": uri}, "position": {"line": 2, "character": 10} }),
        )
        .await;
    let value = result["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("**Kernel** `vmlinuz`"), "{value}");
    assert!(value.contains("isolinux/vmlinuz"), "{value}");
    // Directives say what they do for their loader; their values do not.
    let result = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": {"uri": uri}, "position": {"line": 0, "character": 2} }),
        )
        .await;
    let value = result["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("**default** (SYSLINUX)"), "{value}");
    assert_eq!(result["range"]["end"]["character"], 7);
    let result = client
        .request(
            "textDocument/hover",
            json!({ "textDocument": {"uri": uri}, "position": {"line": 0, "character": 9} }),
        )
        .await;
    assert!(result.is_null(), "{result}");
}

#[tokio::test]
async fn boot_configs_complete_arguments_labels_and_kickstarts() {
    let (_dir, config, text) = boot_media();
    let uri = url(&config);
    let mut client = Client::start(utf16_client()).await;
    open_boot(&mut client, &uri, &text).await;
    let line_end = text.lines().nth(3).unwrap().len();
    let complete = |line: usize, character: usize| json!({ "textDocument": {"uri": uri}, "position": {"line": line, "character": character} });
    let items = client
        .request("textDocument/completion", complete(3, line_end))
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["label"].as_str().unwrap())
        .collect();
    for name in [
        "inst.ks",
        "inst.stage2",
        "inst.repo",
        "inst.text",
        "inst.sshd",
    ] {
        assert!(labels.contains(&name), "{name} missing from {labels:?}");
    }
    assert!(
        labels.iter().all(|label| label.starts_with("inst.")),
        "{labels:?}"
    );
    // Options with a value insert the `=`; flags do not.
    let insert = |name: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["label"] == name)
            .unwrap()["textEdit"]["newText"]
            .clone()
    };
    assert_eq!(insert("inst.ks"), "inst.ks=");
    assert_eq!(insert("inst.text"), "inst.text");

    // After `inst.ks=`: the kickstarts of the media, by the volume id.
    let edited = format!("{}ks=\n", &text[..text.len() - 1]);
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": {"uri": uri, "version": 2},
                    "contentChanges": [{ "text": edited }] }),
        )
        .await;
    let items = client
        .request("textDocument/completion", complete(3, line_end + 3))
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"inst.ks=hd:LABEL=KS\\x20MEDIA:/ks/ks.cfg"),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"inst.ks=hd:LABEL=KS\\x20MEDIA:/ks/alt.ks"),
        "{labels:?}"
    );
    // Boot menus are not kickstarts.
    assert!(
        !labels.iter().any(|l| l.ends_with("isolinux.cfg")),
        "{labels:?}"
    );
    // The whole argument is replaced.
    let edit = &items[0]["textEdit"]["range"];
    let start = edited.lines().nth(3).unwrap().rfind("inst.ks=").unwrap();
    assert_eq!(edit["start"]["character"], start as u64);

    // `inst.stage2=` offers the media by its label.
    let items = client
        .request(
            "textDocument/completion",
            complete(
                3,
                column_of(&text, 3, "inst.stage2=") + "inst.stage2=".len(),
            ),
        )
        .await;
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["label"] == "inst.stage2=hd:LABEL=KS\\x20MEDIA"),
        "{items}"
    );
    // No argument names on the `kernel` line or before `append`.
    for (line, character) in [(2, 16), (3, 1)] {
        let items = client
            .request("textDocument/completion", complete(line, character))
            .await;
        assert_eq!(items, json!([]), "{line}:{character}");
    }
}

#[tokio::test]
async fn boot_configs_link_kickstarts_and_loaded_files() {
    let (dir, config, text) = boot_media();
    let uri = url(&config);
    let mut client = Client::start(utf16_client()).await;
    open_boot(&mut client, &uri, &text).await;
    let at = column_of(&text, 3, "/ks/ks.cfg") + 4;
    let definition = client
        .request(
            "textDocument/definition",
            json!({ "textDocument": {"uri": uri}, "position": {"line": 3, "character": at} }),
        )
        .await;
    let target = definition["uri"].as_str().unwrap();
    assert!(target.ends_with("/ks/ks.cfg"), "{definition}");
    assert_eq!(
        std::fs::canonicalize(
            tower_lsp::lsp_types::Url::parse(target)
                .unwrap()
                .to_file_path()
                .unwrap()
        )
        .unwrap(),
        std::fs::canonicalize(dir.path().join("ks/ks.cfg")).unwrap()
    );
    let links = client
        .request(
            "textDocument/documentLink",
            json!({ "textDocument": {"uri": uri} }),
        )
        .await;
    let targets: Vec<String> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|link| {
            let target = link["target"].as_str().unwrap();
            target.rsplit('/').take(2).collect::<Vec<_>>().join("<")
        })
        .collect();
    // In file order: kernel, initrd, kickstart, the cdrom kickstart.
    assert_eq!(
        targets,
        [
            "vmlinuz<isolinux",
            "initrd.img<isolinux",
            "ks.cfg<ks",
            "alt.ks<ks"
        ],
        "{links}"
    );
    let kernel = &links[0]["range"];
    assert_eq!(kernel["start"], json!({"line": 2, "character": 9}));
    assert_eq!(kernel["end"], json!({"line": 2, "character": 16}));
}

#[tokio::test]
async fn boot_configs_outline_and_fold_their_entries() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("isolinux.cfg");
    let text = "default vesamenu.c32\ntimeout 50\n\nlabel linux\n  menu label ^Install Fixture\n  kernel vmlinuz\n  append initrd=initrd.img quiet\n\nlabel local\n  localboot 0xffff\n";
    std::fs::write(&config, text).unwrap();
    let uri = url(&config);
    let mut client = Client::start(utf16_client()).await;
    open_boot(&mut client, &uri, text).await;
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": {"uri": uri} }),
        )
        .await;
    let outline: Vec<(String, Value, u64, u64)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["detail"].clone(),
                s["range"]["start"]["line"].as_u64().unwrap(),
                s["range"]["end"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outline,
        [
            ("Install Fixture".to_string(), json!("vmlinuz"), 3, 6),
            ("local".to_string(), Value::Null, 8, 8),
        ],
        "{symbols}"
    );
    let folds = client
        .request(
            "textDocument/foldingRange",
            json!({ "textDocument": {"uri": uri} }),
        )
        .await;
    assert_eq!(folds.as_array().unwrap().len(), 1, "{folds}");
    assert_eq!(folds[0]["startLine"], 3);
    assert_eq!(folds[0]["endLine"], 6);
}

#[tokio::test]
async fn boot_configs_follow_the_kickstart_buffer_they_load() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("kslint.toml"),
        "syntax = \"RHEL9\"\n[iso]\nvolume_id = \"KSMEDIA\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("isolinux")).unwrap();
    std::fs::create_dir_all(root.join("images")).unwrap();
    std::fs::write(root.join("images/install.img"), "image\n").unwrap();
    for name in ["vmlinuz", "initrd.img"] {
        std::fs::write(root.join("isolinux").join(name), "boot file\n").unwrap();
    }
    let ks = root.join("ks.cfg");
    std::fs::write(&ks, "url --url=http://mirror/rhel9/BaseOS\nlang C\n").unwrap();
    let config = root.join("isolinux/isolinux.cfg");
    let text = "default ks\ntimeout 50\nlabel ks\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=KSMEDIA inst.ks=hd:LABEL=KSMEDIA:/ks.cfg quiet\n";
    std::fs::write(&config, text).unwrap();
    let boot_uri = url(&config);
    let mut client = Client::start(utf16_client()).await;
    let published = open_boot(&mut client, &boot_uri, text).await;
    assert_eq!(codes(&published), Vec::<String>::new(), "{published}");
    // The kickstart edited (not saved) to install from `cdrom`: the boot
    // menu is checked again against the buffer.
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": url(&ks), "languageId": "kickstart", "version": 1, "text": "cdrom\nlang C\n" } }),
        )
        .await;
    // Earlier publications of the unchanged menu may still be queued; the
    // re-check arrives within the 10 s `diagnostics` allows, or the test fails.
    loop {
        let published = client.diagnostics(&boot_uri).await;
        if codes(&published) == ["KS4026"] {
            break;
        }
        assert_eq!(codes(&published), Vec::<String>::new(), "{published}");
    }
}

/// A client that passes `initializationOptions` (the `kslint` settings).
async fn start_with_settings(settings: Value) -> Client {
    let (service, socket) = kslint::lsp::service();
    let mut client = Client {
        service,
        socket,
        next_id: 1,
    };
    client
        .request(
            "initialize",
            json!({ "capabilities": utf16_client(), "initializationOptions": settings }),
        )
        .await;
    client.notify("initialized", json!({})).await;
    client
}

const SHELLCHECK_KS: &str = "lang C\n%post\n\techo é $HOME\n%end\n";

#[tokio::test]
async fn shellcheck_findings_are_published_when_shellcheck_is_installed() {
    if !common::shellcheck_installed() {
        return;
    }
    let uri = "file:///tmp/kslint-lsp-test/shellcheck.cfg";
    let mut client = Client::start(utf16_client()).await;
    let published = client.open(uri, SHELLCHECK_KS).await;
    let diagnostic = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "SC2086")
        .unwrap_or_else(|| panic!("SC2086 published: {published:#}"));
    assert_eq!(diagnostic["source"], "shellcheck");
    assert_eq!(
        diagnostic["codeDescription"]["href"],
        "https://www.shellcheck.net/wiki/SC2086"
    );
    assert_eq!(diagnostic["severity"], 3, "info");
    // `\techo é ` is 8 UTF-16 code units before `$HOME`.
    assert_eq!(
        diagnostic["range"],
        json!({"start": {"line": 2, "character": 8}, "end": {"line": 2, "character": 13}})
    );
    // shellcheck's fix is a code action: quotes around `$HOME`.
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": []} }),
        )
        .await;
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Apply shellcheck's fix for SC2086")
        .unwrap_or_else(|| panic!("shellcheck's fix offered: {actions:#}"));
    assert_ne!(fix["isPreferred"], true, "unsafe fixes are not preferred");
    let edits: Vec<(Value, Value)> = fix["edit"]["changes"][uri]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["range"]["start"]["character"].clone(),
                e["newText"].clone(),
            )
        })
        .collect();
    assert_eq!(edits, [(json!(8), json!("\"")), (json!(13), json!("\""))]);

    // The editor setting turns the pass off.
    let mut client = start_with_settings(json!({ "shellcheck": false })).await;
    let published = client.open(uri, SHELLCHECK_KS).await;
    assert!(
        !codes(&published).iter().any(|code| code.starts_with("SC")),
        "{published:#}"
    );
}

#[tokio::test]
async fn a_shellcheck_that_cannot_run_is_one_message_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kslint.toml"),
        "[scripts]\nshellcheck = \"./missing/shellcheck\"\n",
    )
    .unwrap();
    let uri = url(&dir.path().join("ks.cfg"));
    let mut client = Client::start(utf16_client()).await;
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "kickstart", "version": 1, "text": SHELLCHECK_KS } }),
        )
        .await;
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": format!("# edited\n{SHELLCHECK_KS}") }] }),
        )
        .await;
    let (mut messages, mut published) = (Vec::new(), Vec::new());
    while published.last().map(|p: &Value| p["version"].clone()) != Some(json!(2)) {
        let message = tokio::time::timeout(Duration::from_secs(10), client.socket.next())
            .await
            .expect("a message within 10 s")
            .expect("server alive");
        let value = serde_json::to_value(&message).unwrap();
        match value["method"].as_str() {
            Some("window/showMessage") => messages.push(value["params"]["message"].clone()),
            Some("textDocument/publishDiagnostics") => published.push(value["params"].clone()),
            _ => {}
        }
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = messages[0].as_str().unwrap();
    assert!(
        message.contains("shellcheck pass skipped") && message.contains("missing/shellcheck"),
        "{message}"
    );
    assert!(!codes(published.last().unwrap())
        .iter()
        .any(|code| code.starts_with("SC")));
}

/// What a user types or pastes at the start of a line, by section: each
/// kind lands in commands, `%packages` and script bodies, and line inserts
/// move every script below them (so their cached trees are shifted).
const TYPED_LINES: &[&str] = &[
    "systemctl enable chronyd\n",
    "if [ -f /etc/x ]; then\n  echo \"$HOME\" >> /root/log\nfi\n",
    "cat > /etc/motd <<EOF\nhello\nEOF\n",
    "httpd\n",
    "no-such-packag\n",
    "-kernel-tools\n",
    "@core\n",
    "timezone UTC\n",
    "%post\necho hi\n%end\n",
];

/// Small deterministic random numbers (xorshift64*).
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1) as u64) as usize
    }
}

/// One random edit of ASCII `text` as an LSP change (line, column):
/// typing a character, deleting a short range, or pasting lines.
fn random_change(random: &mut Random, text: &mut String, pasted: &[&str]) -> Value {
    let lines: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&start| start < text.len())
        .collect();
    let line = random.below(lines.len());
    let start = lines[line];
    let length = text[start..].find('\n').unwrap_or(text.len() - start);
    let position = |column: usize| json!({ "line": line, "character": column });
    let (from, to, insert) = match random.below(10) {
        0..=4 => {
            let column = random.below(length + 1);
            let typed = ["a", "-", " ", "$", "\"", "1", "/", "%"][random.below(8)];
            (column, column, typed.to_string())
        }
        5..=7 if length > 0 => {
            let column = random.below(length);
            let end = (column + 1 + random.below(3)).min(length);
            (column, end, String::new())
        }
        _ => (0, 0, pasted[random.below(pasted.len())].to_string()),
    };
    text.replace_range(start + from..start + to, &insert);
    json!({ "range": { "start": position(from), "end": position(to) }, "text": insert })
}

/// The diagnostics of a fresh analysis of `text` as the server reports them
/// (code, UTF-16 range, message), sorted.
fn fresh_diagnostics(path: &std::path::Path, text: &str) -> Vec<(String, Value, String)> {
    use kslint::analysis::{analyze, CheckOptions};
    use kslint::source::{ColumnUnit, SourceFile};
    let options = CheckOptions {
        config: kslint::config::Config::discover(path)
            .ok()
            .flatten()
            .unwrap_or_default(),
        ..CheckOptions::default()
    };
    let analysis = analyze(SourceFile::new(path, text), &options);
    let file = analysis.sources.get(analysis.main);
    let point = |offset: usize| {
        let position = file.position(offset, ColumnUnit::Utf16CodeUnits);
        json!({ "line": position.line, "character": position.column })
    };
    let mut found: Vec<(String, Value, String)> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.location.file == analysis.main)
        .map(|d| {
            let code = d
                .external
                .as_ref()
                .map_or(d.rule.code.to_string(), |e| e.code.to_string());
            let range = json!({ "start": point(d.location.range.start), "end": point(d.location.range.end) });
            (code, range, d.message.clone())
        })
        .collect();
    found.sort_by_key(|d| format!("{d:?}"));
    found
}

fn published_diagnostics(published: &Value) -> Vec<(String, Value, String)> {
    let mut found: Vec<(String, Value, String)> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"].clone(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort_by_key(|d| format!("{d:?}"));
    found
}

/// After each of many random edits of a kickstart on real media, the
/// published diagnostics (computed from the edited tree, the script trees
/// kept from earlier versions and the remembered did-you-mean answers)
/// equal a fresh analysis of the same text.
#[tokio::test]
async fn incremental_diagnostics_equal_a_fresh_analysis_after_random_edits() {
    let ks = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/centos7-media/build_iso/isolinux/ks/ks.cfg");
    let mut text = std::fs::read_to_string(&ks).unwrap();
    assert!(text.is_ascii(), "the edits below count columns in bytes");
    let uri = url(&ks);
    let mut client = start_with_settings(json!({ "shellcheck": false })).await;
    open_and_compare_with_a_fresh_analysis(&mut client, &ks, &uri, &text).await;
    let mut random = Random(0x6b73_6c69_6e74);
    for version in 2..=250 {
        let change = random_change(&mut random, &mut text, TYPED_LINES);
        let published = client.change(&uri, version, change).await;
        assert_eq!(
            published_diagnostics(&published),
            fresh_diagnostics(&ks, &text),
            "after edit {version}, text:\n{text}"
        );
    }
}

/// Opens `text` as the document `uri` (the file `ks`) and checks the first
/// publish against a fresh analysis: the start of the random-edit tests.
async fn open_and_compare_with_a_fresh_analysis(
    client: &mut Client,
    ks: &std::path::Path,
    uri: &str,
    text: &str,
) {
    let published = client.open(uri, text).await;
    assert_eq!(
        published_diagnostics(&published),
        fresh_diagnostics(ks, text)
    );
}

/// Lines pasted into the `%packages` of [`dependency_media`]: exclusions
/// that leave a requirement without a provider, or take away the package
/// that has one, and lines that select or no longer select either.
const PACKAGE_LINES: &[&str] = &[
    "pkg0009\n",
    "pkg0039\n",
    "-pkg0003\n",
    "-pkg0012\n",
    "broken\n",
    "-broken\n",
    "@core\n",
    "missing-one\n",
];

/// A media tree of packages that require earlier ones (by library, by
/// versioned name, by file, as in the LSP benchmark) plus `broken`, whose
/// requirement nothing provides; and a kickstart in it.
fn dependency_media() -> (tempfile::TempDir, std::path::PathBuf, String) {
    use kslint::media::testkit::{comps_xml, GroupSpec, RpmSpec};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("build_iso/isolinux");
    let packages = root.join("Packages");
    std::fs::create_dir_all(root.join("ks")).unwrap();
    for i in 0..40 {
        RpmSpec::chained(i).write_to(&packages).unwrap();
    }
    RpmSpec::new("broken", "1.0", "x86_64")
        .requires("libmissing.so.1()(64bit)")
        .write_to(&packages)
        .unwrap();
    let core = [("pkg0001", "mandatory"), ("pkg0002", "default")];
    let groups = [GroupSpec {
        id: "core",
        name: "Core",
        packages: &core,
    }];
    std::fs::write(
        dir.path().join("build_iso/comps.xml"),
        comps_xml(&groups, &[]),
    )
    .unwrap();
    let ks = root.join("ks/deps.ks");
    // `pkg0010` requires `pkg0003 >= 1.0`: unresolved until an edit of the
    // exclusion's line.
    let text = format!("{PACKAGES_HEAD}@core\n-broken\npkg0010\n-pkg0003\npkg0020\nbroken\n%end\n");
    std::fs::write(&ks, &text).unwrap();
    (dir, ks, text)
}

/// What comes before the package lines in [`dependency_media`]'s kickstart.
const PACKAGES_HEAD: &str = "lang C\nrootpw --lock\n%packages\n";

/// Random edits of a `%packages` section against media with dependencies:
/// the server reuses the dependency results of unchanged selections and
/// skips the closure when no requirement on the media can be unmet; after
/// every edit its diagnostics (KS2006 included) equal a fresh analysis.
#[tokio::test]
async fn package_edits_keep_dependency_findings_equal_to_a_fresh_analysis() {
    let (_dir, ks, mut text) = dependency_media();
    let uri = url(&ks);
    let mut client = start_with_settings(json!({ "shellcheck": false })).await;
    open_and_compare_with_a_fresh_analysis(&mut client, &ks, &uri, &text).await;
    let mut random = Random(0x7061_636b);
    // Versions with and without a KS2006: both ways of answering it ran.
    let (mut with_unresolved, mut without) = (0, 0);
    for version in 2..=200 {
        // Edits of the package lines only: `%packages` and `%end` stay.
        let mut lines = text[PACKAGES_HEAD.len()..text.len() - "%end\n".len()].to_string();
        let mut change = random_change(&mut random, &mut lines, PACKAGE_LINES);
        text = format!("{PACKAGES_HEAD}{lines}%end\n");
        let head_lines = PACKAGES_HEAD.lines().count() as u64;
        for end in ["start", "end"] {
            let line = &mut change["range"][end]["line"];
            *line = json!(line.as_u64().unwrap() + head_lines);
        }
        let published = client.change(&uri, version, change).await;
        let published = published_diagnostics(&published);
        match published.iter().any(|d| d.0 == "KS2006") {
            true => with_unresolved += 1,
            false => without += 1,
        }
        assert_eq!(
            published,
            fresh_diagnostics(&ks, &text),
            "after edit {version}, text:\n{text}"
        );
    }
    assert!(
        with_unresolved > 0 && without > 0,
        "{with_unresolved} versions with unresolved requirements, {without} without"
    );
}
