// relay-compiler against one schema: the given folders of operations (company/, admin/, portal/,
// public/) are copied into a scratch project with a relay.config.json, and compiled there (the
// artifacts are thrown away: the question is whether Relay accepts the schema).
// Usage: node relay/compile.mjs SCHEMA.graphql FOLDER...
// With RELAY_PERSISTED_QUERIES=PATH, the compiler also persists the operations' text there
// (`persistConfig`, SHA-256 ids): the manifest of the server's trusted-documents mode.
// Prints {"schema", "ok", "artifacts": [file names], "output": the compiler's own report}.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { printJson } from '../lib/env.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const compiler = join(here, '..', 'node_modules', 'relay-compiler', 'cli.js');
const [schemaPath, ...folders] = process.argv.slice(2);
if (!schemaPath || folders.length === 0) {
  throw new Error('usage: node relay/compile.mjs SCHEMA.graphql FOLDER...');
}

function stripColours(text) {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

const project = mkdtempSync(join(tmpdir(), 'relay-'));
try {
  for (const folder of folders) cpSync(join(here, folder), join(project, 'src', folder), { recursive: true });
  cpSync(resolve(schemaPath), join(project, 'schema.graphql'));
  const persisted = process.env.RELAY_PERSISTED_QUERIES;
  if (persisted) writeFileSync(resolve(persisted), '{}'); // the compiler wants the file there
  writeFileSync(
    join(project, 'relay.config.json'),
    JSON.stringify({
      src: './src',
      schema: './schema.graphql',
      language: 'typescript',
      // The API's custom scalars are JSON strings (see codegen.ts for their shapes).
      customScalarTypes: { Date: 'string', DateTime: 'string', Time: 'string', Decimal: 'string', Money: 'string', Upload: 'unknown' },
      ...(persisted ? { persistConfig: { file: resolve(persisted), algorithm: 'SHA256' } } : {}),
    }),
  );
  const run = spawnSync(process.execPath, [compiler, join(project, 'relay.config.json')], {
    cwd: project,
    encoding: 'utf8',
  });
  const artifacts = readdirSync(join(project, 'src'), { recursive: true })
    .filter((path) => path.endsWith('.graphql.ts'))
    .map((path) => basename(path))
    .sort();
  printJson({
    schema: basename(schemaPath),
    ok: run.status === 0,
    artifacts,
    output: stripColours(`${run.stdout}${run.stderr}`).trim(),
  });
} finally {
  rmSync(project, { recursive: true, force: true });
}
