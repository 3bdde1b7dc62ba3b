from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ruby_site.selectors import workspace_of


@login_required
def calendar(request):
    workspace_of(request.user)
    return render(request, "calendar_sync/event_list.html", {})


@login_required
def event_detail(request, pk: int):
    from django.http import Http404

    raise Http404
