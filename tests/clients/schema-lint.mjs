// Lints SDL files with eslint.config.mjs (@graphql-eslint's schema and Relay rules), each against
// itself as the schema.
// Usage: node schema-lint.mjs [FILE.graphql ...]   (default: the repo's schema.graphql)
// Prints {"files": [{"file", "problems": [{"rule", "line", "message"}]}]} on stdout.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';

import { printJson } from './lib/env.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) files.push(join(here, '..', '..', 'schema.graphql'));

async function lint(file) {
  // eslint.config.mjs gives this file to the rules that need the schema (relay-edge-types).
  process.env.GQL_PORTAL_SCHEMA_FILE = file;
  const eslint = new ESLint({
    cwd: dirname(file),
    overrideConfigFile: join(here, 'eslint.config.mjs'),
    // The file is linted wherever it is (the repo root is outside this folder).
    ignore: false,
    cache: false,
  });
  const [result] = await eslint.lintFiles([file]);
  return {
    file,
    problems: result.messages.map((message) => ({
      rule: message.ruleId,
      line: message.line,
      message: message.message,
    })),
  };
}

const results = [];
for (const file of files) results.push(await lint(resolve(file)));
printJson({ files: results });
