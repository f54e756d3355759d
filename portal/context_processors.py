from django.conf import settings

from . import demo, navigation


def werkpad(request):
    return {
        "demo_mode": settings.DEMO_MODE,
        "demo_accounts": demo.ACCOUNTS if settings.DEMO_MODE else (),
        "demo_password": settings.DEMO_PASSWORD if settings.DEMO_MODE else "",
        "navigation": navigation.items_for(request.user),
    }
