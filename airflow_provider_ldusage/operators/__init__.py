"""Operators: one per LaunchDarkly account-usage operation, in ``operators.usage``."""
