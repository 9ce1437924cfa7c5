"""Sensors of airflow-provider-ldusage (import them from their modules, e.g. ``sensors.month_end``)."""

from __future__ import annotations
