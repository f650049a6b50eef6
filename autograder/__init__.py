"""learnathon's grading engine.

A submission flows intake -> sandbox -> grading -> results -> outputs / analytics, and so do the
packages: ``intake`` (read a submission without trusting it), ``sandbox`` (run it isolated),
``grading`` (hidden tests in the trusted process), ``results`` (the one result record, feedback,
gradebook), ``outputs`` (where a class run's results go, one plug-in each), ``analytics`` (the
class record and report). Around them: ``classrun`` (autograde a class), ``platforms`` (Moodle,
Canvas, Gradescope), ``admin`` (course, setup cell, demo), ``audit`` and ``cli``.
"""
import sys

__version__ = "0.1.0"

# jsonschema (which nbformat imports) imports rfc3987_syntax whenever it is installed (an extra of
# jupyter-events), and that module compiles a Lark grammar at import: about 1 CPU second in every
# learnathon process (CLI, grading processes). Notebook schemas use no IRI formats, so these
# processes go without it: a None entry makes its import fail, which jsonschema expects.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None is how Python blocks an import
