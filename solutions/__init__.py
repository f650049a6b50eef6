"""Trusted reference implementations the autograder compares students against.

Never copied into a student's sandbox and never released to students. One subpackage per
assignment: ``solutions/<name>/`` (``solutions.cs1.forward_backward`` ...).
"""
# The references of a course's own assignments (kept outside this project, see LEARNATHON_ASSIGNMENTS_DIR
# in AUTHORING.md) can live in a `solutions/<name>/` folder elsewhere on the path; the sandbox hides them too.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
