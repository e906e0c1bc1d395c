"""Production settings, with the static files collected into a folder of the test run."""

from config.settings.production import *  # noqa: F403
from config.settings.production import env

STATIC_ROOT = env.path("FAULTS_STATIC_ROOT")
