// Pure helpers (no `vscode` import), so they can be unit-tested with node:test.

import * as os from "os";
import * as path from "path";

/** The `kslint` section as the server reads it (see src/lsp/mod.rs `Settings`). */
export interface ServerSettings {
  syntax?: string;
  mediaRoot?: string;
  rules: Record<string, string>;
  shellcheck?: boolean;
  docsUrl?: string;
}

/** Reads one setting of the `kslint` section (`vscode.WorkspaceConfiguration.get`). */
export type Getter = (key: string) => unknown;

export const SEVERITIES = ["off", "hint", "info", "warning", "error"] as const;

/** Expands `~` and `${workspaceFolder}`, and makes a relative path absolute
 *  against the workspace folder (when there is one). */
export function expandPath(value: string, workspaceFolder: string | undefined): string {
  let expanded = value.trim();
  if (workspaceFolder) {
    expanded = expanded.split("${workspaceFolder}").join(workspaceFolder);
  }
  if (expanded === "~" || expanded.startsWith("~/")) {
    expanded = path.join(os.homedir(), expanded.slice(1));
  }
  if (workspaceFolder && !path.isAbsolute(expanded)) {
    expanded = path.join(workspaceFolder, expanded);
  }
  return expanded;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The settings sent to the server (initializationOptions and the answer to
 *  `workspace/configuration`): editor-only keys dropped, paths resolved,
 *  unknown severities left out. */
export function serverSettings(get: Getter, workspaceFolder: string | undefined): ServerSettings {
  const settings: ServerSettings = { rules: {} };
  const syntax = nonEmptyString(get("syntax"));
  if (syntax) {
    settings.syntax = syntax;
  }
  const mediaRoot = nonEmptyString(get("mediaRoot"));
  if (mediaRoot) {
    settings.mediaRoot = expandPath(mediaRoot, workspaceFolder);
  }
  const rules = get("rules");
  if (rules && typeof rules === "object") {
    for (const [rule, severity] of Object.entries(rules as Record<string, unknown>)) {
      if (typeof severity === "string" && (SEVERITIES as readonly string[]).includes(severity)) {
        settings.rules[rule] = severity;
      }
    }
  }
  const shellcheck = get("shellcheck");
  if (typeof shellcheck === "boolean") {
    settings.shellcheck = shellcheck;
  }
  const docsUrl = nonEmptyString(get("docsUrl"));
  if (docsUrl) {
    settings.docsUrl = docsUrl;
  }
  return settings;
}

/** The command that starts the server: the `kslint.server.path` setting, or
 *  `kslint` (looked up on PATH by the OS). */
export function serverCommand(setting: unknown, workspaceFolder: string | undefined): string {
  const configured = nonEmptyString(setting);
  if (!configured) {
    return "kslint";
  }
  // A bare name (no separator) is looked up on PATH, like the default.
  if (!configured.includes("/") && !configured.includes("\\") && !configured.startsWith("~")) {
    return configured;
  }
  return expandPath(configured, workspaceFolder);
}

/** A rule code in the shape kslint uses (`KS0001`). */
export function isRuleCode(value: unknown): value is string {
  return typeof value === "string" && /^KS\d{4}$/.test(value);
}

/** The rule code of a diagnostic's `code` field as VS Code holds it: a
 *  string, or `{ value, target }` when the server sent a codeDescription. */
export function ruleCode(code: unknown): string | undefined {
  if (isRuleCode(code)) {
    return code;
  }
  if (code && typeof code === "object" && "value" in code) {
    const value = (code as { value: unknown }).value;
    return isRuleCode(value) ? value : undefined;
  }
  return undefined;
}

/** Whether an error answered to `kslint.buildIso` means "the kickstart has
 *  errors; build with force" (the server's ServerError 2). */
export function needsForce(error: unknown): boolean {
  return !!error && typeof error === "object" && (error as { code?: unknown }).code === 2;
}

/** The arguments of `kslint.buildIso` (see src/lsp/mod.rs `BuildRequest`):
 *  the kickstart, `force`, and the `kslint.build.*` settings — the options
 *  of `kslint build-iso`. Empty settings are left out; a relative output
 *  path is relative to the workspace folder. */
export interface BuildArguments {
  uri: string;
  force: boolean;
  output?: string;
  ks?: string;
  volumeId?: string;
  addArgs?: string[];
  removeArgs?: string[];
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) {
    return undefined;
  }
  const words = value.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
  return words.length > 0 ? words : undefined;
}

export function buildArguments(uri: string, force: boolean, get: Getter, workspaceFolder: string | undefined): BuildArguments {
  const args: BuildArguments = { uri, force };
  const output = nonEmptyString(get("build.output"));
  if (output) {
    args.output = expandPath(output, workspaceFolder);
  }
  const ks = nonEmptyString(get("build.ks"));
  if (ks) {
    args.ks = ks;
  }
  const volumeId = nonEmptyString(get("build.volumeId"));
  if (volumeId) {
    args.volumeId = volumeId;
  }
  const addArgs = stringList(get("build.addArgs"));
  if (addArgs) {
    args.addArgs = addArgs;
  }
  const removeArgs = stringList(get("build.removeArgs"));
  if (removeArgs) {
    args.removeArgs = removeArgs;
  }
  return args;
}
