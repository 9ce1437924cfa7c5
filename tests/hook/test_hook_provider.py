"""Airflow discovers the provider and its connection form without importing the hook.

Each check runs in a fresh interpreter, so nothing imported by other tests can hide an import the
provider metadata would cause.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import distribution
from typing import Any

from airflow_provider_ldusage import __version__
from airflow_provider_ldusage.compat import AIRFLOW_VERSION, HAS_DECLARATIVE_CONNECTION_FORMS

HOOK_MODULE = "airflow_provider_ldusage.hooks.usage"


def _run(script: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang: a loaded CI machine needs minutes to start Airflow here
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_get_provider_info_is_import_free_and_names_the_distribution() -> None:
    result = _run(
        """
        import json, sys
        from airflow_provider_ldusage.provider_info import get_provider_info
        info = get_provider_info()
        heavy = sorted(m for m in sys.modules if m == "airflow" or m.startswith(("airflow.", "requests",
                       "httpx", "airflow_provider_ldusage.hooks", "airflow_provider_ldusage.core")))
        print(json.dumps({"heavy": heavy, "package": info["package-name"]}))
        """
    )
    assert result["heavy"] == []
    assert result["package"] == "airflow-provider-ldusage" == distribution("airflow-provider-ldusage").name
    assert distribution("airflow-provider-ldusage").version == __version__
    entry_points = distribution("airflow-provider-ldusage").entry_points
    provider = [ep for ep in entry_points if ep.group == "apache_airflow_provider"]
    assert [ep.value for ep in provider] == ["airflow_provider_ldusage.provider_info:get_provider_info"]


def test_airflow_lists_the_provider_and_its_connection_form_without_importing_the_hook() -> None:
    result = _run(
        f"""
        import json, sys
        from airflow.providers_manager import ProvidersManager

        pm = ProvidersManager()
        out = {{"providers": sorted(pm.providers)}}
        try:  # What the Airflow 3 UI's connection form is built from (GET /ui/connections/hook_meta).
            from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
        except ImportError:  # Airflow 2.11: the FAB UI asks the hook class
            out["meta"] = None
        else:
            meta = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "launchdarkly"]
            out["meta"] = [m.model_dump(mode="json") for m in meta]
        out["hook_imported_by_metadata"] = {HOOK_MODULE!r} in sys.modules

        # The older accessors import every hook by Airflow's design; they must agree with the metadata.
        out["behaviour"] = pm.field_behaviours.get("launchdarkly")

        info = pm.hooks["launchdarkly"]  # this one imports the hook class, as Airflow does for Test
        out["hook"] = {{
            "class": info.hook_class_name,
            "testable": info.connection_testable,
            "conn_id_attr": info.connection_id_attribute_name,
            "package": info.package_name,
        }}
        print(json.dumps(out, default=str))
        """
    )
    assert "airflow-provider-ldusage" in result["providers"]
    # Older Airflow builds the form from the hook class's widgets, importing it; the form is the same.
    if result["meta"] is not None:
        assert result["hook_imported_by_metadata"] is not HAS_DECLARATIVE_CONNECTION_FORMS
    if result["meta"] is None:  # Airflow 2.11: labels and hidden fields from the hook class
        assert result["behaviour"]["relabeling"]["password"] == "API access token"
        assert set(result["behaviour"]["hidden_fields"]) >= {"schema", "port", "login"}
    if not HAS_DECLARATIVE_CONNECTION_FORMS:  # Airflow 3.1 shows hook labels only with wtforms (FAB) present
        assert result["hook"]["class"] == "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook"
        if result["meta"] is None:  # Airflow 2.11's FAB form: the extras are entered as JSON (docs)
            return
        # Its form's extra fields come from the hook's widgets: the same fields as conn-fields, each optional.
        from airflow_provider_ldusage.provider_info import get_provider_info

        (declared,) = get_provider_info()["connection-types"]
        (meta,) = result["meta"]
        extra = meta["extra_fields"]
        if extra is None:  # 3.0.x and 3.1.1's API servers report no extra fields without FAB (3.1.8 does)
            assert AIRFLOW_VERSION < (3, 2), AIRFLOW_VERSION
            return
        assert set(extra) == set(declared["conn-fields"])
        assert all("null" in field["schema"]["type"] for field in extra.values()), extra
        return

    behaviour = result["behaviour"]
    assert behaviour["relabeling"]["password"] == "API access token"
    assert behaviour["relabeling"]["host"] == "Base URL"
    assert set(behaviour["hidden_fields"]) >= {"schema", "port", "login"}

    (meta,) = result["meta"]
    standard = meta["standard_fields"]
    assert standard["password"]["title"] == "API access token"
    assert standard["host"]["title"] == "Base URL"
    host_help = standard["host"]["placeholder"]
    for url in (
        "https://app.launchdarkly.com",
        "https://app.launchdarkly.us",
        "https://app.eu.launchdarkly.com",
    ):
        assert url in host_help, f"the host field's help does not name {url}: {host_help!r}"
    for hidden in ("login", "port", "url_schema"):
        assert standard[hidden]["hidden"] is True

    extra = meta["extra_fields"]
    assert set(extra) >= {
        "connect_timeout",
        "read_timeout",
        "max_retries",
        "max_retry_wait",
        "call_deadline",
        "max_body_bytes",
    }
    assert extra["max_body_bytes"]["schema"]["type"] == ["integer", "null"]
    assert extra["max_retries"]["schema"]["type"] == ["integer", "null"]
    assert extra["read_timeout"]["schema"]["type"] == ["number", "null"]
    # Optional on the form: Airflow's UI marks a field required (red asterisk) unless its type admits null.
    assert all("null" in field["schema"]["type"] for field in extra.values())
    assert extra["read_timeout"]["value"] == 60 and extra["max_retries"]["value"] == 5
    assert all(field["schema"].get("title") for field in extra.values())  # labelled, not bare names

    assert result["hook"] == {
        "class": "airflow_provider_ldusage.hooks.usage.LaunchDarklyUsageHook",
        "testable": True,
        "conn_id_attr": "launchdarkly_conn_id",
        "package": "airflow-provider-ldusage",
    }


def test_the_hook_declares_the_public_connection_names() -> None:
    from airflow_provider_ldusage.hooks.usage import LaunchDarklyUsageHook

    assert LaunchDarklyUsageHook.conn_type == "launchdarkly"
    assert LaunchDarklyUsageHook.default_conn_name == "launchdarkly_default"
    assert LaunchDarklyUsageHook.conn_name_attr == "launchdarkly_conn_id"
