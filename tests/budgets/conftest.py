"""Budget operator tests use the shared fixtures of ``tests/conftest.py`` (an emulator in mid-June 2026, with
days 1-14 visible and the 13th and 14th still settling, and ``run_dag``)."""
