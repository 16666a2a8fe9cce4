// graphql-ws (the graphql-transport-ws protocol) on /graphql, with the token in connection_init's
// payload: subscribe to expenseChanged, approve a submitted expense over HTTP, and print the
// event the subscription delivered. (Node 20 has no global WebSocket: the `ws` package; a
// browser passes nothing, or its own WebSocket.)
// Usage: GQL_PORTAL_URL=... GQL_PORTAL_TOKEN=... node graphql-ws.mjs
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { endpoint, printJson, token } from './lib/env.mjs';

const EXPENSE_CHANGED = /* GraphQL */ `
  subscription ExpenseChanged {
    expenseChanged {
      id
      status
    }
  }
`;
const SUBMITTED = '{ expenses(first: 10, status: SUBMITTED) { nodes { id } } }';
const APPROVE = 'mutation($id: ID!) { approveExpense(id: $id) { expense { id status } } }';
const WAIT_MS = 10_000;

async function http(query, variables = {}) {
  const response = await fetch(endpoint(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token()}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const client = createClient({
  url: endpoint().replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token()}` },
  lazy: false,
  retryAttempts: 0,
});
const connected = new Promise((resolve, reject) => {
  client.on('connected', resolve);
  client.on('closed', (event) => reject(new Error(`closed ${event.code} ${event.reason}`)));
});

const events = [];
const firstEvent = new Promise((resolve, reject) => {
  client.subscribe(
    { query: EXPENSE_CHANGED },
    {
      next: (result) => {
        events.push(result);
        resolve(result);
      },
      error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
      complete: () => {},
    },
  );
});

await connected;
// The subscribe message is on its way; give the server a moment to start listening (the
// protocol has no acknowledgement of a subscribe), then change an expense.
await new Promise((resolve) => setTimeout(resolve, 500));
const submitted = (await http(SUBMITTED)).expenses.nodes;
if (submitted.length === 0) throw new Error('no SUBMITTED expense to approve');
const approved = (await http(APPROVE, { id: submitted[0].id })).approveExpense.expense;
const timeout = new Promise((_, reject) =>
  setTimeout(() => reject(new Error(`no event within ${WAIT_MS} ms`)), WAIT_MS),
);
await Promise.race([firstEvent, timeout]);
await client.dispose();
printJson({ approved, events });
process.exit(0);
