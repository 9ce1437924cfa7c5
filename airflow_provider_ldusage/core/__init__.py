"""The pure request/response core: no I/O, no Airflow, shared by the sync hook and the async trigger."""

from __future__ import annotations
