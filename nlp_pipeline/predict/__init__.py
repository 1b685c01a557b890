"""A loaded outcome model predicting each item of a letter, and the what-if edits."""
