"""Hooks: the connection to LaunchDarkly's account-usage API."""

from __future__ import annotations
