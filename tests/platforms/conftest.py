import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "autograder"))
from tiny_assignment import cold_start, module_registered_tiny, registered_tiny, tiny_roots  # noqa: E402,F401 - fixtures
