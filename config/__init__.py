"""Wiring: settings, URLs, the Celery app (`config.celery_app`), WSGI and ASGI.

Empty on purpose: each entry point (manage.py, config.wsgi, config.asgi, `celery -A
config.celery_app`) chooses its own default settings before anything imports them.
"""
