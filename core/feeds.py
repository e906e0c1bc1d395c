"""RSS and Atom writers that leave out the characters XML 1.0 forbids, whatever the database holds."""

from django.utils import feedgenerator

from core.text import xml_safe_values


class XmlSafeFeedMixin:
    """Clean the feed's text and each entry's as they are added, before Django writes any XML.

    Markdown is cleaned as it is rendered (core/markdown.py), but titles, names and tags are
    stored as typed, and rows older than that cleaning exist: one of them must not take the feed
    down (Django refuses control characters with an exception) or make it unreadable (U+FFFF).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.feed = xml_safe_values(self.feed)

    def add_item(self, *args, **kwargs):
        super().add_item(*args, **kwargs)
        self.items[-1] = xml_safe_values(self.items[-1])


class Rss201rev2Feed(XmlSafeFeedMixin, feedgenerator.Rss201rev2Feed):
    pass


class Atom1Feed(XmlSafeFeedMixin, feedgenerator.Atom1Feed):
    pass
