"""Stage 3, grading: the assignments, their hidden tests run in the trusted process, and `check`."""
