"""``conformance cleanup``: delete the collections that killed runs left behind, and only those.

A run deletes what it created, also when interrupted; only a run killed outright
(SIGKILL, a lost machine) leaves collections behind. A collection is such a
leftover when both hold:

- its name starts with a run prefix, ``cfs-`` and six hex digits and ``-``;
- it carries the marker tags the suite writes on CreateCollection
  (``created-by = rekognition-conformance`` and ``conformance-run = <that prefix>``),
  read with ListTagsForResource on the ARN DescribeCollection gives.

Anything else is left alone, however its name looks. Cleanup lists the account's
collections (ListCollections), which the suite's own driver never does: it uses a
client of its own, not the ``Driver``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from conformance.marker import is_marked, run_prefix_of

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Leftover:
    collection_id: str
    run_prefix: str
    arn: str


@dataclass
class CleanupReport:
    leftovers: list[Leftover] = field(default_factory=list)  # found (and deleted unless dry)
    deleted: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (collection, why it is kept)
    errors: list[str] = field(default_factory=list)


def _error_text(error: Exception) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', '?')}: {info.get('Message', '')}".rstrip(": ")
    return str(error)


def _collection_ids(client: Any) -> Iterator[str]:
    token: str | None = None
    for _ in range(10_000):  # bounded: 10,000 pages of up to 1,000 collections
        page = client.list_collections(**({"NextToken": token} if token else {}))
        yield from page.get("CollectionIds", [])
        token = page.get("NextToken")
        if not token:
            return


def find_leftovers(client: Any, *, min_age: float = 0.0,
                   now: Callable[[], float] = time.time) -> CleanupReport:
    """The collections of killed runs on the target ``client`` talks to; nothing deleted."""
    report = CleanupReport()
    for collection_id in _collection_ids(client):
        prefix = run_prefix_of(collection_id)
        if prefix is None:
            continue  # not named like the suite's: not even looked at
        try:
            described = client.describe_collection(CollectionId=collection_id)
            arn = described["CollectionARN"]
            tags = client.list_tags_for_resource(ResourceArn=arn).get("Tags", {})
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                continue  # deleted meanwhile, by its own run perhaps
            report.errors.append(f"{collection_id}: cannot read its tags ({_error_text(error)}); "
                                 "left alone")
            continue
        if not is_marked(tags, prefix):
            report.kept.append((collection_id, "named like the suite's, but without its "
                                               "marker tags"))
            continue
        created = described.get("CreationTimestamp")
        if min_age and created is not None:
            epoch = created.timestamp() if hasattr(created, "timestamp") else float(created)
            if now() - epoch < min_age:
                report.kept.append((collection_id, f"younger than {min_age:g} s: its run may "
                                                   "still be going"))
                continue
        report.leftovers.append(Leftover(collection_id, prefix, arn))
    return report


def cleanup(client: Any, *, dry_run: bool = False, min_age: float = 0.0,
            progress: Progress = lambda _: None) -> CleanupReport:
    """Find the leftovers of killed runs and, unless ``dry_run``, delete them."""
    try:
        report = find_leftovers(client, min_age=min_age)
    except (ClientError, BotoCoreError) as error:
        report = CleanupReport(errors=[f"cannot list the collections: {_error_text(error)}"])
        return report
    for leftover in report.leftovers:
        if dry_run:
            progress(f"would delete {leftover.collection_id} (run {leftover.run_prefix})")
            continue
        try:
            client.delete_collection(CollectionId=leftover.collection_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                report.errors.append(f"{leftover.collection_id}: not deleted "
                                     f"({_error_text(error)})")
                continue
        except BotoCoreError as error:
            report.errors.append(f"{leftover.collection_id}: not deleted ({error})")
            continue
        report.deleted.append(leftover.collection_id)
        progress(f"deleted {leftover.collection_id} (run {leftover.run_prefix})")
    return report


def report_lines(report: CleanupReport, *, dry_run: bool) -> list[str]:
    lines = [f"kept {name}: {why}" for name, why in report.kept]
    lines += [f"error: {e}" for e in report.errors]
    runs = sorted({leftover.run_prefix for leftover in report.leftovers})
    if dry_run:
        lines.append(f"{len(report.leftovers)} collection(s) of {len(runs)} killed run(s) "
                     "would be deleted (dry run: nothing deleted)")
    else:
        lines.append(f"deleted {len(report.deleted)} collection(s) of {len(runs)} killed "
                     f"run(s)" + (f"; {len(report.errors)} error(s)" if report.errors else ""))
    return lines
