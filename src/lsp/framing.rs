//! A guard around tower-lsp's transport. tower-lsp stops reading for good
//! after one undecodable message (bad header, body that is not JSON), which
//! would take the server down on a client bug. Here every incoming message
//! is framed and checked first: good ones pass through unchanged, a broken
//! one is replaced by a request the server answers with a JSON-RPC parse
//! error, and reading goes on with the next header. On the way out, the
//! answer to such a request gets the `null` id JSON-RPC prescribes for
//! parse errors. The way out also carries messages the server serialised
//! itself (an [`Outbox`]), interleaved with tower-lsp's in the order sent.

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The method the replacement request calls; the server answers it with a
/// parse error carrying `message`.
pub const INVALID_MESSAGE_METHOD: &str = "kslint/invalidMessage";

/// The id prefix of the replacement requests (a counter follows, as ids of
/// requests must be unique); answers carrying it are sent with a `null` id.
const INVALID_MESSAGE_ID: &str = "kslint-invalid-message-";

/// Copies LSP messages from `input` to `output` until `input` ends.
///
/// Stops after the `exit` notification: nothing a client sends after it may
/// keep the server alive (tower-lsp never finishes once a message reaches
/// it after `exit`).
pub async fn forward(input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) {
    let mut reader = BufReader::new(input);
    let mut replaced = 0;
    loop {
        let message = match read_message(&mut reader).await {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(problem) => {
                replaced += 1;
                invalid(&problem, replaced)
            }
        };
        let header = format!("Content-Length: {}\r\n\r\n", message.len());
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(&message).await.is_err()
            || output.flush().await.is_err()
            || is_exit(&message)
        {
            return;
        }
    }
}

fn is_exit(message: &[u8]) -> bool {
    message.windows(6).any(|window| window == b"\"exit\"")
        && serde_json::from_slice::<Value>(message).is_ok_and(|value| value["method"] == "exit")
}

/// A way to the client for messages the server serialises itself, past
/// tower-lsp's `serde_json::Value` round trip: diagnostics run to hundreds
/// of kilobytes per edit. Messages leave in the order they are sent here,
/// interleaved with tower-lsp's in the order both reach the way out.
#[derive(Clone, Debug)]
pub struct Outbox(mpsc::UnboundedSender<Outgoing>);

/// What the writer of the way out receives.
#[derive(Debug)]
pub enum Outgoing {
    /// A message body (JSON), to be framed.
    Message(Vec<u8>),
    /// tower-lsp's side has closed: the server is done.
    End,
}

impl Outbox {
    /// An outbox and the receiving end [`forward_output`] drains.
    pub fn new() -> (Outbox, mpsc::UnboundedReceiver<Outgoing>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Outbox(sender), receiver)
    }

    /// Queues one message body; never waits. After the server's end,
    /// messages are dropped.
    pub fn send(&self, message: Vec<u8>) {
        let _ = self.0.send(Outgoing::Message(message));
    }
}

/// Copies the server's messages to the client, restoring the `null` id of
/// parse-error answers, together with what arrives through `outbox` (whose
/// receiving end is `queued`). Returns when tower-lsp's side (`input`)
/// ends, after everything queued before that was written.
pub async fn forward_output(
    input: impl AsyncRead + Unpin + Send + 'static,
    outbox: Outbox,
    mut queued: mpsc::UnboundedReceiver<Outgoing>,
    mut output: impl AsyncWrite + Unpin,
) {
    tokio::spawn(queue_server_messages(input, outbox));
    while let Some(Outgoing::Message(message)) = queued.recv().await {
        let header = format!("Content-Length: {}\r\n\r\n", message.len());
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(&message).await.is_err()
            || output.flush().await.is_err()
        {
            return;
        }
    }
}

/// Moves tower-lsp's messages into the outbox, then marks its end.
async fn queue_server_messages(input: impl AsyncRead + Unpin, outbox: Outbox) {
    let mut reader = BufReader::new(input);
    // The server's own messages are JSON: no need to parse them to check.
    while let Ok(Some(message)) = read_body(&mut reader).await {
        outbox.send(restore_null_id(message));
    }
    let _ = outbox.0.send(Outgoing::End);
}

/// The answer to a replaced (unreadable) request, with the `null` id
/// JSON-RPC prescribes for parse errors; any other message unchanged.
fn restore_null_id(message: Vec<u8>) -> Vec<u8> {
    let marker = format!("\"{INVALID_MESSAGE_ID}");
    // Diagnostics messages run to hundreds of kilobytes: a vectorised search.
    if memchr::memmem::find(&message, marker.as_bytes()).is_none() {
        return message;
    }
    match serde_json::from_slice::<Value>(&message) {
        Ok(mut value)
            if value["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(INVALID_MESSAGE_ID)) =>
        {
            value["id"] = Value::Null;
            serde_json::to_vec(&value).unwrap_or(message)
        }
        _ => message,
    }
}

fn invalid(problem: &str, number: u64) -> Vec<u8> {
    let request = json!({
        "jsonrpc": "2.0",
        "id": format!("{INVALID_MESSAGE_ID}{number}"),
        "method": INVALID_MESSAGE_METHOD,
        "params": { "message": problem },
    });
    serde_json::to_vec(&request).unwrap_or_default()
}

/// One message body that is JSON, `Ok(None)` at the end of input, `Err`
/// with what was wrong when the headers or the body cannot be used.
async fn read_message(
    reader: &mut (impl AsyncBufReadExt + Unpin),
) -> Result<Option<Vec<u8>>, String> {
    let Some(body) = read_body(reader).await? else {
        return Ok(None);
    };
    match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        Ok(_) => Ok(Some(body)),
        Err(error) => Err(format!("the message body is not JSON: {error}")),
    }
}

