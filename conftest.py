"""Root conftest: benchmarks are only collected by `make bench` (RUBY_BENCH=1)."""

import os

collect_ignore_glob = [] if os.environ.get("RUBY_BENCH") == "1" else ["tests/bench/*"]
