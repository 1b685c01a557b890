"""Reading a letter's bytes and requests into text, and walking folders of letters in batches."""
