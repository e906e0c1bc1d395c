"""Writes on subscribers: subscribing, confirming, leaving, their data, imports and one-off emails."""

import hashlib
import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import mail
from newsletter import emails, tasks
from newsletter.importing import ImportResult, ImportRow
from newsletter.models import Delivery, Subscriber, SubscriberEvent, new_key, normalize_email

logger = logging.getLogger(__name__)

Event = SubscriberEvent


@transaction.atomic
def subscriber_subscribe(
    *,
    email: str,
    language: str,
    source: str,
    consent_text: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> Subscriber:
    """Record a subscribe request and send the confirmation email when one is due.

    Whatever the address's state the caller answers the same way: nobody learns who subscribes.
    A confirmed address stays as it is, a suppressed one receives nothing, an address that left
    starts over with a new confirmation.
    """
    now = timezone.now()
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        email=normalize_email(email), defaults={"language": language}
    )
    state_before = "new" if created else subscriber.status
    confirmation_due = False
    if created or subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        subscriber.status = Subscriber.Status.PENDING
        subscriber.language = language
        subscriber.confirmation_key = new_key()
        confirmation_due = True
    elif subscriber.status == Subscriber.Status.PENDING:
        subscriber.language = language
        last_sent = subscriber.confirmation_sent_at
        # One already on its way is not sent twice; a lost one is sent again, but not in a loop.
        resend_after = timedelta(seconds=settings.NEWSLETTER_CONFIRMATION_RESEND_INTERVAL)
        confirmation_due = last_sent is not None and now - last_sent >= resend_after
    if confirmation_due:
        subscriber.confirmation_requested_at = now
    subscriber.save()
    Event.objects.create(
        subscriber=subscriber,
        kind=Event.Kind.SUBSCRIBE,
        source=source,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        consent_text=consent_text,
        detail={"language": language, "state_before": state_before},
    )
    if confirmation_due:
        tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return subscriber


@transaction.atomic
def subscriber_confirm(
    *, confirmation_key: str, ip_address: str | None = None, user_agent: str = ""
) -> Subscriber | None:
    """Confirm the subscription a confirmation link belongs to; None when that link is spent."""
    subscriber = (
        Subscriber.objects.select_for_update().filter(confirmation_key=confirmation_key).first()
    )
    if subscriber is None or subscriber.status in (
        Subscriber.Status.UNSUBSCRIBED,
        Subscriber.Status.SUPPRESSED,
    ):
        return None
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
        Event.objects.create(
            subscriber=subscriber,
            kind=Event.Kind.CONFIRM,
            source=Event.Source.EMAIL,
            ip_address=ip_address,
            user_agent=user_agent[:300],
        )
    return subscriber


def subscriber_unsubscribe(
    *,
    subscriber: Subscriber,
    source: str,
    ip_address: str | None = None,
    user_agent: str = "",
    detail: dict | None = None,
    external_id: str = "",
) -> bool:
    """Stop every later send to `subscriber` at once; return whether they were still on the list."""
    with transaction.atomic():
        changed = Subscriber.objects.filter(
            pk=subscriber.pk,
            status__in=[Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED],
        ).update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
        if changed:
            _record_once(
                subscriber=subscriber,
                kind=Event.Kind.UNSUBSCRIBE,
                source=source,
                ip_address=ip_address,
                user_agent=user_agent[:300],
                detail=detail or {},
                external_id=external_id,
            )
    return bool(changed)


