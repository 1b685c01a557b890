"""The spaCy pipeline: spacy.blank('en') plus the imr_* components and their rule data."""
