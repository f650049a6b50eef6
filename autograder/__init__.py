"""learnathon's grading engine.

A submission flows notebook -> isolated execution -> test results -> gradebook -> feedback,
and the modules read the same way: ``notebook`` (read and sanitise), ``sandbox`` + ``session``
(run it isolated), ``runner`` (hidden pytest tests -> ``results``), ``gradebook``, ``feedback``.
"""
__version__ = "0.1.0"
