"""Charge entry: the encounter editor, its pickers and the charges queue."""
