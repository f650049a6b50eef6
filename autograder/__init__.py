"""learnathon's grading engine.

A submission flows notebook -> isolated execution -> test results -> gradebook -> feedback,
and the modules read the same way: ``notebook`` (read and sanitise), ``sandbox`` + ``session``
(run it isolated), ``runner`` (hidden pytest tests -> ``results``), ``gradebook``, ``feedback``.
"""
import sys

__version__ = "0.1.0"

# jsonschema (which nbformat imports) imports rfc3987_syntax whenever it is installed (an extra of
# jupyter-events), and that module compiles a Lark grammar at import: about 1 CPU second in every
# learnathon process (CLI, grading processes). Notebook schemas use no IRI formats, so these
# processes go without it: a None entry makes its import fail, which jsonschema expects.
sys.modules.setdefault("rfc3987_syntax", None)
