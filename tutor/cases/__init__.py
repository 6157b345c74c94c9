"""The case library: every clinical case the course can run, with every version kept."""
