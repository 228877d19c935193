"""One module per controller; each reconciles one key at a time from its work queue."""
