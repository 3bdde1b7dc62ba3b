"""The project's URLs plus one page that crashes, to see the 500 page without mocking any of Ruby's code."""

from django.urls import path

from ruby_site.urls import urlpatterns as project_urlpatterns


def crash(request):
    raise RuntimeError("secret internals: token=abc123")


urlpatterns = [*project_urlpatterns, path("crash/", crash)]
