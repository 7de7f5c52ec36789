"""Sample size and power of a planned retro-walking study by simulation (docs/power.md)."""
