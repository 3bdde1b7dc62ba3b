from django.utils.functional import SimpleLazyObject

from ruby_site.selectors import membership_for


class WorkspaceMiddleware:
    """Puts the logged-in user's membership and workspace on the request (None when logged out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: membership_for(request.user))
        return self.get_response(request)
