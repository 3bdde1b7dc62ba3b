import zoneinfo

from django.utils import timezone

from ruby_site.selectors import REQUEST_MEMBERSHIP_ATTR, membership_for


class WorkspaceMiddleware:
    """Puts the logged-in user's membership and workspace on the request (None when logged out), and
    shows every date and time in the user's own time zone (stored in UTC, displayed in theirs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Loaded once, up front: nearly every signed-in page needs it (navigation, scoping).
        request.membership = _load_membership(request) if request.user.is_authenticated else None
        time_zone = getattr(request.user, "time_zone", "") if request.user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(time_zone)) if time_zone else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _load_membership(request):
    membership = membership_for(request.user)
    if request.user.is_authenticated:
        # One lookup per request: membership_for(request.user) returns this from now on.
        setattr(request.user, REQUEST_MEMBERSHIP_ATTR, membership)
    return membership
