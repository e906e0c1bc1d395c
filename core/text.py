"""Keep text that XML 1.0 cannot hold out of the site's feeds, sitemaps and pages.

XML 1.0 allows tab, line feed and carriage return among the C0 controls, and neither the UTF-16
surrogates nor U+FFFE and U+FFFF. Text reaches the site with them: a vertical tab pasted from a
word processor (its line break), a reader's `&#1;` that the sanitizer decodes. Django's feed writer
refuses a control character with an exception, a whole feed lost for one post, and writes U+FFFF
into a document no feed reader parses. U+007F to U+009F stay: XML 1.0 allows them.
"""

import re

# Word processors' line and page breaks: a space, so that the words on either side stay apart.
_BREAKS = re.compile("[\x0b\x0c]")
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Return `text` without the characters XML 1.0 forbids."""
    return _FORBIDDEN.sub("", _BREAKS.sub(" ", text))


def xml_safe_values(value):
    """Return `value` with every string in it, in lists and dictionaries too, made `xml_safe`."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {key: xml_safe_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(xml_safe_values(item) for item in value)
    return value
