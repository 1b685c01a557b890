"""Each item's facts, derived from the extracted spans: the request, allowances, earlier care, dates."""
