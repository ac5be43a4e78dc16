// The extension manifest agrees with the code and the files it names.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { serverSettings } from "../../src/config";

// Bundled into out-test/, run from editors/vscode (npm run test:unit).
const root = process.cwd();
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const extension = fs.readFileSync(path.join(root, "src/extension.ts"), "utf8");

test("every contributed command is registered, and the other way round", () => {
  const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
  const registered = [...extension.matchAll(/registerCommand\(\s*"([^"]+)"/g)].map((m) => m[1]).sort();
  assert.deepEqual(registered, contributed);
  // The server's own command is registered by vscode-languageclient
  // (executeCommandProvider); an extension command of the same id would clash.
  assert.ok(!contributed.includes("kslint.buildIso"));
  const titles = manifest.contributes.commands.map((c: { category: string; title: string }) => `${c.category}: ${c.title}`);
  assert.deepEqual(titles.sort(), ["Kickstart: Build ISO", "Kickstart: Restart server", "Kickstart: Show rule docs"]);
});

test("kickstart, syslinux and grub languages with grammars and configurations on disk", () => {
  const languages = manifest.contributes.languages;
  const kickstart = languages.find((l: { id: string }) => l.id === "kickstart");
  assert.deepEqual(kickstart.extensions, [".ks"]);
  for (const name of ["ks.cfg", "anaconda-ks.cfg"]) {
    assert.ok(kickstart.filenames.includes(name), name);
  }
  for (const language of languages) {
    assert.ok(fs.existsSync(path.join(root, language.configuration)), language.configuration);
    JSON.parse(fs.readFileSync(path.join(root, language.configuration), "utf8"));
    const grammar = manifest.contributes.grammars.find((g: { language: string }) => g.language === language.id);
    assert.ok(grammar, `grammar for ${language.id}`);
    const parsed = JSON.parse(fs.readFileSync(path.join(root, grammar.path), "utf8"));
    assert.equal(parsed.scopeName, grammar.scopeName);
  }
  const scripts = manifest.contributes.grammars.find((g: { language: string }) => g.language === "kickstart");
  assert.equal(scripts.embeddedLanguages["meta.embedded.block.shell"], "shellscript");
});

test("the language configuration folds %packages ... %end", () => {
  const config = JSON.parse(fs.readFileSync(path.join(root, "language-configuration.json"), "utf8"));
  assert.equal(config.comments.lineComment, "#");
  const start = new RegExp(config.folding.markers.start);
  const end = new RegExp(config.folding.markers.end);
  assert.ok(start.test("%packages --ignoremissing"));
  assert.ok(start.test("%post"));
  assert.ok(!start.test("%include ks/part.ks"));
  assert.ok(end.test("%end"));
  assert.ok(!end.test("%ending"));
});

test("every kslint.* setting is either sent to the server, a Build ISO argument or editor-only", () => {
  const keys = Object.keys(manifest.contributes.configuration.properties).map((k) => k.replace(/^kslint\./, ""));
  const buildKeys = keys.filter((k) => k.startsWith("build."));
  assert.deepEqual(buildKeys.sort(), ["build.addArgs", "build.ks", "build.output", "build.removeArgs", "build.volumeId"]);
  const editorOnly = ["server.path", "trace.server", ...buildKeys];
  const serverKeys = keys.filter((k) => !editorOnly.includes(k)).sort();
  assert.deepEqual(serverKeys, ["docsUrl", "mediaRoot", "rules", "shellcheck", "syntax"]);
  const values: Record<string, unknown> = {
    syntax: "RHEL9",
    mediaRoot: "/m",
    rules: { KS0001: "warning" },
    shellcheck: false,
    docsUrl: "https://x/{code}",
  };
  assert.deepEqual(Object.keys(serverSettings((k) => values[k], undefined)).sort(), serverKeys);
});
