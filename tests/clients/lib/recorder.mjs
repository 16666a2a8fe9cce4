// A fetch that records what a client library sent and what came back, so the test can check the
// protocol (GET or POST, a batch, a persisted query's hash without its document) and not only the
// data. A client gets it as its `fetch` option; the requests still go to the real server.

function describeBody(body) {
  if (typeof body !== 'string') return { body: body == null ? null : typeof body };
  const parsed = JSON.parse(body);
  const operations = Array.isArray(parsed) ? parsed : [parsed];
  return {
    batch: Array.isArray(parsed) ? operations.length : null,
    operations: operations.map(describeOperation),
  };
}

function describeOperation(operation) {
  const persisted = operation.extensions?.persistedQuery;
  return {
    operationName: operation.operationName ?? null,
    hasDocument: typeof operation.query === 'string' && operation.query.length > 0,
    sha256Hash: persisted?.sha256Hash ?? null,
  };
}

function describeUrl(url) {
  const parsed = new URL(url);
  if (!parsed.searchParams.size) return {};
  const extensions = parsed.searchParams.get('extensions');
  const persisted = extensions ? JSON.parse(extensions).persistedQuery : undefined;
  return {
    operations: [
      {
        operationName: parsed.searchParams.get('operationName'),
        hasDocument: Boolean(parsed.searchParams.get('query')),
        sha256Hash: persisted?.sha256Hash ?? null,
      },
    ],
  };
}

/** A fetch function and the list it appends {method, status, contentType, ...} to. */
export function recordingFetch() {
  const requests = [];
  const recorded = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url;
    const method = (init.method ?? 'GET').toUpperCase();
    const sent = method === 'GET' ? describeUrl(url) : describeBody(init.body);
    const response = await fetch(input, init);
    const codes = await errorCodes(response.clone());
    requests.push({
      method,
      status: response.status,
      contentType: response.headers.get('content-type'),
      errorCodes: codes,
      ...sent,
    });
    return response;
  };
  return { fetch: recorded, requests };
}

async function errorCodes(response) {
  try {
    const body = await response.json();
    const answers = Array.isArray(body) ? body : [body];
    return answers.flatMap((answer) => (answer.errors ?? []).map((e) => e.extensions?.code ?? e.message));
  } catch {
    return ['(not JSON)'];
  }
}
