"""Listing a folder, local or on an object store, by exact name, and removing what it found: the landing
code's housekeeping (stale temporaries, integrity records)."""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_ldusage.compat import ObjectStoragePath


def matching_names(
    folder: ObjectStoragePath, prefix: str, pattern: re.Pattern[str]
) -> list[tuple[str, float | None]]:
    """``(name, modification time)`` of every entry of ``folder`` whose name matches ``pattern`` (which
    must only match names starting with ``prefix``); the time in seconds since the epoch, ``None`` where
    the store does not report one. None if the folder is missing.

    One listing per call, never one per name: locally a ``scandir``; on a store whose ``find`` takes a
    ``prefix`` (s3fs, gcsfs) a listing of only the names with that prefix, so a folder of thousands of
    objects costs one small LIST per write; elsewhere one ``ls`` of the folder.
    """
    import os

    if folder.protocol in ("file", "local", ""):
        found: list[tuple[str, float | None]] = []
        try:
            with os.scandir(folder.path) as entries:
                for entry in entries:
                    if entry.name.startswith(prefix) and pattern.fullmatch(entry.name):
                        try:
                            found.append((entry.name, entry.stat().st_mtime))
                        except FileNotFoundError:  # removed since it was listed
                            continue
        except FileNotFoundError:
            return []
        return found
    try:
        fs = folder.fs
    except ValueError:  # a scheme Airflow registers no filesystem for: the path's own listing, names only
        try:
            return [(p.name, None) for p in folder.iterdir() if pattern.fullmatch(p.name)]
        except FileNotFoundError:
            return []
    strip = getattr(fs, "_strip_protocol", None)
    root = (strip(folder.path) if callable(strip) else folder.path).rstrip("/")
    try:
        if "prefix" in inspect.signature(fs.find).parameters:
            listed: Any = fs.find(root, prefix=prefix, detail=True)
        else:
            listed = fs.ls(root, detail=True)
    except FileNotFoundError:
        return []
    infos = listed.values() if isinstance(listed, dict) else listed
    out = []
    for info in infos:
        full = str(info.get("name", "")).rstrip("/") if isinstance(info, dict) else str(info)
        parent, _, name = full.rpartition("/")
        if parent.rstrip("/") == root and pattern.fullmatch(name):
            out.append((name, _mtime(info) if isinstance(info, dict) else None))
    return out


def _mtime(info: dict[str, Any]) -> float | None:
    """The modification time in a listing entry, under whichever key its store uses."""
    from datetime import datetime, timezone

    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
    return None


def delete_quietly(path: ObjectStoragePath) -> None:
    """Remove ``path`` if it is there; a store that refuses is left as it is (housekeeping, never fatal)."""
    try:
        if path.exists():
            path.unlink()
    except OSError:
        pass
