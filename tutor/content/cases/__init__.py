"""Clinical cases: the case-file model and its parser."""
