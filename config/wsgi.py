from django.core.wsgi import get_wsgi_application

from config.settings.variables import choose_settings

choose_settings(default="config.settings.production")

application = get_wsgi_application()
