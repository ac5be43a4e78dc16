//! The language server as a separate process over real stdio: thousands of
//! random edits in bursts, then both sides must agree on the text, and the
//! last diagnostics must equal a fresh `kslint check` of it. Also malformed
//! JSON-RPC, which must get errors while the server stays up.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use kslint::source::{ColumnUnit, Position, SourceFile};
use serde_json::{json, Value};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Messages read while waiting for another one, in arrival order: an
    /// answer may come after a later publish, which must not be lost.
    unmatched: Vec<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kslint"))
            .args(["lsp", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kslint lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length: ") {
                        length = value.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("server sends JSON");
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
            unmatched: Vec::new(),
            next_id: 1,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        self.send_raw(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        self.send_raw(&body);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        if !params.is_null() {
            message["params"] = params;
        }
        self.send(&message);
        self.wait(|message| message["id"] == id)
    }

    /// The first message matching `wanted`, within 60 s: one read earlier
    /// while waiting for something else, or the next to arrive.
    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.unmatched.iter().position(&wanted) {
            return self.unmatched.remove(index);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("server answered in time");
            if wanted(&message) {
                return message;
            }
            self.unmatched.push(message);
        }
    }

    fn initialize(&mut self) {
        let response = self.request("initialize", json!({ "capabilities": {} }));
        assert_eq!(response["result"]["serverInfo"]["name"], "kslint");
        self.notify("initialized", json!({}));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SNIPPETS: &[&str] = &[
    "lang en_US.UTF-8\n",
    "%packages\n",
    "@core\n",
    "%end\n",
    "%post\n",
    "echo \"hi\"\n",
    "rootpw 'x\n",
    "part / --size=1\n",
    "é",
    "𝄞",
    "\r\n",
    "#",
    " ",
    "--",
    "\"",
    "%pakages\n",
    "%include /tmp/x\n",
    "-kernel*\n",
    "\\\n",
    "\t",
    "network --bootproto=dhcp\n",
];

const WHOLE_FILE: &str = "#version=RHEL9\nlang C\nkeyboard us\n%packages\n@core\nvim\n%end\n%post --log=/root/post.log\nsystemctl enable sshd\n%end\n";

/// The server's reading of an LSP position (UTF-16), mirrored: lines past
/// the end clamp to the end of the text, columns past the line's end to the
/// line's end (before CR or LF), columns inside a character to its start.
fn offset_of(text: &str, line: u32, character: u32) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(at) => start += at + 1,
            None => return text.len(),
        }
    }
    let mut counted = 0;
    for (index, ch) in text[start..].char_indices() {
        if ch == '\n' || ch == '\r' {
            return start + index;
        }
        if counted + ch.len_utf16() > character as usize {
            return start + index;
        }
        counted += ch.len_utf16();
    }
    text.len()
}

fn position_of(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    (line, column as u32)
}

fn random_position(random: &mut Random, text: &str) -> (u32, u32) {
    match random.below(10) {
        // Out of range on purpose: past the last line, past a line's end.
        0 => (
            text.matches('\n').count() as u32 + 1 + random.below(5) as u32,
            random.below(50) as u32,
        ),
        1 => {
            let mut offset = random.below(text.len() + 1);
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let (line, _) = position_of(text, offset);
            (line, 200 + random.below(50) as u32)
        }
        _ => {
            let mut offset = random.below(text.len() + 1);
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let (line, column) = position_of(text, offset);
            // Sometimes the middle of a surrogate pair.
            (line, column + u32::from(random.below(8) == 0))
        }
    }
}

