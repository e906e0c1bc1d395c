from django.core.asgi import get_asgi_application

from config.settings.variables import choose_settings

choose_settings(default="config.settings.production")

application = get_asgi_application()
