"""Transfers: landed usage objects into other systems (Airflow's ``transfers/`` convention)."""

from __future__ import annotations
