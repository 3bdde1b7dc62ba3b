"""manage.py import_transcripts FILE --source zoom --workspace SLUG

Reads a JSON export (one record, a list, a source's wrapper such as {"meetings": [...]}) or JSON
Lines (one record per line). Bad records are reported by number and line and skipped; good ones
are stored, then matched to meetings in one batch.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from ruby_site.models import Workspace
from transcripts import sources
from transcripts.models import Transcript
from transcripts.services.ingest import transcript_ingest
from transcripts.services.matching import transcripts_match
from transcripts.sources.base import AdapterError


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _array_item_lines(text: str) -> list[int] | None:
    """Line of each item when the document is a top-level JSON array, else None."""
    decoder = json.JSONDecoder()
    pos = text.find("[")
    if pos < 0 or text[:pos].strip():
        return None
    lines, pos = [], pos + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(_line_of(text, pos))
        try:
            _, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return None


def read_records(text: str, source: str) -> list[tuple[int, int | None, object]]:
    """[(record number, line or None, record)]; a JSON Lines line that is not JSON becomes an error record."""
    try:
        document = json.loads(text)
    except ValueError as whole_error:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if len(lines) < 2:
            raise CommandError(
                f"The file is not valid JSON: {whole_error.msg} "
                f"at line {whole_error.lineno}, column {whole_error.colno}."
            )
        records = []
        for number, (line_no, line) in enumerate(lines, start=1):
            try:
                records.append((number, line_no, json.loads(line)))
            except ValueError as exc:
                records.append((number, line_no, AdapterError(f"not valid JSON ({exc.msg})")))
        return records
    try:
        items = sources.split_records(source, document)
    except AdapterError as exc:
        # One bad item must not sink the file: fall back to the raw list and report that item.
        if not isinstance(document, list):
            raise CommandError(f"The file holds no {sources.label(source)} records: {exc}.")
        items = document
    lines = _array_item_lines(text) if isinstance(document, list) else None
    if lines is None or len(lines) != len(items):
        lines = [None] * len(items)
    return [(n, line, item) for n, (line, item) in enumerate(zip(lines, items, strict=True), start=1)]


class Command(BaseCommand):
    help = "Import transcripts from a JSON export of a transcript source and match them to meetings."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a JSON or JSON Lines export ('-' reads standard input).")
        parser.add_argument("--source", required=True, help=f"One of: {', '.join(sources.REGISTRY)}.")
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")

    def handle(self, *args, file: str, source: str, workspace: str, **options):
        if not sources.is_known(source):
            raise CommandError(f"Unknown source “{source}”. Use one of: {', '.join(sources.REGISTRY)}.")
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f"No workspace with the slug “{workspace}”.")
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8-sig") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {getattr(exc, 'strerror', None) or exc}.")

        records = read_records(text, source)
        total = len(records)
        created = updated = unchanged = 0
        bad: list[str] = []
        touched: list[Transcript] = []
        for done, (number, line, record) in enumerate(records, start=1):
            where = f"record {number}" + (f" (line {line})" if line else "")
            try:
                if isinstance(record, Exception):
                    raise record
                result = transcript_ingest(workspace=target, source=source, payload=record, match=False)
            except AdapterError as exc:
                bad.append(f"{where}: {exc}")
            else:
                if result.created:
                    created += 1
                elif result.changed:
                    updated += 1
                else:
                    unchanged += 1
                if result.changed:
                    touched.append(result.transcript)
            if done % 50 == 0 or done == total:
                self.stdout.write(f"\rRead {done} of {total} records…", ending="")
                self.stdout.flush()
        self.stdout.write("")
        counts = transcripts_match(transcripts=touched)
        for message in bad:
            self.stderr.write(f"Skipped {message}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} created, {updated} updated, {unchanged} unchanged, {len(bad)} skipped. "
                f"Matched {counts['matched']}, ambiguous {counts['ambiguous']}, unmatched {counts['unmatched']}."
            )
        )
