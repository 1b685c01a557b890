"""Why a prediction: the letter spans behind each feature, a plain reason each, the QA flags."""
