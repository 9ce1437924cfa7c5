"""Triggers of airflow-provider-ldusage (import them from their modules, e.g. ``triggers.month_end``)."""

from __future__ import annotations
