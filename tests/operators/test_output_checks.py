"""An output location that cannot be written fails before the first request (check_writable)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from airflow_provider_ldusage.exceptions import LaunchDarklyUsageValidationError
from airflow_provider_ldusage.landing.storage import check_writable


def test_a_missing_local_folder_is_created_and_left_clean(tmp_path: Path) -> None:
    target = tmp_path / "landing" / "usage"
    check_writable(str(target))
    assert target.is_dir() and list(target.iterdir()) == []  # the probe is gone
    check_writable(target.as_uri())  # file:// URIs follow the same rule


def test_existing_objects_are_never_touched(tmp_path: Path) -> None:
    (tmp_path / "kept.jsonl").write_text("x")
    check_writable(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["kept.jsonl"]
    assert (tmp_path / "kept.jsonl").read_text() == "x"


@pytest.mark.parametrize("below", ["", "deeper/still"])
def test_a_file_where_a_folder_should_be_is_refused(tmp_path: Path, below: str) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        check_writable(str(blocker / below) if below else str(blocker))
    assert caught.value.parameter == "output_path"
    assert f"{blocker} is a file" in str(caught.value)
    assert blocker.read_text() == "not a folder"


def _read_only_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    # root ignores permission bits; sysfs refuses new files to everyone.
    sysfs = Path("/sys/kernel")
    if not sysfs.is_dir():
        pytest.skip("running as root without /sys: no read-only folder to test with")
    return sysfs


def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = _read_only_folder(tmp_path)
    with pytest.raises(LaunchDarklyUsageValidationError) as caught:
        check_writable(str(folder / "landing"))
    assert caught.value.parameter == "output_path"
    assert "a folder this task can write" in str(caught.value)


def test_object_stores_are_not_probed() -> None:
    from airflow.sdk import ObjectStoragePath

    memory = ObjectStoragePath("memory://ldusage-probe-check/prefix")
    check_writable(memory)
    assert not memory.exists() and not memory.parent.exists()  # nothing was written, not even a folder


@pytest.mark.parametrize("value", ["s3:///prefix", None, "  "])
def test_output_paths_that_name_no_place_are_refused(value: object) -> None:
    with pytest.raises(LaunchDarklyUsageValidationError, match="output_path"):
        check_writable(value)
