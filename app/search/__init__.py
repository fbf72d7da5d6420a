"""Text folding, date parsing and nickname tables behind the patients' one-box search."""
