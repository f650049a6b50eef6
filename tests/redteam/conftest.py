import sys
from pathlib import Path

# The tiny test assignment is shared with the engine's own tests; the platform downloads and the Vevox
# workbooks with the platform and quiz tests.
for folder in ("autograder", "platforms", "quizzes"):
    sys.path.insert(0, str(Path(__file__).parent.parent / folder))

from tiny_assignment import cold_start, module_registered_tiny, registered_tiny, tiny_roots  # noqa: E402,F401 - fixtures
