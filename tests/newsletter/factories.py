"""Factories for newsletter tests."""

import factory
from django.utils import timezone

from newsletter.models import Delivery, Issue, Subscriber


class SubscriberFactory(factory.django.DjangoModelFactory):
    """A confirmed subscriber reading French; `pending=True` or `unsubscribed=True` for others."""

    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"lectrice{n}@example.org")
    language = "fr"
    status = Subscriber.Status.CONFIRMED
    confirmed_at = factory.LazyFunction(timezone.now)

    class Params:
        pending = factory.Trait(
            status=Subscriber.Status.PENDING,
            confirmed_at=None,
            confirmation_requested_at=factory.LazyFunction(timezone.now),
        )
        unsubscribed = factory.Trait(
            status=Subscriber.Status.UNSUBSCRIBED,
            unsubscribed_at=factory.LazyFunction(timezone.now),
        )
        suppressed = factory.Trait(status=Subscriber.Status.SUPPRESSED)


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    subject = factory.Sequence(lambda n: f"Lettre numéro {n}")
    preheader = "Les nouvelles du mois"
    body = "Bonjour à toutes et à tous,\n\nVoici [le dernier billet](/billet/) et des nouvelles."


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    issue = factory.SubFactory(IssueFactory)
    subscriber = factory.SubFactory(SubscriberFactory)
