"""The live tests of `make scale-test` (scripts/scale_test.py), which starts
a primary and a streaming standby of its own; not collected otherwise."""

import os

collect_ignore_glob = [] if os.environ.get("DATABASE_REPLICA_URL") else ["test_*.py"]
