"""The served Kubernetes API: real kubectl and client libraries talk to the simulated cluster.

One module per concern (discovery, tables, reads, writes, patch, watch, openapi, ...), each
contributing its routes to `server.build_app`. Handlers run on the engine's own event loop and
call the cluster's API server and store directly; nothing here imports Textual.
"""
