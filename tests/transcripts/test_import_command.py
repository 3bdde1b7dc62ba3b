"""manage.py import_transcripts FILE --source S --workspace SLUG"""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.transcripts.helpers import meeting, zoom_payload
from transcripts.models import Transcript


def run(path, source="zoom", workspace="acme"):
    out, err = StringIO(), StringIO()
    call_command("import_transcripts", str(path), source=source, workspace=workspace, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def record(uuid, **kwargs):
    return zoom_payload(uuid=uuid, **kwargs)["payload"]["object"]


def test_imports_a_single_record(tmp_path, workspace):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(zoom_payload()))
    out, _ = run(path)
    assert Transcript.objects.filter(workspace=workspace).count() == 1
    assert "1 created, 0 updated, 0 unchanged, 0 skipped" in out


def test_imports_many_and_skips_bad_records_by_line(tmp_path, workspace):
    bad = {"uuid": "broken", "topic": "No start"}
    path = tmp_path / "many.json"
    path.write_text(json.dumps([record("a"), bad, record("b")], indent=2))
    out, err = run(path)
    assert set(Transcript.objects.values_list("external_id", flat=True)) == {"a", "b"}
    assert "record 2 (line " in err and "start_time" in err
    assert "2 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert "Read 3 of 3 records" in out


def test_json_lines_report_the_bad_line(tmp_path, workspace):
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join([json.dumps(record("a")), "{not json", json.dumps(record("b"))]))
    out, err = run(path)
    assert Transcript.objects.count() == 2
    assert "record 2 (line 2): not valid JSON" in err


def test_zoom_wrapper_export(tmp_path, workspace):
    path = tmp_path / "recordings.json"
    path.write_text(json.dumps({"meetings": [record("a"), record("b")]}))
    run(path)
    assert Transcript.objects.count() == 2


def test_import_matches_to_meetings(tmp_path, workspace, user):
    event = meeting(user)
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record("a", people=[("Dana", "dana@northwind.example")])))
    out, _ = run(path)
    assert Transcript.objects.get().event == event
    assert "Matched 1" in out


def test_reimport_is_unchanged(tmp_path, workspace):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record("a")))
    run(path)
    out, _ = run(path)
    assert "0 created, 0 updated, 1 unchanged" in out


def test_unknown_workspace(tmp_path, workspace):
    path = tmp_path / "one.json"
    path.write_text("{}")
    with pytest.raises(CommandError, match="No workspace with the slug “nope”"):
        run(path, workspace="nope")


def test_unknown_source(tmp_path, workspace):
    with pytest.raises(CommandError, match="Unknown source “webex”"):
        run(tmp_path / "x.json", source="webex")


def test_unreadable_file(tmp_path, workspace):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.json")


def test_file_that_is_not_json(tmp_path, workspace):
    path = tmp_path / "bad.json"
    path.write_text("hello")
    with pytest.raises(CommandError, match="not valid JSON"):
        run(path)
    assert not Transcript.objects.exists()
