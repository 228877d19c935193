"""One pane per module; each renders engine state and never computes cluster logic."""
