"""The ``apache_airflow_provider`` entry point.

Airflow calls :func:`get_provider_info` in every process that builds a ``ProvidersManager`` (scheduler,
API server, workers, CLI), so this module imports nothing from Airflow and, from the package, only the
version and the constants module that holds the connection form's defaults.

What ``airflow providers get airflow-provider-ldusage --full`` and the docs of well-kept providers show:
versions, the integration with its how-to guides, the connection type, hooks, operators, sensors and
triggers. There are no extra links (LaunchDarkly documents no stable URL for a usage view: see
``docs/ecosystem.rst``), no notifications and no transfers; ``tests/ecosystem/test_provider_info.py``
checks that every module and class named here imports and that every public module is named.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.defaults import CONN_TYPE, CONNECTION_EXTRAS, TEXT_EXTRAS

# The host field's help lives in its placeholder: ui-field-behaviour has no help text for standard fields,
# and Airflow renames any placeholder key other than host/schema/login/password/port/extra to an extra
# field (a "description" placeholder would become "extra__launchdarkly__description" and never show).
_HOST_HELP = (
    "https://app.launchdarkly.com (default) · US federal: https://app.launchdarkly.us · "
    "EU: https://app.eu.launchdarkly.com · plain http only for loopback (the emulator)"
)

_INTEGRATION = "LaunchDarkly"
# Paths inside the repository, in the form provider.yaml's ``how-to-guide`` takes (they start with /docs/).
_HOW_TO_GUIDES = [
    "/docs/connection.rst",
    "/docs/operators.rst",
    "/docs/windows.rst",
    "/docs/rows_and_landing.rst",
    "/docs/month_end.rst",
    "/docs/budgets.rst",
    "/docs/hook.rst",
    "/docs/ecosystem.rst",
]


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow: name, connection type, form fields and modules."""
    return {
        "package-name": "airflow-provider-ldusage",
        "name": "LaunchDarkly Usage",
        "versions": [__version__],
        "state": "ready",
        "description": "Pull LaunchDarkly account-usage (beta) data: MAU, contexts, events, "
        "experimentation, observability, service connections, evaluations and streams.",
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook",
                "hook-name": _INTEGRATION,
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login"],
                    "relabeling": {"password": "API access token", "host": "Base URL"},
                    "placeholders": {
                        "host": _HOST_HELP,
                        "password": "api-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                    },
                },
                "conn-fields": {
                    name: {
                        "label": field.label,
                        "description": field.description,
                        "schema": {
                            # "null" among the types makes the field optional: Airflow's form marks every
                            # field whose type excludes null as required (a red asterisk); an emptied field
                            # saves null, which the hooks read as "use the default".
                            "type": ["integer" if field.integer else "number", "null"],
                            "default": int(field.default) if field.integer else field.default,
                            "minimum": field.minimum,
                            "maximum": field.maximum,
                        },
                    }
                    for name, field in CONNECTION_EXTRAS.items()
                }
                | {
                    name: {
                        "label": field.label,
                        "description": field.description,
                        "schema": {"type": ["string", "null"]},
                    }
                    for name, field in TEXT_EXTRAS.items()
                },
            }
        ],
        "hooks": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    "airflow_provider_ldusage.hooks.usage",
                    "airflow_provider_ldusage.hooks.usage_async",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    "airflow_provider_ldusage.operators.usage",
                    "airflow_provider_ldusage.operators.budget",
                    "airflow_provider_ldusage.operators.evaluations",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["airflow_provider_ldusage.sensors.month_end"],
            }
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["airflow_provider_ldusage.triggers.month_end"],
            }
        ],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://launchdarkly.com/docs/api/account-usage-beta",
                "how-to-guide": list(_HOW_TO_GUIDES),
                "tags": ["service"],
            }
        ],
    }
