from django.conf import settings


def ruby(request):
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "MICROSOFT_SANDBOX": settings.MICROSOFT_SANDBOX,
        "MICROSOFT_SIGNIN_ENABLED": "microsoft" in settings.SOCIALACCOUNT_PROVIDERS,
    }
