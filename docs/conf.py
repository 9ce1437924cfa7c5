"""Sphinx configuration for the airflow-provider-ldusage docs (build: ``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

# autodoc imports Airflow, which creates ~/airflow/airflow.cfg when AIRFLOW_HOME is unset; keep it in _build.
if not os.environ.get("AIRFLOW_HOME"):
    _AIRFLOW_HOME = DOCS / "_build" / ".airflow-home"
    _AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.pop("AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT", None)

import airflow_provider_ldusage  # noqa: E402

project = "airflow-provider-ldusage"
author = "airflow-provider-ldusage developers"
copyright = "airflow-provider-ldusage developers"
release = airflow_provider_ldusage.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "ldusage_docs",
]

# No network: no intersphinx. References to names outside this package cannot resolve offline, so only
# those are exempt from nitpicking (-n); a broken reference into the package still fails the build.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!airflow_provider_ldusage\.).*")]
# Private helper types that appear in signatures but are not part of the documented API.
nitpick_ignore = [
    ("py:class", "airflow_provider_ldusage.testing.emulator.recording.Headers"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_default_options = {"show-inheritance": True}
autodoc_preserve_defaults = True
autoclass_content = "class"

default_role = "literal"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
root_doc = "index"
language = "en"

try:
    import furo  # noqa: F401

    html_theme = "furo"
except ImportError:  # the dev extra installs furo; fall back rather than fail
    html_theme = "alabaster"
html_title = f"airflow-provider-ldusage {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
