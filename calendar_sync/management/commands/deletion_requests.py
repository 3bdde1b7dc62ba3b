"""List deletion requests that are not done (`--overdue`: only those past their 30-day due date)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from calendar_sync.models import DataDeletionRequest
from calendar_sync.services.deletion_requests import deletion_requests_overdue


class Command(BaseCommand):
    help = "List open deletion requests; with --overdue, only those past their due date (exit status 1 if any)."

    def add_arguments(self, parser):
        parser.add_argument("--overdue", action="store_true", help="Only requests past their 30-day due date.")

    def handle(self, *args, overdue: bool = False, **options):
        if overdue:
            requests = deletion_requests_overdue()
        else:
            requests = DataDeletionRequest.objects.exclude(status=DataDeletionRequest.Status.DONE)
        requests = list(requests.order_by("due_on", "pk"))
        today = timezone.localdate()
        if not requests:
            self.stdout.write("No overdue deletion requests." if overdue else "No open deletion requests.")
            return
        for request in requests:
            late = (today - request.due_on).days
            when = f"{late} day(s) overdue" if late > 0 else f"due in {-late} day(s)"
            # Subject by type and id only: this output ends up in cron mail and chat.
            subject = f"user #{request.subject_user_id}" if request.subject_user_id else "attendee email"
            self.stdout.write(
                f"#{request.pk}\t{request.status}\t{request.kind}\treceived {request.received_on}\t"
                f"due {request.due_on}\t{when}\t{subject}"
            )
        if overdue:
            # Non-zero so a cron job or monitor can alert on it.
            raise SystemExit(1)
