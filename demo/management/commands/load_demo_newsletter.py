"""Add a few demo subscribers so that a demo issue has somewhere to go; running it again adds nothing."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from newsletter.models import Subscriber, SubscriberEvent

DEMO_SUBSCRIBERS = 12


class Command(BaseCommand):
    help = "Add demo subscribers (reserved example.org addresses) to the newsletter (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("load_demo_newsletter runs only with DEBUG on (or --force).")
        added = 0
        with transaction.atomic():
            for n in range(1, DEMO_SUBSCRIBERS + 1):
                subscriber, created = Subscriber.objects.get_or_create(
                    email=f"lecteur{n}@example.org",
                    defaults={
                        "language": "en" if n % 3 == 0 else "fr",
                        "status": Subscriber.Status.CONFIRMED,
                        "confirmed_at": timezone.now(),
                    },
                )
                if created:
                    added += 1
                    SubscriberEvent.objects.create(
                        subscriber=subscriber,
                        kind=SubscriberEvent.Kind.IMPORT,
                        source=SubscriberEvent.Source.IMPORT,
                        detail={"consent_source": "demo data"},
                    )
        total = Subscriber.objects.confirmed().count()
        self.stdout.write(f"Newsletter: {added} demo subscribers added, {total} confirmed in all.")
