/*
 * Bootstrap for the self-hosted GraphiQL page served at GET /graphql.
 *
 * Loaded as an external script so that the page's Content-Security-Policy can
 * be `script-src 'self'` (no inline scripts, no eval). Expects the globals set
 * by the bundles loaded before it: React, ReactDOM, GraphiQL and (optionally)
 * GraphiQLPluginExplorer.
 *
 * The server answers each request with the schema of the viewer's role (PUBLIC
 * when signed out). GraphiQL introspects once, and again whenever its `fetcher`
 * prop changes (its SchemaContextProvider re-runs `introspect` on a new
 * fetcher). So when a mutation that changes the session or its role succeeds,
 * the page renders GraphiQL again with a new fetcher function: the schema (docs
 * explorer, autocompletion, validation) follows the new role, and the editors,
 * tabs and results stay as they are (same component, no re-mount).
 *
 * Subscriptions run over WebSocket on the same path (graphql-transport-ws,
 * ws(s)://host/graphql, derived from the page's location), through GraphiQL's
 * own fetcher and its bundled graphql-ws client: the browser sends the session
 * cookie with the handshake; a token typed in the Headers tab
 * (`{"Authorization": "Bearer ..."}`) goes in connection_init's payload.
 */
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# Välkommen till gql-portalens GraphiQL.',
    '# Logga in med mutationen `logIn`: sessionskakan (HttpOnly) sätts då och',
    '# skickas automatiskt med i följande anrop från den här sidan.',
    '#',
    '# Welcome to the gql-portal GraphiQL.',
    '# Log in with the `logIn` mutation: it sets the (HttpOnly) session cookie,',
    '# which this page then sends automatically with the following requests.',
    '',
    '{',
    '  viewer {',
    '    context',
    '    user {',
    '      email',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

  // Root mutation fields after which the viewer's schema may be another one:
  // they set, replace or end the session cookie, or change the session's role.
  // (verifyEmail does not sign in; changePassword keeps this session.)
  var SESSION_FIELDS = {
    logIn: true,
    logOut: true,
    resetPassword: true, // logs out every session of the user, this one too
    activate: true, // an accounting firm then has only the partner portal
    enterClientCompany: true,
    enterPartnerPortal: true,
  };

  var root = document.getElementById('graphiql');
  var endpoint = (root && root.dataset.endpoint) || '/graphql';
  var graphql = GraphiQL.GraphQL; // the graphql-js bundled with GraphiQL
  var subscriptionUrl =
    (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + endpoint;
  // GraphiQL's fetcher, used for subscriptions only (queries and mutations go
  // through `fetcher` below, which follows the session).
  var subscriptionFetcher =
    typeof GraphiQL.createFetcher === 'function'
      ? GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: subscriptionUrl })
      : null;
  if (root) {
    root.dataset.subscriptionUrl = subscriptionUrl;
  }

  function errorResult(message) {
    return { errors: [{ message: message }] };
  }

  function parsed(graphQLParams) {
    if (!graphql || typeof graphql.parse !== 'function' || !graphQLParams) {
      return null;
    }
    try {
      return graphql.parse(String(graphQLParams.query || ''));
    } catch (_err) {
      return null;
    }
  }

  // The operation a request runs (its operationName, else its only one), or null.
  function chosenOperation(documentNode, graphQLParams) {
    if (!documentNode) {
      return null;
    }
    var operations = documentNode.definitions.filter(function (definition) {
      return definition.kind === 'OperationDefinition';
    });
    var wanted = graphQLParams.operationName;
    if (!wanted) {
      return operations.length === 1 ? operations[0] : null;
    }
    var named = operations.filter(function (candidate) {
      return candidate.name && candidate.name.value === wanted;
    });
    return named.length > 0 ? named[0] : null;
  }

  // The response keys of the session fields a request's mutation selects at its
  // root (through fragments too). None for anything else, or if it doesn't parse.
  function sessionResponseKeys(graphQLParams) {
    var documentNode = parsed(graphQLParams);
    var operation = chosenOperation(documentNode, graphQLParams);
    if (!operation || operation.operation !== 'mutation') {
      return [];
    }
    var fragments = {};
    documentNode.definitions.forEach(function (definition) {
      if (definition.kind === 'FragmentDefinition') {
        fragments[definition.name.value] = definition;
      }
    });
    var keys = [];
    var seen = {};
    (function collect(selectionSet) {
      selectionSet.selections.forEach(function (selection) {
        if (selection.kind === 'Field') {
          if (SESSION_FIELDS[selection.name.value] === true) {
            keys.push((selection.alias || selection.name).value);
          }
        } else if (selection.kind === 'InlineFragment') {
          collect(selection.selectionSet);
        } else if (selection.kind === 'FragmentSpread') {
          var name = selection.name.value;
          if (!seen[name] && fragments[name]) {
            seen[name] = true;
            collect(fragments[name].selectionSet);
          }
        }
      });
    })(operation.selectionSet);
    return keys;
  }

  // True if one of the session fields the request asked for succeeded.
  function sessionChanged(graphQLParams, result) {
    var data = result && result.data;
    if (!data || typeof data !== 'object') {
      return false;
    }
    return sessionResponseKeys(graphQLParams).some(function (key) {
      return data[key] !== null && data[key] !== undefined && data[key] !== false;
    });
  }

  // POST JSON to our own endpoint. `credentials: 'same-origin'` sends the
  // HttpOnly session cookie that the `logIn` mutation sets. A subscription
  // goes over WebSocket instead: its events, as they come, are the result.
  async function fetcher(graphQLParams, opts) {
    var documentNode = parsed(graphQLParams);
    var operation = chosenOperation(documentNode, graphQLParams || {});
    if (operation && operation.operation === 'subscription' && subscriptionFetcher) {
      return subscriptionFetcher(
        graphQLParams,
        Object.assign({}, opts || {}, { documentAST: documentNode })
      );
    }
    var headers = Object.assign({}, (opts && opts.headers) || {}, {
      'Content-Type': 'application/json',
      Accept: 'application/json',
    });
    var response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: headers,
        body: JSON.stringify(graphQLParams),
        credentials: 'same-origin',
      });
    } catch (err) {
      return errorResult('Network error: ' + (err && err.message ? err.message : String(err)));
    }
    var text = await response.text();
    var result;
    try {
      result = JSON.parse(text);
    } catch (_err) {
      return errorResult('HTTP ' + response.status + ' ' + response.statusText + ': ' + text.slice(0, 2000));
    }
    if (sessionChanged(graphQLParams, result)) {
      // The cookie is already stored (the response's headers are in): the
      // introspection that the re-render starts goes out with the new session.
      render();
    }
    return result;
  }

  var plugins = [];
  if (window.GraphiQLPluginExplorer && typeof window.GraphiQLPluginExplorer.explorerPlugin === 'function') {
    plugins.push(window.GraphiQLPluginExplorer.explorerPlugin());
  }

  var reactRoot = ReactDOM.createRoot(root);
  var schemaLoads = 0;

  // Shown on the root element for tests and the curious: how many schemas
  // GraphiQL has loaded, and the root fields of the latest one's Query type.
  function onSchemaChange(schema) {
    schemaLoads += 1;
    var queryType = schema && schema.getQueryType && schema.getQueryType();
    root.dataset.schemaLoads = String(schemaLoads);
    root.dataset.schemaQueryFields = queryType ? Object.keys(queryType.getFields()).sort().join(' ') : '';
  }

  // (Re-)render GraphiQL with a fresh fetcher function: a new fetcher makes
  // GraphiQL introspect again. Everything else keeps its identity, so React
  // updates the mounted GraphiQL in place.
  function render() {
    reactRoot.render(
      React.createElement(GraphiQL, {
        fetcher: function (graphQLParams, opts) {
          return fetcher(graphQLParams, opts);
        },
        defaultQuery: DEFAULT_QUERY,
        plugins: plugins,
        shouldPersistHeaders: false,
        onSchemaChange: onSchemaChange,
      })
    );
  }

  render();
})();
