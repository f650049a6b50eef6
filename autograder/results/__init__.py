"""Stage 4, results: the result record every output receives, rendered feedback, the gradebook."""