#[test]
fn ten_thousand_random_edits_keep_both_sides_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ks.cfg");
    let uri = format!("file://{}", path.display());
    let mut server = Server::start();
    server.initialize();
    let mut text = WHOLE_FILE.to_string();
    let mut version = 1;
    let mut open = true;
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "kickstart", "version": version, "text": text } }),
    );
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for step in 0..10_000 {
        version += 1;
        if step % 2_500 == 1_000 {
            // Closed: edits to it are ignored; then opened again.
            server.notify(
                "textDocument/didClose",
                json!({ "textDocument": { "uri": uri } }),
            );
            open = false;
        }
        let start = random_position(&mut random, &text);
        let end = if random.below(3) == 0 {
            start
        } else {
            random_position(&mut random, &text)
        };
        let insert = match random.below(20) {
            0 => WHOLE_FILE.to_string(),
            1..=5 => String::new(),
            _ => SNIPPETS[random.below(SNIPPETS.len())].to_string(),
        };
        let whole = random.below(200) == 0;
        let change = if whole {
            json!({ "text": WHOLE_FILE })
        } else {
            json!({ "range": { "start": { "line": start.0, "character": start.1 }, "end": { "line": end.0, "character": end.1 } }, "text": insert })
        };
        server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
        );
        if open {
            if whole {
                text = WHOLE_FILE.to_string();
            } else {
                let a = offset_of(&text, start.0, start.1);
                let b = offset_of(&text, end.0, end.1);
                text.replace_range(a.min(b)..a.max(b), &insert);
            }
        }
        if text.len() > 20_000 {
            version += 1;
            server.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": WHOLE_FILE }] }),
            );
            if open {
                text = WHOLE_FILE.to_string();
            }
        }
        if !open && step % 2_500 == 1_100 {
            version += 1;
            server.notify(
                "textDocument/didOpen",
                json!({ "textDocument": { "uri": uri, "languageId": "kickstart", "version": version, "text": text } }),
            );
            open = true;
        }
    }
    let view = server.request("kslint/documentText", json!({ "uri": uri }));
    assert_eq!(view["result"]["version"], version);
    assert_eq!(
        view["result"]["text"].as_str().unwrap(),
        text,
        "the server's text differs"
    );

    let last = server.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version
    });
    let mut from_server: Vec<(String, Value)> = last["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["range"].clone()))
        .collect();
    from_server.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.to_string().cmp(&b.1.to_string())));

    std::fs::write(&path, &text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kslint"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let file = SourceFile::new(&path, text.as_str());
    let utf16 = |point: &Value| {
        let offset = file.line_index.offset(
            &file.text,
            Position {
                line: point["line"].as_u64().unwrap() as u32 - 1,
                column: point["column"].as_u64().unwrap() as u32 - 1,
            },
            ColumnUnit::Chars,
        );
        let position = file.position(offset, ColumnUnit::Utf16CodeUnits);
        json!({ "line": position.line, "character": position.column })
    };
    let mut from_check: Vec<(String, Value)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let code = d["code"].as_str().unwrap().to_string();
            (
                code,
                json!({ "start": utf16(&d["start"]), "end": utf16(&d["end"]) }),
            )
        })
        .collect();
    from_check.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.to_string().cmp(&b.1.to_string())));
    assert_eq!(from_server, from_check, "final text:\n{text}");

    let response = server.request("shutdown", Value::Null);
    assert!(response.get("error").is_none());
}

#[test]
fn malformed_messages_get_errors_and_the_server_stays_up() {
    let mut server = Server::start();
    server.initialize();
    // Unknown method: MethodNotFound.
    let response = server.request("kslint/noSuchMethod", json!({}));
    assert_eq!(response["error"]["code"], -32601);
    // Wrong parameter shape: InvalidParams.
    let response = server.request("textDocument/hover", json!({ "nonsense": true }));
    assert_eq!(response["error"]["code"], -32602);
    // A body that is not JSON: ParseError, and the stream goes on.
    server.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    let error = server.wait(|m| m.get("error").is_some());
    assert_eq!(error["error"]["code"], -32700);
    assert_eq!(error["id"], Value::Null);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not JSON"),
        "{error}"
    );
    // A header without Content-Length: the same, and reading resumes.
    server.send_raw(b"Content-Type: text/plain\r\n\r\n");
    let error = server.wait(|m| m.get("error").is_some());
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Length"),
        "{error}"
    );
    // A huge document opens and gets diagnostics.
    let big = "lang C\n%post\n".to_string()
        + &"echo step >> /root/log\n".repeat(100_000)
        + "%end\n%pakages\n%end\n";
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": "file:///tmp/kslint-big.ks", "languageId": "kickstart", "version": 1, "text": big } }),
    );
    let published = server.wait(|m| m["method"] == "textDocument/publishDiagnostics");
    let codes: Vec<&str> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    // The unknown section, and the %post too large to parse as shell.
    assert!(codes.contains(&"KS0002"), "{codes:?}");
    assert!(codes.contains(&"KS3021"), "{codes:?}");
    // Still alive and answering.
    let response = server.request("shutdown", Value::Null);
    assert!(response.get("error").is_none(), "{response}");
}
