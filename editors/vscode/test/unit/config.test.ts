// Unit tests of the extension's pure helpers (node:test; run by `npm run test:unit`).
import * as assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { buildArguments, expandPath, needsForce, ruleCode, serverCommand, serverSettings } from "../../src/config";

const folder = "/work/project";
const getter = (values: Record<string, unknown>) => (key: string) => values[key];

test("serverSettings keeps the server's keys and drops editor-only ones", () => {
  const settings = serverSettings(
    getter({
      syntax: "RHEL7",
      mediaRoot: "build_iso/isolinux",
      rules: { KS0006: "off", "unused-suppression": "warning", KS0001: "fatal" },
      shellcheck: false,
      docsUrl: "https://example.com/{code}",
      server: { path: "/opt/kslint" },
      trace: { server: "verbose" },
    }),
    folder,
  );
  assert.deepEqual(settings, {
    syntax: "RHEL7",
    mediaRoot: path.join(folder, "build_iso/isolinux"),
    // "fatal" is no severity: left out rather than sent.
    rules: { KS0006: "off", "unused-suppression": "warning" },
    shellcheck: false,
    docsUrl: "https://example.com/{code}",
  });
});

test("serverSettings of the defaults", () => {
  assert.deepEqual(
    serverSettings(getter({ syntax: null, mediaRoot: null, rules: {}, shellcheck: true, docsUrl: null }), folder),
    { rules: {}, shellcheck: true },
  );
  assert.deepEqual(serverSettings(getter({ syntax: "  " }), undefined), { rules: {} });
});

test("expandPath: ${workspaceFolder}, ~ and relative paths", () => {
  assert.equal(expandPath("${workspaceFolder}/media", folder), "/work/project/media");
  assert.equal(expandPath("~/media", folder), path.join(os.homedir(), "media"));
  assert.equal(expandPath("media", folder), "/work/project/media");
  assert.equal(expandPath("/srv/media", folder), "/srv/media");
  assert.equal(expandPath("media", undefined), "media");
});

test("serverCommand: PATH lookup by default, paths expanded", () => {
  assert.equal(serverCommand("", folder), "kslint");
  assert.equal(serverCommand(undefined, folder), "kslint");
  assert.equal(serverCommand("kslint-dev", folder), "kslint-dev");
  assert.equal(serverCommand("${workspaceFolder}/target/debug/kslint", folder), "/work/project/target/debug/kslint");
  assert.equal(serverCommand("./target/debug/kslint", folder), "/work/project/target/debug/kslint");
});

test("ruleCode of both shapes of Diagnostic.code", () => {
  assert.equal(ruleCode("KS0002"), "KS0002");
  assert.equal(ruleCode({ value: "KS0012", target: { toString: () => "https://x" } }), "KS0012");
  assert.equal(ruleCode("SC2086"), undefined);
  assert.equal(ruleCode(42), undefined);
  assert.equal(ruleCode(undefined), undefined);
});

test("needsForce recognises the server's 'has errors' answer", () => {
  assert.equal(needsForce({ code: 2, message: "the kickstart has 1 error(s)" }), true);
  assert.equal(needsForce({ code: -32602, message: "no media tree" }), false);
  assert.equal(needsForce(undefined), false);
});

test("buildArguments carries the kslint.build.* settings as the server's buildIso fields", () => {
  const values: Record<string, unknown> = {
    "build.output": "out/media.iso",
    "build.ks": " ks/ks.cfg ",
    "build.volumeId": "CentOS 7 x86_64",
    "build.addArgs": ["console=ttyS0", "", 3],
    "build.removeArgs": [],
  };
  const args = buildArguments("file:///w/ks.cfg", true, (k) => values[k], "/w");
  assert.deepEqual(args, {
    uri: "file:///w/ks.cfg",
    force: true,
    output: path.join("/w", "out/media.iso"),
    ks: "ks/ks.cfg",
    volumeId: "CentOS 7 x86_64",
    addArgs: ["console=ttyS0"],
  });
  assert.deepEqual(buildArguments("file:///k", false, () => undefined, undefined), { uri: "file:///k", force: false });
});
