"""Budget watch: every day, forecast where this month's usage will end against the contract's limits.

Runs at 06:30 UTC, after the day that closed has been counted. For each metric with a limit, the
operator fetches the month-to-date daily series, forecasts the month's end with an 80 % interval (distinct
counts such as MAU flatten as the month goes on; events and minutes add up day by day) and returns a
verdict per metric: the figure so far, the forecast, the share of the limit and the day the limit is
expected to be crossed. When a forecast crosses 80 % or 100 % of a limit the task fails, so whatever
``on_failure_callback`` notifier you attach (email, Slack, any ``BaseNotifier``) tells people days before
the overage; the verdict is landed under ``<storage root>/budgets/`` either way.

The alert says who drives the bill: the metric split by every dimension LaunchDarkly can group it by
(project, environment, SDK, application), compared with the same days of last month, the top groups with
the share of the increase each explains — "+38.0k (91 % of the increase) from project `web`, environment
`production`, SDK `JavaScript`". A day whose increment is far outside its expected range (a runaway SDK
sending a fresh context key per page view) is an alert of its own the next morning, with the same
breakdown, whether or not a limit is near.

Configuration (no code change, nothing read at parse time):

* Airflow Variable ``ldusage_budget_limits``: JSON object of metric -> limit, e.g.
  ``{"client_mau": 500000, "service_connection_minutes": 2000000}`` (names:
  ``airflow_provider_ldusage.budgets.BUDGET_METRICS``); default: those two.
* Airflow Variables ``ldusage_storage_root`` (default ``/tmp/ldusage``) and ``ldusage_conn_id`` (default
  ``launchdarkly_default``).
* Airflow Variable ``ldusage_dimension_labels`` (optional): LaunchDarkly groups by project and environment
  *ids*; a JSON object such as ``{"projectId": {"65f0…": "web"}, "environmentId": {"6581…": "production"}}``
  makes alerts show keys instead.
* Param ``on_breach``: ``fail`` (default) or ``record`` to only record crossings.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow_provider_ldusage.compat import DAG, Param
from airflow_provider_ldusage.operators.budget import LaunchDarklyUsageBudgetOperator

CONN_ID = "{{ var.value.get('ldusage_conn_id', 'launchdarkly_default') }}"
STORAGE_ROOT = "{{ var.value.get('ldusage_storage_root', '/tmp/ldusage') }}"

with DAG(
    dag_id="ldusage_budget_watch",
    description="Forecast this month's LaunchDarkly usage against contract limits, days before a crossing",
    schedule="30 6 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    params={
        "on_breach": Param("fail", enum=["fail", "record"], description="fail the task, or only record"),
    },
    tags=["launchdarkly", "usage", "finance"],
) as dag:
    # [START howto_operator_usage_budget]
    budget = LaunchDarklyUsageBudgetOperator(
        task_id="budget",
        # A Variable holds the contract's limits; the default keeps the DAG runnable out of the box.
        limits="{{ var.json.get('ldusage_budget_limits', "
        "{'client_mau': 500000, 'service_connection_minutes': 2000000}) | tojson }}",
        thresholds=[0.8, 1.0],  # warn at 80 % of a limit, and at 100 %
        on_breach="{{ params.on_breach }}",
        launchdarkly_conn_id=CONN_ID,
        output_path=STORAGE_ROOT + "/budgets",
        detect_spikes=True,  # a day far above its expected range is an alert too, limit near or not
        labels="{{ var.json.get('ldusage_dimension_labels', {}) | tojson }}",
        # on_failure_callback=SlackNotifier(...)  # any BaseNotifier: the failure is the alert
    )
    # [END howto_operator_usage_budget]