def subscriber_suppress(
    *, subscriber: Subscriber, kind: str, source: str, detail: dict, external_id: str = ""
) -> bool:
    """Never mail `subscriber` again after a bounce or complaint; record it once per provider event."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).exclude(
            status=Subscriber.Status.SUPPRESSED
        ).update(status=Subscriber.Status.SUPPRESSED, unsubscribed_at=timezone.now())
        return _record_once(
            subscriber=subscriber, kind=kind, source=source, detail=detail, external_id=external_id
        )


def _record_once(*, external_id: str = "", **fields) -> bool:
    """Add a ledger event; an event a provider already reported (same id) is not added again."""
    if external_id and Event.objects.filter(external_id=external_id).exists():
        return False
    try:
        with transaction.atomic():
            Event.objects.create(external_id=external_id, **fields)
    except IntegrityError:  # the same webhook delivered twice at the same moment
        return False
    return True


def provider_event_record(
    *, email: str, event_type: str, provider: str, event_id: str, detail: dict
) -> bool:
    """Apply a mail provider's bounce, complaint or unsubscribe report; a repeated report does nothing."""
    subscriber = Subscriber.objects.filter(email=normalize_email(email)).first()
    if subscriber is None:
        return False
    # Providers without event ids are told apart by what they report, so a retry still matches.
    fingerprint = (
        event_id
        or hashlib.sha256(
            json.dumps(
                [email, event_type, detail.get("message_id"), detail.get("timestamp")]
            ).encode()
        ).hexdigest()
    )
    external_id = f"{provider}:{fingerprint}"[:200]
    if event_type == "unsubscribed":
        return subscriber_unsubscribe(
            subscriber=subscriber,
            source=Event.Source.WEBHOOK,
            detail=detail,
            external_id=external_id,
        )
    kind = Event.Kind.COMPLAINT if event_type == "complained" else Event.Kind.BOUNCE
    return subscriber_suppress(
        subscriber=subscriber,
        kind=kind,
        source=Event.Source.WEBHOOK,
        detail=detail,
        external_id=external_id,
    )


def subscriber_set_language(*, subscriber: Subscriber, language: str) -> None:
    """Change the language a subscriber's emails are written in."""
    Subscriber.objects.filter(pk=subscriber.pk).update(language=language)
    subscriber.language = language


@transaction.atomic
def subscriber_erase(*, subscriber: Subscriber, source: str) -> None:
    """Remove the address and its history; only an anonymous erasure event remains (GDPR)."""
    subscriber.events.all().delete()
    subscriber.delete()
    Event.objects.create(kind=Event.Kind.ERASE, source=source)


def subscriber_data_link_request(*, subscriber: Subscriber) -> bool:
    """Email a subscriber a short-lived link to download or erase their data; False if none is due.

    The preferences link in every issue never expires and may be forwarded, so it does not open
    the data itself: only a fresh link, sent to the address, does.
    """
    if subscriber.status == Subscriber.Status.SUPPRESSED:
        return False  # it bounced or complained: mailing it again would hurt the sender
    tasks.send_data_link.delay_on_commit(subscriber.pk)
    return True


def data_link_send(*, subscriber_id: int) -> bool:
    """Send the data-access link a subscriber asked for; return whether it went out."""
    subscriber = (
        Subscriber.objects.exclude(status=Subscriber.Status.SUPPRESSED)
        .filter(pk=subscriber_id)
        .first()
    )
    if subscriber is None:
        return False
    return _send_to_subscriber(
        subscriber, emails.data_link_message(subscriber), email_kind="data_link"
    )


def _send_to_subscriber(subscriber: Subscriber, message, *, email_kind: str) -> bool:
    """Send one email; a refused address is suppressed. Return whether the server accepted it."""
    try:
        mail.send_one(message)
    except mail.PermanentError as error:
        logger.warning(
            "Email %s to subscriber %s refused: %s", email_kind, subscriber.pk, error.reason
        )
        if error.bad_address:
            subscriber_suppress(
                subscriber=subscriber,
                kind=Event.Kind.BOUNCE,
                source=Event.Source.SENDING,
                detail={"reason": error.reason, "email": email_kind},
            )
        return False
    return True


