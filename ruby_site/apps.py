from django.apps import AppConfig


class RubySiteConfig(AppConfig):
    name = "ruby_site"
    verbose_name = "Ruby"
