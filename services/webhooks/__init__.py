"""Webhooks: endpoints, Standard Webhooks signing, and the dispatcher that delivers every
committed event to every subscribed endpoint at least once.

- `endpoints`: the admin operations (create, update, delete, rotate the secret, redeliver);
- `urls`: which URLs and addresses webhooks may reach;
- `signing`: secrets, the body and the signature headers;
- `fanout`: events -> deliveries; `queue`: claims and outcomes; `policy`: retries;
- `sender`: one HTTP attempt; `dispatcher`: the loop; `stats`, `notify`: operations;
- `reads`: what the GraphQL face shows.
"""
