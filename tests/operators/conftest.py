"""Operator tests use the shared fixtures of ``tests/conftest.py``: an emulator in mid-June 2026 and
``run_dag``."""
