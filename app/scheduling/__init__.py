"""Pure scheduling arithmetic: wall-clock intervals and recurrence rules (no database)."""
