"""Test helpers shipped with the provider: the LaunchDarkly usage-API emulator, its CLI and pytest plugin.

Nothing outside :mod:`airflow_provider_ldusage.testing` imports this package, so the web stack it uses
(FastAPI/Starlette + uvicorn) is only loaded by those who ask for it.
"""

from __future__ import annotations
