"""svcflow's kubectl: commands, the tutorial session, pod shells, and the printers."""
