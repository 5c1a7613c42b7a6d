"""Test order: the longest tests first, so that pytest-xdist's workers finish together.

xdist hands tests out in collection order. The self-test's variant and mutant runs, the
waiting variants and the benchmark take a minute or more each; collected late (their
files sort last), one of them ran alone at the end for minutes while the other workers
sat idle. They go first. Only tests of files with no module-scoped fixture move, so no
fixture is built twice. And xdist runs with ``--dist worksteal`` (pyproject.toml): under
the default ``load`` a worker's queue was fixed early, so at the end of a run one worker
still held a queue of whole-suite runs while the others had finished (CI: 666 s of pytest,
the last 6% of the tests about four minutes, two cores less than two-thirds busy).
"""

from __future__ import annotations

import pytest

LONGEST = ("tests/test_selftest.py", "tests/test_settle_readings.py", "tests/test_bench.py",
           "tests/test_aws_target.py")


def _longest_first(item: pytest.Item) -> int:
    where = item.nodeid.split("::", 1)[0]
    if where in LONGEST and item.get_closest_marker("slow") is not None:
        return LONGEST.index(where)
    return len(LONGEST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_longest_first)  # stable: every other test keeps its place
