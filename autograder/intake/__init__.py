"""Stage 1, intake: take a submission's files and notebooks without trusting them."""
