// The GraphQL-over-HTTP specification's audit (graphql-http's auditServer) against a live server.
// Usage: GQL_PORTAL_URL=http://127.0.0.1:8000 node audit.mjs
// Prints {"results": [{"id", "name", "status": "ok"|"warn"|"error", "reason"?}]} on stdout.
import { auditServer } from 'graphql-http';

import { endpoint, printJson } from './lib/env.mjs';

const results = await auditServer({ url: endpoint() });
const listed = [];
for (const result of results) {
  const item = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    item.reason = result.reason;
    // The response that failed, as the audit saw it (status and body), to read in the test output.
    if (result.response) {
      item.response = { status: result.response.status, body: await result.response.text() };
    }
  }
  listed.push(item);
}
printJson({ results: listed });
