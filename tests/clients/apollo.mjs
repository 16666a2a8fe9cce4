// Apollo Client as a frontend team sets it up, against a live server with a bearer token:
// - HttpLink behind PersistedQueryLink (automatic persisted queries, SHA-256 from node:crypto,
//   hashed queries by GET: short URLs the browser caches privately and revalidates, ETag and
//   304), for a query (twice) and a mutation;
// - BatchHttpLink behind PersistedQueryLink: two queries sent at once go as one JSON array.
// Usage: GQL_PORTAL_URL=... GQL_PORTAL_TOKEN=... node apollo.mjs
// Prints {"http": {...}, "batch": {...}} with the data and the requests each link sent.
import { createHash } from 'node:crypto';

import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

import { endpoint, printJson, token } from './lib/env.mjs';
import { UPDATE_PHONE, VIEWER, VIEWER_AND_EMPLOYEES } from './lib/operations.mjs';
import { recordingFetch } from './lib/recorder.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const headers = { Authorization: `Bearer ${token()}` };

async function httpLinkClient() {
  const recorder = recordingFetch();
  const persisted = new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
  const client = new ApolloClient({
    link: persisted.concat(new HttpLink({ uri: endpoint(), headers, fetch: recorder.fetch })),
    cache: new InMemoryCache(),
  });
  const query = gql(VIEWER_AND_EMPLOYEES);
  const first = await client.query({ query, variables: { first: 2 }, fetchPolicy: 'network-only' });
  // The second time the server knows the hash: a GET with the hash alone.
  const again = await client.query({ query, variables: { first: 2 }, fetchPolicy: 'network-only' });
  const employee = first.data.employees.edges[0].node;
  const mutation = await client.mutate({
    mutation: gql(UPDATE_PHONE),
    variables: { id: employee.id, phone: '070-123 45 67' },
  });
  return {
    viewer: first.data.viewer,
    employees: first.data.employees,
    sameAgain: JSON.stringify(again.data) === JSON.stringify(first.data),
    mutation: mutation.data,
    requests: recorder.requests,
  };
}

async function batchLinkClient() {
  const recorder = recordingFetch();
  const persisted = new PersistedQueryLink({ sha256 });
  const batch = new BatchHttpLink({ uri: endpoint(), headers, fetch: recorder.fetch, batchMax: 10 });
  const client = new ApolloClient({ link: persisted.concat(batch), cache: new InMemoryCache() });
  const run = () =>
    Promise.all([
      client.query({ query: gql(VIEWER), fetchPolicy: 'network-only' }),
      client.query({
        query: gql(VIEWER_AND_EMPLOYEES),
        variables: { first: 1 },
        fetchPolicy: 'network-only',
      }),
    ]);
  const [viewer, employees] = await run();
  await run(); // now both hashes are known: one array of hashes only
  return { viewer: viewer.data.viewer, employees: employees.data.employees, requests: recorder.requests };
}

printJson({ http: await httpLinkClient(), batch: await batchLinkClient() });
