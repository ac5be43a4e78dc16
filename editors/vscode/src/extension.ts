// The kslint extension: starts `kslint lsp --stdio` for kickstart files and
// boot configs, feeds it the `kslint.*` settings, and adds the commands
// "Kickstart: Build ISO", "Kickstart: Show rule docs" and
// "Kickstart: Restart server".

import { execFile } from "child_process";
import * as vscode from "vscode";
import {
  ConfigurationParams,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import { buildArguments, isRuleCode, needsForce, ruleCode, serverCommand, serverSettings } from "./config";

const LANGUAGES = ["kickstart", "syslinux", "grub"];
const SERVER_BUILD_ISO = "kslint.buildIso";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;

function workspaceFolder(uri?: vscode.Uri): string | undefined {
  const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined;
}

function settingsFor(scope?: vscode.Uri) {
  const config = vscode.workspace.getConfiguration("kslint", scope);
  return serverSettings((key) => config.get(key), workspaceFolder(scope));
}

function command(): string {
  return serverCommand(vscode.workspace.getConfiguration("kslint").get("server.path"), workspaceFolder());
}

function createClient(): LanguageClient {
  const run = { command: command(), args: ["lsp"], transport: TransportKind.stdio };
  // TransportKind.stdio makes the client append `--stdio`: `kslint lsp --stdio`.
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    outputChannel: output,
    initializationOptions: settingsFor(),
    middleware: {
      workspace: {
        // Answer the server's pull of the `kslint` section with resolved
        // settings instead of the raw ones (which hold editor-only keys).
        configuration: async (params: ConfigurationParams, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return params.items.map((item, index) =>
            item.section === "kslint"
              ? settingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : answers[index],
          );
        },
      },
    },
  };
  return new LanguageClient("kslint", "kslint", serverOptions, clientOptions);
}

async function start(): Promise<void> {
  client = createClient();
  client.onDidChangeState((event) => {
    void vscode.commands.executeCommand("setContext", "kslint.serverRunning", event.newState === State.Running);
  });
  try {
    await client.start();
  } catch (error) {
    const message = `kslint: cannot start \`${command()} lsp\`: ${error instanceof Error ? error.message : error}`;
    const choice = await vscode.window.showErrorMessage(message, "Open Settings");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "kslint.server.path");
    }
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop(5000);
    } catch {
      // It may never have started.
    }
    await running.dispose();
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

/** "Kickstart: Build ISO": `kslint.buildIso` for the active kickstart. */
async function buildIso(uri?: vscode.Uri, force = false): Promise<void> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showErrorMessage("Kickstart: Build ISO needs an open kickstart file.");
    return;
  }
  if (!client || client.state !== State.Running) {
    void vscode.window.showErrorMessage("Kickstart: the kslint language server is not running.");
    return;
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
  if (document?.isDirty) {
    await document.save();
  }
  try {
    // Progress ($/progress) and the result (window/showMessage) come from
    // the server; the answer only says where the image goes.
    const result = await client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_BUILD_ISO,
      arguments: [
        buildArguments(
          client.code2ProtocolConverter.asUri(target),
          force,
          (key) => vscode.workspace.getConfiguration("kslint", target).get(key),
          vscode.workspace.getWorkspaceFolder(target)?.uri.fsPath,
        ),
      ],
    });
    const where = result && typeof result === "object" && "output" in result ? ` → ${result.output}` : "";
    output.appendLine(`Build ISO started${where}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (needsForce(error) && !force) {
      const choice = await vscode.window.showWarningMessage(`Kickstart: ${message}`, "Build anyway");
      if (choice === "Build anyway") {
        await buildIso(target, true);
      }
      return;
    }
    void vscode.window.showErrorMessage(`Kickstart: Build ISO: ${message}`);
  }
}

/** The kslint rule codes of the diagnostics under the cursor. */
function codesAtCursor(): string[] {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return [];
  }
  const codes = vscode.languages
    .getDiagnostics(editor.document.uri)
    .filter((d) => d.source === "kslint" && d.range.contains(editor.selection.active))
    .map((d) => ruleCode(d.code))
    .filter((code): code is string => code !== undefined);
  return [...new Set(codes)];
}

function explain(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command(), ["explain", code], { timeout: 10000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(stderr.trim() || error.message));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** "Kickstart: Show rule docs": `kslint explain CODE` as a Markdown preview. */
async function showRuleDocs(code?: unknown): Promise<void> {
  let chosen = isRuleCode(code) ? code : undefined;
  if (!chosen) {
    const candidates = codesAtCursor();
    chosen =
      candidates.length === 1
        ? candidates[0]
        : candidates.length > 1
          ? await vscode.window.showQuickPick(candidates, { placeHolder: "Rule" })
          : (await vscode.window.showInputBox({ prompt: "Rule code", placeHolder: "KS0001" }))?.trim().toUpperCase();
  }
  if (!chosen) {
    return;
  }
  try {
    const text = await explain(chosen);
    const document = await vscode.workspace.openTextDocument({ language: "markdown", content: text });
    await vscode.commands.executeCommand("markdown.showPreview", document.uri);
  } catch (error) {
    void vscode.window.showErrorMessage(`Kickstart: ${error instanceof Error ? error.message : error}`);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("kslint");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("kickstart.buildIso", (uri?: vscode.Uri) => buildIso(uri)),
    vscode.commands.registerCommand("kickstart.showRuleDocs", showRuleDocs),
    vscode.commands.registerCommand("kickstart.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("kslint.server")) {
        const choice = await vscode.window.showInformationMessage(
          "The kslint server path changed.",
          "Restart server",
        );
        if (choice === "Restart server") {
          await restart();
        }
      } else if (event.affectsConfiguration("kslint") && client?.state === State.Running) {
        // The server answers by pulling the section again (workspace/configuration).
        await client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}
