"""The ``apache_airflow_provider`` entry point.

Airflow calls :func:`get_provider_info` in every process that builds a ``ProvidersManager`` (scheduler,
API server, workers, CLI), so this module imports nothing from the package or from Airflow.
"""

from __future__ import annotations

from typing import Any

# The host field's help lives in its placeholder: ui-field-behaviour has no help text for standard fields,
# and Airflow renames any placeholder key other than host/schema/login/password/port/extra to an extra
# field (a "description" placeholder would become "extra__launchdarkly__description" and never show).
_HOST_HELP = (
    "https://app.launchdarkly.com (default) · US federal: https://app.launchdarkly.us · "
    "EU: https://app.eu.launchdarkly.com · plain http only for loopback (the emulator)"
)


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow: name, connection type, form fields and modules."""
    return {
        "package-name": "airflow-provider-ldusage",
        "name": "LaunchDarkly Usage",
        "description": "Pull LaunchDarkly account-usage (beta) data: MAU, contexts, events, "
        "experimentation, observability, service connections, evaluations and streams.",
        "connection-types": [
            {
                "connection-type": "launchdarkly",
                "hook-class-name": "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook",
                "hook-name": "LaunchDarkly",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login"],
                    "relabeling": {"password": "API access token", "host": "Base URL"},
                    "placeholders": {
                        "host": _HOST_HELP,
                        "password": "api-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                    },
                },
                "conn-fields": {
                    "connect_timeout": {
                        "label": "Connect timeout (s)",
                        "description": "Seconds to wait for a TCP/TLS connection to open.",
                        "schema": {"type": "number", "default": 10, "minimum": 0.1, "maximum": 300},
                    },
                    "read_timeout": {
                        "label": "Read timeout (s)",
                        "description": "Seconds to wait for the response after the request is sent.",
                        "schema": {"type": "number", "default": 60, "minimum": 0.1, "maximum": 600},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries after the first attempt on 429, 5xx and connection "
                        "faults. 400/401/403/404 are never retried.",
                        "schema": {"type": "integer", "default": 5, "minimum": 0, "maximum": 20},
                    },
                    "max_retry_wait": {
                        "label": "Max total retry wait (s)",
                        "description": "Upper bound on the seconds one call may spend waiting between "
                        "its retries (each wait for a spent rate-limit budget is capped separately).",
                        "schema": {"type": "number", "default": 300, "minimum": 0, "maximum": 3600},
                    },
                },
            }
        ],
        "hooks": [
            {
                "integration-name": "LaunchDarkly",
                "python-modules": ["airflow_provider_ldusage.hooks.usage"],
            }
        ],
        "operators": [
            {
                "integration-name": "LaunchDarkly",
                "python-modules": ["airflow_provider_ldusage.operators.usage"],
            }
        ],
        "sensors": [
            {
                "integration-name": "LaunchDarkly",
                "python-modules": ["airflow_provider_ldusage.sensors.month_end"],
            }
        ],
        "triggers": [
            {
                "integration-name": "LaunchDarkly",
                "python-modules": ["airflow_provider_ldusage.triggers.month_end"],
            }
        ],
        "integrations": [
            {
                "integration-name": "LaunchDarkly",
                "external-doc-url": "https://launchdarkly.com/docs/api/account-usage-beta",
                "tags": ["service"],
            }
        ],
    }