/// One message body as framed, `Ok(None)` at the end of input, `Err` with
/// what was wrong when the headers cannot be used or the body is cut short.
async fn read_body(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Result<Option<Vec<u8>>, String> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if reader
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| e.to_string())?
            == 0
        {
            return if saw_header {
                Err("the input ended inside a message header".into())
            } else {
                Ok(None)
            };
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                // Stray blank line between messages.
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length `{}`", value.trim())),
                );
            }
        }
    }
    let length = match length {
        Some(Ok(length)) => length,
        Some(Err(problem)) => return Err(problem),
        None => return Err("a message without a Content-Length header".into()),
    };
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return Err(format!(
            "the input ended {length} bytes into a message body"
        ));
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parse_error_answers_get_a_null_id() {
        let answer = br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"x"},"id":"kslint-invalid-message-1"}"#;
        let other = br#"{"jsonrpc":"2.0","result":null,"id":7}"#;
        let mut input = format!("Content-Length: {}\r\n\r\n", answer.len()).into_bytes();
        input.extend_from_slice(answer);
        input.extend_from_slice(format!("Content-Length: {}\r\n\r\n", other.len()).as_bytes());
        input.extend_from_slice(other);
        let (outbox, queued) = Outbox::new();
        let mut output = Vec::new();
        forward_output(std::io::Cursor::new(input), outbox, queued, &mut output).await;
        let text = String::from_utf8(output).unwrap();
        assert!(text.contains(r#""id":null"#), "{text}");
        assert!(text.contains(r#""id":7"#), "{text}");
    }

    #[tokio::test]
    async fn outbox_messages_go_out_in_order_until_the_server_ends() {
        let server = br#"{"jsonrpc":"2.0","result":null,"id":7}"#;
        let mut input = format!("Content-Length: {}\r\n\r\n", server.len()).into_bytes();
        input.extend_from_slice(server);
        let (outbox, queued) = Outbox::new();
        for n in 0..3 {
            outbox.send(format!(r#"{{"n":{n}}}"#).into_bytes());
        }
        let mut output = Vec::new();
        forward_output(
            std::io::Cursor::new(input),
            outbox.clone(),
            queued,
            &mut output,
        )
        .await;
        outbox.send(b"{\"late\":true}".to_vec());
        let text = String::from_utf8(output).unwrap();
        let bodies: Vec<&str> = text.split("\r\n\r\n").skip(1).collect();
        let own: Vec<&str> = bodies
            .iter()
            .filter(|b| b.contains("\"n\""))
            .copied()
            .collect();
        assert_eq!(own.len(), 3, "{text}");
        for (n, body) in own.iter().enumerate() {
            assert!(body.starts_with(&format!(r#"{{"n":{n}}}"#)), "{text}");
        }
        assert!(text.contains(r#""id":7"#), "{text}");
        assert!(!text.contains("late"), "{text}");
    }

    async fn run(input: &[u8]) -> Vec<Value> {
        let mut output = Vec::new();
        forward(input, &mut output).await;
        let mut messages = Vec::new();
        let mut rest = &output[..];
        while !rest.is_empty() {
            let end = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            let header = std::str::from_utf8(&rest[..end]).unwrap();
            let length: usize = header
                .trim_start_matches("Content-Length: ")
                .parse()
                .unwrap();
            let body = &rest[end + 4..end + 4 + length];
            messages.push(serde_json::from_slice(body).unwrap());
            rest = &rest[end + 4 + length..];
        }
        messages
    }

    #[tokio::test]
    async fn good_messages_pass_and_bad_ones_become_error_requests() {
        let input = b"Content-Length: 2\r\n\r\n{}\
Content-Length: 9\r\n\r\n{not json\
X-Nothing: 1\r\n\r\n\
content-length: 2\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n[]";
        let messages = run(input).await;
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[0], json!({}));
        assert_eq!(messages[1]["method"], INVALID_MESSAGE_METHOD);
        assert!(messages[1]["params"]["message"]
            .as_str()
            .unwrap()
            .contains("not JSON"));
        assert!(messages[2]["params"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Length"));
        assert_eq!(messages[3], json!([]));
    }

    #[tokio::test]
    async fn a_truncated_body_is_reported_once() {
        let messages = run(b"Content-Length: 50\r\n\r\n{\"jsonrpc\"").await;
        assert_eq!(messages.len(), 1);
        assert!(messages[0]["params"]["message"]
            .as_str()
            .unwrap()
            .contains("ended"));
    }
}
