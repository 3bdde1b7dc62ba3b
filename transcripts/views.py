from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ruby_site.selectors import workspace_of


@login_required
def transcript_list(request):
    workspace_of(request.user)
    return render(request, "transcripts/transcript_list.html", {})


@login_required
def transcript_sources(request):
    workspace_of(request.user)
    return render(request, "transcripts/sources.html", {"section": "transcript_sources"})
