"""CSV import of accounts, contacts and deals: upload → preview with the column mapping → dry run or import.

The uploaded text waits in the session between the steps (at most 5 MB, deals.csv_import.MAX_BYTES)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from deals import csv_import, services
from ruby_site.access import member_required

SESSION_KEY = "ruby_csv_import"
KINDS = [("accounts", "Accounts"), ("contacts", "Contacts"), ("deals", "Deals")]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=KINDS, label="What the file holds", widget=forms.RadioSelect, initial="accounts")
    file = forms.FileField(label="CSV file", help_text="UTF-8, first row = column names, up to 10,000 rows (5 MB).")


@member_required
def csv_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read(csv_import.MAX_BYTES + 1)
        try:
            csv_import.parse(raw)
        except csv_import.CsvProblem as exc:
            form.add_error("file", str(exc))
        else:
            request.session[SESSION_KEY] = {
                "kind": form.cleaned_data["kind"],
                "name": form.cleaned_data["file"].name[:120],
                "text": raw.decode("utf-8-sig"),
                "workspace": request.workspace.pk,
            }
            return redirect("csv_preview")
    return render(request, "deals/import_upload.html", {"form": form})


@member_required
def csv_preview(request):
    pending = request.session.get(SESSION_KEY)
    if not pending or pending.get("workspace") != request.workspace.pk:
        messages.info(request, "Choose a CSV file to import.")
        return redirect("csv_upload")
    kind = pending["kind"]
    parsed = csv_import.parse(pending["text"].encode("utf-8"))
    mapping = csv_import.guess_mapping(kind, parsed.header)
    checked = None
    if request.method == "POST":
        mapping = {}
        for index in range(len(parsed.header)):
            choice = request.POST.get(f"col_{index}", "")
            if choice in csv_import.COLUMNS[kind]:
                mapping[index] = choice
        checked = csv_import.check(kind, parsed, mapping, workspace=request.workspace)
        if not checked.errors and request.POST.get("action") == "import":
            count = services.csv_import_apply(workspace=request.workspace, checked=checked)
            del request.session[SESSION_KEY]
            messages.success(request, f"Imported {count} {kind if count != 1 else kind[:-1]} from {pending['name']}.")
            return redirect({"accounts": "account_list", "contacts": "contact_list", "deals": "deal_list"}[kind])
    columns = [
        {"index": i, "name": name or f"(column {i + 1})", "field": mapping.get(i, ""), "sample": _samples(parsed, i)}
        for i, name in enumerate(parsed.header)
    ]
    context = {
        "pending": pending,
        "kind": kind,
        "columns": columns,
        "fields": [(f, csv_import.LABELS[f]) for f in csv_import.COLUMNS[kind]],
        "row_count": len(parsed.rows),
        "unknown": [c["name"] for c in columns if not c["field"]],
        "checked": checked,
        "dry_run": request.method == "POST" and request.POST.get("action") == "dry_run",
    }
    return render(request, "deals/import_preview.html", context)


def _samples(parsed, index: int) -> str:
    values = [row[index].strip() for row in parsed.rows[:3] if index < len(row) and row[index].strip()]
    return ", ".join(v[:30] for v in values)
