"""svcflow's Textual dashboard and the `svcflow` command line."""