def subscriber_personal_data(*, subscriber: Subscriber) -> dict:
    """Return everything the site holds about a subscriber, for them to download."""
    return {
        "email": subscriber.email,
        "language": subscriber.language,
        "status": subscriber.status,
        "signed_up": _iso(subscriber.created_at),
        "confirmed": _iso(subscriber.confirmed_at),
        "left": _iso(subscriber.unsubscribed_at),
        "consent_ledger": [
            {
                "date": _iso(event.created_at),
                "event": event.kind,
                "source": event.source,
                "ip_address": event.ip_address,
                "user_agent": event.user_agent,
                "consent_notice": event.consent_text,
                "detail": event.detail,
            }
            for event in subscriber.events.order_by("created_at", "id")
        ],
        "emails_received": [
            {"issue": subject, "sent": _iso(sent_at)}
            for subject, sent_at in subscriber.deliveries.filter(
                status=Delivery.Status.SENT
            ).values_list("issue__subject", "sent_at")
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@transaction.atomic
def subscribers_import(*, rows: list[ImportRow], imported_by: str) -> ImportResult:
    """Add validated rows: with recorded consent they are subscribed, without it they must confirm.

    Addresses already known are left alone, so an import never overrides someone's leaving.
    """
    result = ImportResult()
    known = set(
        Subscriber.objects.filter(email__in=[row.email for row in rows]).values_list(
            "email", flat=True
        )
    )
    now = timezone.now()
    for row in rows:
        if row.no_longer_subscribed:
            result.left.append(row.email)
            continue
        if row.email in known:
            result.already_known.append(row.email)
            continue
        consented = bool(row.consent_source and row.consent_date)
        subscriber = Subscriber.objects.create(
            email=row.email,
            language=row.language,
            status=Subscriber.Status.CONFIRMED if consented else Subscriber.Status.PENDING,
            confirmed_at=now if consented else None,
            confirmation_requested_at=None if consented else now,
        )
        Event.objects.create(
            subscriber=subscriber,
            kind=Event.Kind.IMPORT,
            source=Event.Source.IMPORT,
            detail={
                "line": row.line,
                "consent_source": row.consent_source,
                "consent_date": row.consent_date.isoformat() if row.consent_date else None,
                "imported_by": imported_by,
            },
        )
        if consented:
            result.confirmed += 1
        else:
            result.pending += 1
            tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return result


def confirmation_send(*, subscriber_id: int) -> bool:
    """Send the confirmation email a pending subscriber is waiting for; return whether it went out."""
    subscriber = Subscriber.objects.awaiting_confirmation_email().filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    # Two workers given the same request (a re-enqueue racing the first task) send it once.
    lock = f"newsletter:confirmation:{subscriber.pk}:{subscriber.confirmation_requested_at.timestamp()}"
    if not cache.add(lock, 1, timeout=settings.NEWSLETTER_STUCK_TIMEOUT):
        return False
    try:
        _send_to_subscriber(
            subscriber, emails.confirmation_message(subscriber), email_kind="confirmation"
        )
    except mail.TransientError:
        cache.delete(lock)
        raise
    # Also when refused for good: asking the same server again would only be refused again.
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=timezone.now())
    return True


def confirmations_requeue() -> int:
    """Queue again the confirmation emails that were asked for but never went out."""
    waited = timezone.now() - timedelta(seconds=settings.NEWSLETTER_CONFIRMATION_REQUEUE_AFTER)
    ids = list(
        Subscriber.objects.awaiting_confirmation_email()
        .filter(confirmation_requested_at__lt=waited)
        .values_list("pk", flat=True)[:1000]
    )
    for subscriber_id in ids:
        tasks.send_confirmation.delay(subscriber_id)
    return len(ids)


def subscriber_import_record(
    *,
    email: str,
    status: str,
    platform: str,
    language: str = "",
    opted_in_at: datetime | None = None,
    opt_in_ip: str = "",
    confirmed_at: datetime | None = None,
    confirm_ip: str = "",
    left_at: datetime | None = None,
    left_reason: str = "",
    consent_wording: str = "",
) -> tuple[Subscriber | None, str]:
    """Bring one subscriber of another platform, with the consent they gave there, into the ledger.

    `status` is the old platform's: "subscribed" becomes confirmed, "pending" waits without being
    sent a confirmation, "unsubscribed" and "cleaned" are kept as having left and are never mailed.
    Nobody who left here is subscribed again, and a blank value never replaces a stored one.
    Return the subscriber, or None and the reason it was skipped.
    """
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        return None, "invalid address"
    leaving = {
        "unsubscribed": Subscriber.Status.UNSUBSCRIBED,
        "cleaned": Subscriber.Status.SUPPRESSED,
    }
    wanted = {
        "subscribed": Subscriber.Status.CONFIRMED,
        "pending": Subscriber.Status.PENDING,
        **leaving,
    }.get(status)
    if wanted is None:
        return None, f"unknown status {status!r}"
    now = timezone.now()
    subscriber = Subscriber.objects.filter(email=email).first()
    if subscriber is None:
        subscriber = Subscriber.objects.create(
            email=email,
            language=language or settings.LANGUAGE_CODE,
            status=wanted,
            confirmed_at=confirmed_at
            or (opted_in_at if wanted == Subscriber.Status.CONFIRMED else None),
            unsubscribed_at=(left_at or now) if status in leaving else None,
            # No confirmation is asked for: the sweeper sends only requested ones.
            confirmation_requested_at=None,
        )
        if opted_in_at:
            Subscriber.objects.filter(pk=subscriber.pk).update(created_at=opted_in_at)
    else:
        changes = {}
        if (
            status in leaving
            and subscriber.status != wanted
            and subscriber.status != Subscriber.Status.SUPPRESSED
        ):
            changes = {
                "status": wanted,
                "unsubscribed_at": subscriber.unsubscribed_at or left_at or now,
            }
        elif (
            wanted == Subscriber.Status.CONFIRMED and subscriber.status == Subscriber.Status.PENDING
        ):
            changes = {"status": wanted, "confirmed_at": confirmed_at or opted_in_at or now}
        if confirmed_at and not subscriber.confirmed_at:
            changes.setdefault("confirmed_at", confirmed_at)
        if changes:
            Subscriber.objects.filter(pk=subscriber.pk).update(**changes)
            for name, value in changes.items():
                setattr(subscriber, name, value)
    provenance = {"platform": platform, "status": status}
    ledger = [
        (Event.Kind.SUBSCRIBE, opted_in_at, opt_in_ip, consent_wording),
        (Event.Kind.CONFIRM, confirmed_at, confirm_ip, ""),
    ]
    if status in leaving:
        kind = Event.Kind.UNSUBSCRIBE if status == "unsubscribed" else Event.Kind.BOUNCE
        ledger.append((kind, left_at, "", ""))
    for kind, moment, ip, wording in ledger:
        if moment is None and not ip and not wording:
            continue
        _import_event_keep(
            subscriber=subscriber,
            kind=kind,
            external_id=f"import:{platform}:{kind}:{email}"[:200],
            created_at=moment,
            ip_address=ip,
            consent_text=wording,
            detail={
                **provenance,
                **(
                    {"reason": left_reason}
                    if left_reason and kind != Event.Kind.SUBSCRIBE and kind != Event.Kind.CONFIRM
                    else {}
                ),
            },
        )
    _import_event_keep(
        subscriber=subscriber,
        kind=Event.Kind.IMPORT,
        external_id=f"import:{platform}:{email}"[:200],
        created_at=now,
        ip_address="",
        consent_text="",
        detail=provenance,
    )
    return subscriber, "imported"


def _import_event_keep(
    *, subscriber, kind, external_id, created_at, ip_address, consent_text, detail
) -> None:
    """Write an imported ledger event once; a later import only fills in what was blank."""
    event = Event.objects.filter(external_id=external_id).first()
    if event is None:
        Event.objects.create(
            subscriber=subscriber,
            kind=kind,
            source=Event.Source.IMPORT,
            created_at=created_at or timezone.now(),
            ip_address=ip_address or None,
            consent_text=consent_text,
            detail=detail,
            external_id=external_id,
        )
        return
    filled = {}
    if ip_address and not event.ip_address:
        filled["ip_address"] = ip_address
    if consent_text and not event.consent_text:
        filled["consent_text"] = consent_text
    if filled:
        Event.objects.filter(pk=event.pk).update(**filled)
