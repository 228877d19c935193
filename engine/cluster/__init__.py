"""A simulated cluster: its shape, clock, events, and the objects it boots with."""
