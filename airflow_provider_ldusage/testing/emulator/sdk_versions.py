"""``/sdk-versions/details`` and ``/sdk-versions/all``: SDK versions seen in the last 24 hours, with their
end-of-life status, from the synthetic account.

Model: every environment runs its SDKs' newest version directly (``connectionType`` ``direct``); in
production each server-side SDK also runs its older version through the Relay Proxy (``proxy``), as the
service-connection facts do. ``/details`` lists the highest version of each SDK per environment, ``/all``
every record. End-of-life statuses are a function of the account: the first server-side SDK it uses (by
name) is past end of life, the first client-side one is near it, the others cycle through the remaining
statuses, and an older version is past end of life unless its SDK is all clear (then near it). So every
account has at least one ``EolPast`` and one ``EolNear`` SDK.
"""

from __future__ import annotations

from collections.abc import Mapping

from airflow_provider_ldusage.testing.emulator.account import Account, Sdk

EOL_STATUSES = ("EolAllClear", "EolNear", "EolPast", "MajorVersionAvailable", "EolUnknown")
_CYCLE = ("EolAllClear", "MajorVersionAvailable", "EolUnknown", "EolNear", "EolPast")


def _newest_status(account: Account) -> dict[str, str]:
    out: dict[str, str] = {}
    for sdk_type, first in (("server", "EolPast"), ("client", "EolNear")):
        names = sorted(s.name for s in account.sdks if s.type == sdk_type)
        for i, name in enumerate(names):
            out[name] = first if i == 0 else _CYCLE[(i - 1) % len(_CYCLE)]
    return out


def _latest(sdk: Sdk, status: str) -> str:
    """LaunchDarkly's latest version of ``sdk``: the newest one seen when all clear, else a later major."""
    if status == "EolAllClear":
        return sdk.versions[-1]
    major = int(sdk.versions[-1].split(".")[0])
    return f"{major + 1}.0.0"


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace(".", "")


def all_versions(account: Account) -> list[dict[str, str]]:
    """Every SDK version record of the account (``/sdk-versions/all`` without filters)."""
    newest = _newest_status(account)
    projects = {p.key: p for p in account.projects}
    records: list[dict[str, str]] = []
    for env in account.environments:
        project = projects[env.project_key]
        for sdk in account.sdks_by_environment[env.id]:
            status = newest[sdk.name]
            latest = _latest(sdk, status)
            base = {
                "name": sdk.name,
                "type": sdk.category if sdk.type == "client" else "server",
                "projectId": project.id,
                "projectKey": project.key,
                "projectName": project.name,
                "environmentId": env.id,
                "environmentKey": env.key,
                "environmentName": env.key.title(),
                "applicationId": account.sdk_app_id(env.project_key, sdk),
                "ldLatestVersion": latest,
                "latestReleaseUrl": f"https://github.com/launchdarkly/{_slug(sdk.name)}-sdk/releases/tag/{latest}",
            }
            records.append(
                {**base, "version": sdk.versions[-1], "eolStatus": status, "connectionType": "direct"}
            )
            if sdk.type == "server" and env.key == "production":
                relay = account.relay_versions[0]
                records.append(
                    {
                        **base,
                        "version": sdk.versions[0],
                        "eolStatus": "EolNear" if status == "EolAllClear" else "EolPast",
                        "connectionType": "proxy",
                        "relayVersion": relay,
                        "relayEolStatus": "EolAllClear",
                        "relayLatestVersion": relay,
                        "relayLatestReleaseUrl": f"https://github.com/launchdarkly/ld-relay/releases/tag/v{relay}",
                    }
                )
    return records


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def details(account: Account) -> list[dict[str, str]]:
    """The highest version of each SDK per environment (``/sdk-versions/details``)."""
    best: dict[tuple[str, str], dict[str, str]] = {}
    for record in all_versions(account):
        key = (record["environmentId"], record["name"])
        if key not in best or _version_key(record["version"]) > _version_key(best[key]["version"]):
            best[key] = record
    return list(best.values())


# Query wire name -> record field of /sdk-versions/all's single-valued filters.
ALL_FILTERS: Mapping[str, str] = {
    "environmentId": "environmentId",
    "projectId": "projectId",
    "sdkName": "name",
    "sdkType": "type",
    "sdkAppId": "applicationId",
    "connectionType": "connectionType",
}


def filtered(account: Account, params: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """``/sdk-versions/all`` with its filters applied (exact matches)."""
    wanted = {ALL_FILTERS[w]: values[0] for w, values in params.items() if w in ALL_FILTERS}
    return [r for r in all_versions(account) if all(r.get(f) == v for f, v in wanted.items())]


def answer(operation_id: str, account: Account, params: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """The body of ``getSdkVersionsDetails`` or ``getSdkAllVersions``."""
    if operation_id == "getSdkVersionsDetails":
        return details(account)
    return filtered(account, params)
