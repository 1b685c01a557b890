"""Features, the estimator, its files, training, evaluation and the sealed split."""
