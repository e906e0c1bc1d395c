"""What the newsletter listens to: the blog's posts going live, and mail providers' tracking events."""

from anymail.signals import EventType, RejectReason

from newsletter.services.issues import post_announce
from newsletter.services.subscribers import provider_event_record

# A provider's "rejected" event suppresses the address only when the reason is about the address.
REJECTIONS = {
    RejectReason.BOUNCED: EventType.BOUNCED,
    RejectReason.INVALID: EventType.BOUNCED,
    RejectReason.SPAM: EventType.COMPLAINED,
    RejectReason.UNSUBSCRIBED: EventType.UNSUBSCRIBED,
}


def on_tracking_event(sender, event, esp_name, **kwargs):
    """Suppress or unsubscribe the recipient of a bounced, complained or unsubscribed message."""
    event_type = event.event_type
    if event_type == EventType.REJECTED:
        event_type = REJECTIONS.get(event.reject_reason)
    if event_type not in (EventType.BOUNCED, EventType.COMPLAINED, EventType.UNSUBSCRIBED):
        return
    if not event.recipient:
        return
    provider_event_record(
        email=event.recipient,
        event_type=event_type,
        provider=esp_name,
        event_id=event.event_id or "",
        detail={
            "provider": esp_name,
            "event": event.event_type,
            "reject_reason": event.reject_reason,
            "description": event.description,
            "mta_response": event.mta_response,
            "message_id": str(event.message_id) if event.message_id else None,
            "timestamp": event.timestamp.isoformat() if event.timestamp else None,
        },
    )


def on_post_went_live(sender, post, **kwargs):
    """Announce to subscribers a post marked "email to subscribers" that just went live."""
    post_announce(post=post)
