"""A letter's text into its typed structure: header, summary, items and their parts; dates."""
