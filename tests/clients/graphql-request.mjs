// graphql-request's GraphQLClient with a bearer token: a query and a mutation (POST, its default).
// Usage: GQL_PORTAL_URL=... GQL_PORTAL_TOKEN=... node graphql-request.mjs
import { GraphQLClient } from 'graphql-request';

import { endpoint, printJson, token } from './lib/env.mjs';
import { UPDATE_PHONE, VIEWER_AND_EMPLOYEES } from './lib/operations.mjs';
import { recordingFetch } from './lib/recorder.mjs';

const recorder = recordingFetch();
const client = new GraphQLClient(endpoint(), {
  headers: { Authorization: `Bearer ${token()}` },
  fetch: recorder.fetch,
});

const query = await client.request(VIEWER_AND_EMPLOYEES, { first: 2 });
const employee = query.employees.edges[0].node;
const mutation = await client.request(UPDATE_PHONE, { id: employee.id, phone: '070-111 22 33' });

printJson({
  viewer: query.viewer,
  employees: query.employees,
  mutation,
  requests: recorder.requests,
});
