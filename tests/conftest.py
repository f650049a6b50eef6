import sys
from pathlib import Path

TESTS = Path(__file__).parent
# Both `import support` and `from tests.support import ...` work in every test module.
for path in (str(TESTS), str(TESTS.parent)):
    if path not in sys.path:
        sys.path.insert(0, path)
