import pytest
from django.core.management import CommandError, call_command

from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db


def test_demo_subscribers_are_added_once(settings):
    settings.DEBUG = True
    call_command("load_demo_newsletter")
    call_command("load_demo_newsletter")
    assert Subscriber.objects.confirmed().count() == 12
    assert all(s.events.get().kind == "import" for s in Subscriber.objects.all())


def test_it_refuses_to_run_on_a_production_site(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo_newsletter")
    assert not Subscriber.objects.exists()
