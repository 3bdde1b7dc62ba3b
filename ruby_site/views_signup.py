"""Ruby's signup page: allauth's, minus the company name for a person who arrives with an invitation (they join the
inviting workspace; a company name would be asked for nothing)."""

from __future__ import annotations

from allauth.account.views import SignupView

from ruby_site.adapters import INVITATION_SESSION_KEY
from ruby_site.selectors import open_invitation


class RubySignupView(SignupView):
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        token = self.request.session.get(INVITATION_SESSION_KEY)
        if token and open_invitation(token) is not None:
            form.fields.pop("workspace_name", None)
        return form


signup = RubySignupView.as_view()
