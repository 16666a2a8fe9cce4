/*
 * Bootstrap for the self-hosted GraphiQL page served at GET /graphql.
 *
 * Loaded as an external script so that the page's Content-Security-Policy can
 * be `script-src 'self'` (no inline scripts, no eval). Expects the globals set
 * by the bundles loaded before it: React, ReactDOM, GraphiQL and (optionally)
 * GraphiQLPluginExplorer.
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

  var root = document.getElementById('graphiql');
  var endpoint = (root && root.dataset.endpoint) || '/graphql';

  function errorResult(message) {
    return { errors: [{ message: message }] };
  }

  // POST JSON to our own endpoint. `credentials: 'same-origin'` sends the
  // HttpOnly session cookie that the `logIn` mutation sets.
  async function fetcher(graphQLParams, opts) {
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
    try {
      return JSON.parse(text);
    } catch (_err) {
      return errorResult('HTTP ' + response.status + ' ' + response.statusText + ': ' + text.slice(0, 2000));
    }
  }

  var plugins = [];
  if (window.GraphiQLPluginExplorer && typeof window.GraphiQLPluginExplorer.explorerPlugin === 'function') {
    plugins.push(window.GraphiQLPluginExplorer.explorerPlugin());
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      plugins: plugins,
      shouldPersistHeaders: false,
    })
  );
})();
