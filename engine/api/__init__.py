"""The API machinery: the store, the API server's write path, kinds, selectors, defaulting, validation."""
