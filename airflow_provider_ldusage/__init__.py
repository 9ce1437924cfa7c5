"""Apache Airflow provider for LaunchDarkly's account-usage (beta) REST API.

Importing this package is cheap on purpose: it is imported on every DAG parse that uses an operator,
so it holds nothing but the version.
"""

from __future__ import annotations

__version__ = "0.3.0"

__all__ = ["__version__"]
