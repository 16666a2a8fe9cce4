// Schema lint for schema.graphql with @graphql-eslint (run by schema-lint.mjs, in CI through
// tests/test_clients.py): the Relay rules as relay-compiler reads them, descriptions on everything
// a tool shows (types, fields, arguments, input fields, enum values), and the recommended schema
// rules that fit an API whose list fields are Relay connections.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import graphqlPlugin from '@graphql-eslint/eslint-plugin';

// The schema the rules that need one (relay-edge-types) load: the file being linted, which
// schema-lint.mjs names in GQL_PORTAL_SCHEMA_FILE; the repo's schema.graphql by default.
const schema =
  process.env.GQL_PORTAL_SCHEMA_FILE ??
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema.graphql');

export default [
  {
    files: ['**/*.graphql'],
    languageOptions: { parser: graphqlPlugin.parser, parserOptions: { graphQLConfig: { schema } } },
    plugins: { '@graphql-eslint': graphqlPlugin },
    rules: {
      // Relay: every *Connection type, its edges, PageInfo, and both directions of paging.
      '@graphql-eslint/relay-connection-types': 'error',
      // Every edge's node is an entity, a Node (refetchable by id).
      '@graphql-eslint/relay-edge-types': [
        'error',
        { withEdgeSuffix: true, shouldImplementNode: true, listTypeCanWrapOnlyEdgeType: false },
      ],
      '@graphql-eslint/relay-page-info': 'error',
      '@graphql-eslint/relay-arguments': ['error', { includeBoth: true }],
      // Descriptions: what GraphiQL, codegen comments and editors show.
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          rootField: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
          DirectiveDefinition: true,
        },
      ],
      '@graphql-eslint/require-deprecation-reason': 'error',
      '@graphql-eslint/no-hashtag-description': 'error',
      '@graphql-eslint/no-unreachable-types': 'error',
      // Off: `Employee.employeeNumber` is the domain's own word (anställningsnummer, PAXml anstid).
      '@graphql-eslint/no-typename-prefix': 'off',
      '@graphql-eslint/unique-enum-value-names': 'error',
      '@graphql-eslint/naming-convention': [
        'error',
        {
          types: 'PascalCase',
          FieldDefinition: 'camelCase',
          InputValueDefinition: 'camelCase',
          Argument: 'camelCase',
          EnumValueDefinition: 'UPPER_CASE',
        },
      ],
    },
  },
];
