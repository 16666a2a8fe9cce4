"""The HTTP layer, on top of everything else (nothing below imports it).

- `app.py`: `create_app` (routes, middleware, lifespan);
- routes, each short and read top to bottom: `graphql.py` (`/graphql`), `files.py` (receipt and
  export downloads), `health.py` (`/healthz`, `/readyz`);
- what the routes share, from below (never from each other): `responses.py` (request ids, JSON
  and coded error answers, security headers), `body.py` (bodies within their limits, the
  `Operation` a request carries), `uploads.py` (GraphQL multipart requests), `session.py` (the
  session a request presents, the cookie an answer sets), `origin.py` (the Origin fence),
  `negotiation.py` (the answer's media type from `Accept`), `persisted.py` (automatic
  persisted queries and their store);
- `errors.py`: the `CodedErrors` middleware (a request id on every answer, coded JSON for the
  framework's own errors).

GraphiQL and the account pages (`gql_portal/graphiql`, `gql_portal/pages`) are routes too, with
their own assets; `gql_portal/asgi.py` is uvicorn's factory.
"""
