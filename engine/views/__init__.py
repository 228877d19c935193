"""What the panes show, computed from the store, so the TUI only renders."""
