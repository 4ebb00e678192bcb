"""A local SparkSession for the Spark engine's tests, started once per test process.

``local[2]`` (this machine has two cores), two shuffle partitions, no web UI, a temporary
warehouse directory, UTC session time zone. Without Java (or PySpark) the tests that use it
are skipped with the reason, unless ``HASHWATCH_REQUIRE_SPARK=1`` (set by ``.ci/run``),
which turns the skip into a failure. Test modules import :func:`spark` and mark themselves
``pytest.mark.xdist_group("spark")`` so that one pytest-xdist worker runs them all and Spark
starts once (about 10 s here).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REQUIRE_ENV = "HASHWATCH_REQUIRE_SPARK"


def _skip_or_fail(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def require_spark() -> None:
    """Skip (or fail, with ``HASHWATCH_REQUIRE_SPARK=1``) without Java or PySpark."""
    java_home = os.environ.get("JAVA_HOME")
    has_java = shutil.which("java") is not None or (
        java_home is not None and os.path.isfile(os.path.join(java_home, "bin", "java"))
    )
    if not has_java:
        _skip_or_fail("no Java runtime on PATH or in JAVA_HOME: the Spark tests need Java 17")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _skip_or_fail("pyspark is not installed: pip install 'hashwatch[spark]'")


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """A local SparkSession whose Python workers run this interpreter (the project's venv)."""
    require_spark()
    from pyspark.sql import SparkSession

    # the executors' Python must be the one that has hashwatch, numpy and pyarrow
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("hashwatch-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
