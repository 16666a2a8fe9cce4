// urql with its defaults (@urql/core's createClient: queries by GET while the URL is short
// enough, mutations by POST), a bearer token in fetchOptions.
// Usage: GQL_PORTAL_URL=... GQL_PORTAL_TOKEN=... node urql.mjs
import { cacheExchange, createClient, fetchExchange } from '@urql/core';

import { endpoint, printJson, token } from './lib/env.mjs';
import { UPDATE_PHONE, VIEWER_AND_EMPLOYEES } from './lib/operations.mjs';
import { recordingFetch } from './lib/recorder.mjs';

const recorder = recordingFetch();
const client = createClient({
  url: endpoint(),
  exchanges: [cacheExchange, fetchExchange],
  fetchOptions: { headers: { Authorization: `Bearer ${token()}` } },
  fetch: recorder.fetch,
});

const query = await client.query(VIEWER_AND_EMPLOYEES, { first: 2 }).toPromise();
if (query.error) throw query.error;
const employee = query.data.employees.edges[0].node;
const mutation = await client
  .mutation(UPDATE_PHONE, { id: employee.id, phone: '070-765 43 21' })
  .toPromise();
if (mutation.error) throw mutation.error;

printJson({
  viewer: query.data.viewer,
  employees: query.data.employees,
  mutation: mutation.data,
  requests: recorder.requests,
});
