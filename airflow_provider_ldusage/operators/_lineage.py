"""OpenLineage for the usage operators: what a finished task read and what it landed.

Called by ``apache-airflow-providers-openlineage`` (the ``openlineage`` extra) through
:meth:`LaunchDarklyUsageBaseOperator.get_openlineage_facets_on_complete
<airflow_provider_ldusage.operators._base.LaunchDarklyUsageBaseOperator.get_openlineage_facets_on_complete>`,
after ``execute``. Nothing here is imported at DAG-parse time, and the OpenLineage classes are imported inside
the functions, so without the provider nothing changes.

Datasets (see ``docs/ecosystem.rst``):

input
    the LaunchDarkly usage endpoint: namespace = the connection's base URL (``https://app.launchdarkly.com``),
    name = the operation id, then its path parameters and filters as a sorted query string, normalised as
    the landing hash normalises them (``getDataExportEventsUsage?group_by=environmentId,eventKind``). Never
    the token. Facet ``dataSource``.
output
    the landed dataset folder, the same location the operator announces as an Airflow ``Asset``, named by
    OpenLineage's conventions for object storage (``s3://bucket`` + ``key``; ``file`` + absolute path).
    Facets ``schema`` (the rows' columns and types) and, as output facet, ``outputStatistics`` (rows,
    bytes and objects written by this run). Tasks without ``output_path`` return rows through XCom and
    report no output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

from airflow_provider_ldusage.landing.schema import LIST_COLUMNS, SERIES_COLUMNS
from airflow_provider_ldusage.landing.storage import normalised

if TYPE_CHECKING:
    from airflow_provider_ldusage.catalogue import Endpoint


class LineageSource(Protocol):
    """What lineage reads from an operator: the operation, its filters and connection, its landings."""

    launchdarkly_conn_id: str
    hook_params: dict[str, Any]
    #: One :func:`landing_record` per object landed by the operator (lookback windows too).
    lineage_landings: list[dict[str, Any]]

    @property
    def operation_id(self) -> str: ...

    @property
    def endpoint(self) -> Endpoint: ...

    def filter_arguments(self) -> dict[str, Any]: ...


# Column types for the schema facet, from the row layouts (landing/schema.py): OpenLineage's type names.
_OPENLINEAGE_TYPES = {
    "int": "integer",
    "number": "number",
    "string": "string",
    "timestamp": "timestamp",
    "bool": "boolean",
    "json": "struct",
}
_TYPES = {c.name: _OPENLINEAGE_TYPES[c.type] for c in (*SERIES_COLUMNS, *LIST_COLUMNS)}


def input_name(operation_id: str, arguments: Mapping[str, Any]) -> str:
    """The input dataset's name: the operation and its non-empty filters as a canonical query string.

    :param operation_id: LaunchDarkly's operation id.
    :param arguments: path parameters and filters as rendered (``None`` values are left out).
    """
    parts = []
    for key in sorted(arguments):
        value = arguments[key]
        if value is None or key in ("start", "end"):
            continue
        canonical = normalised(value)
        text = ",".join(canonical) if isinstance(canonical, list) else str(canonical)
        parts.append(f"{key}={quote(text, safe=',:')}")
    return operation_id + ("?" + "&".join(parts) if parts else "")


def storage_dataset(uri: str) -> tuple[str, str]:
    """OpenLineage's namespace and name of a storage location (``s3://b/k`` -> ``("s3://b", "k")``).

    :param uri: a URI as the landing reports it (``s3://bucket/key``, ``file:///abs/path``).
    """
    parts = urlsplit(uri)
    if parts.scheme in ("file", ""):
        return "file", parts.path
    return f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/")


def schema_fields(columns: Iterable[str]) -> list[tuple[str, str]]:
    """``(name, type)`` of every column, in row order."""
    return [(name, _TYPES.get(name, "string")) for name in columns]


def _try_of(task_instance: Any) -> list[Any]:
    """Which run and try of the task a landing belongs to (one operator object may run several)."""
    return [getattr(task_instance, "run_id", None), getattr(task_instance, "try_number", None)]


def landing_record(
    context: Mapping[str, Any],
    summary: Mapping[str, Any],
    columns: Iterable[str],
    base_url: str,
) -> dict[str, Any]:
    """What :func:`facets_on_complete` reports about one landing (no OpenLineage import).

    :param context: the task's context (its ``ti`` tells the run and try apart).
    :param summary: the landing's summary (``path``, ``dataset``, ``rows``, ``bytes``).
    :param columns: the rows' columns, in order.
    :param base_url: the connection's base URL.
    """
    return {**summary, "columns": list(columns), "base_url": base_url, "try": _try_of(context.get("ti"))}


def facets_on_complete(operator: LineageSource, task_instance: Any) -> Any:
    """The ``OperatorLineage`` of a finished task (see the module description).

    :param operator: the executed operator; ``execute`` keeps its landings in ``lineage_landings``.
    :param task_instance: the finished task instance: only the landings of its run and try count.
    """
    from airflow.providers.common.compat.openlineage.facet import (
        Dataset,
        OutputDataset,
        OutputStatisticsOutputDatasetFacet,
        SchemaDatasetFacet,
        SchemaDatasetFacetFields,
    )
    from airflow.providers.openlineage.extractors import OperatorLineage
    from openlineage.client.facet_v2 import datasource_dataset

    current = _try_of(task_instance)
    landings = [x for x in operator.lineage_landings if x["try"] == current]
    base_url = landings[0]["base_url"] if landings else _base_url(operator)
    source = Dataset(
        namespace=base_url,
        name=input_name(operator.operation_id, operator.filter_arguments()),
        facets={
            "dataSource": datasource_dataset.DatasourceDatasetFacet(
                name=base_url, uri=base_url + operator.endpoint.path
            )
        },
    )
    outputs: list[Any] = []
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for landing in landings:
        by_dataset.setdefault(landing["dataset"], []).append(landing)
    for dataset_uri, written in by_dataset.items():
        namespace, name = storage_dataset(dataset_uri)
        columns: list[str] = []
        for landing in written:  # the union, in order of first appearance (lookback windows may differ)
            columns.extend(c for c in landing["columns"] if c not in columns)
        outputs.append(
            OutputDataset(
                namespace=namespace,
                name=name,
                facets={
                    "schema": SchemaDatasetFacet(
                        fields=[SchemaDatasetFacetFields(name=c, type=t) for c, t in schema_fields(columns)]
                    )
                },
                outputFacets={
                    "outputStatistics": OutputStatisticsOutputDatasetFacet(
                        rowCount=sum(int(w["rows"]) for w in written),
                        size=sum(int(w["bytes"]) for w in written),
                        fileCount=len({w["path"] for w in written}),
                    )
                },
            )
        )
    return OperatorLineage(inputs=[source], outputs=outputs)


def _base_url(operator: LineageSource) -> str:
    """The connection's base URL (read from the connection; no request, never the token)."""
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    hook = LaunchDarklyUsageHook(operator.launchdarkly_conn_id, **operator.hook_params)
    try:
        return str(hook.settings.base_url)
    finally:
        hook.close()
