// What every client script shares: where the server is, who is logged in, and one JSON answer.

/** The server's base URL, e.g. http://127.0.0.1:8000 (GQL_PORTAL_URL). */
export function baseUrl() {
  const url = process.env.GQL_PORTAL_URL;
  if (!url) throw new Error('set GQL_PORTAL_URL to the server, e.g. http://127.0.0.1:8000');
  return url.replace(/\/$/, '');
}

/** The GraphQL endpoint. */
export function endpoint() {
  return `${baseUrl()}/graphql`;
}

/** A session token from the logIn mutation (GQL_PORTAL_TOKEN), sent as a bearer token. */
export function token() {
  const value = process.env.GQL_PORTAL_TOKEN;
  if (!value) throw new Error('set GQL_PORTAL_TOKEN to a token from the logIn mutation');
  return value;
}

/** The script's one result: a single JSON line on stdout, read by tests/test_clients.py. */
export function printJson(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
