// graphql-codegen for a gql-portal frontend: copy this file (and tsconfig.json) into your app.
//
// The schema comes from the LIVE server with the caller's bearer token, as SDL from
// GET /graphql/schema.graphql (no introspection, so it works with trusted documents on too); the
// generated types are those of that role's schema (a company admin's, an employee's, the partner
// portal's): use a token of the role your app serves. GQL_PORTAL_URL and GQL_PORTAL_TOKEN are read
// from the environment; the token comes from the logIn mutation.
//
//   GQL_PORTAL_URL=http://127.0.0.1:8000 GQL_PORTAL_TOKEN=gqps_... npx graphql-codegen
//
// Outputs (under codegen/generated/, not committed): the client preset's typed `graphql()`
// (generated/gql/) and, from the typescript and typescript-operations plugins, every schema type and
// operation's variables and result as plain TypeScript (generated/schema.ts, generated/operations.ts).
import type { CodegenConfig } from '@graphql-codegen/cli';

const url = (process.env.GQL_PORTAL_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const token = process.env.GQL_PORTAL_TOKEN;
if (!token) throw new Error('set GQL_PORTAL_TOKEN to a token from the logIn mutation');

// The API's custom scalars travel as JSON strings; these types say which strings. Money and
// Decimal are exact decimals as strings ("1234.50", "7.50"): parse them with a decimal library,
// never with parseFloat, when you compute with them.
const scalars = {
  Date: { input: 'string', output: '`${number}-${number}-${number}`' }, // "2026-03-31"
  DateTime: { input: 'string', output: '`${number}-${number}-${number}T${string}`' }, // ISO 8601
  Time: { input: 'string', output: '`${number}:${number}:${number}`' }, // "08:30:00"
  Decimal: { input: 'string', output: '`${number}`' }, // "7.50", "80"
  Money: { input: 'string', output: '`${number}`' }, // SEK: "1234.50"
  Upload: { input: 'File | Blob', output: 'never' }, // multipart uploads only
};

const config: CodegenConfig = {
  schema: [{ [`${url}/graphql/schema.graphql`]: { headers: { Authorization: `Bearer ${token}` } } }],
  documents: ['codegen/src/**/*.ts'],
  ignoreNoDocuments: false,
  generates: {
    'codegen/generated/gql/': {
      preset: 'client',
      config: { scalars, strictScalars: true, enumsAsTypes: true, useTypeImports: true },
      // persisted-documents.json beside it ({"sha256:<hex>": document}): the manifest of the
      // server's trusted-documents mode (GQL_PORTAL_TRUSTED_DOCUMENTS); each generated
      // document carries its hash to send as `documentId`.
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
    },
    // Every type of the schema (inputs for forms, enums for pickers) ...
    'codegen/generated/schema.ts': {
      plugins: ['typescript'],
      config: { scalars, strictScalars: true, enumsAsTypes: true, useTypeImports: true },
    },
    // ... and each operation's variables and result (with the enums they use).
    'codegen/generated/operations.ts': {
      plugins: ['typescript-operations'],
      config: { scalars, strictScalars: true, enumsAsTypes: true, useTypeImports: true },
    },
  },
};

export default config;
