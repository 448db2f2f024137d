"""Customer value: lifetime value (BG/NBD + Gamma-Gamma), acquisition and maintenance cost, efficiency."""
