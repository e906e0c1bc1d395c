"""XML-safe text: whatever a writer pastes or a reader types, a feed can hold it."""

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.markdown import render_post_markdown, render_user_markdown
from core.text import xml_safe, xml_safe_values

FORBIDDEN = [
    *(chr(code) for code in range(0x00, 0x09)),
    "\x0e",
    "\x1f",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
]


def parsed_text(text: str) -> str:
    """Return `text` as an XML parser reads it back from an element."""
    document = f"<p>{escape(text)}</p>".encode("utf-8", "surrogatepass")
    return ET.fromstring(document).text or ""  # noqa: S314 -- text built by the test


@pytest.mark.parametrize("character", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_characters_xml_forbids_are_left_out(character):
    assert xml_safe(f"Nice post{character} thanks.") == "Nice post thanks."


def test_word_processors_line_and_page_breaks_become_spaces():
    # Word writes Shift+Enter as U+000B: the words on either side must not run together.
    assert xml_safe("Première ligne\x0bseconde\x0cpage") == "Première ligne seconde page"


@pytest.mark.parametrize(
    "text",
    [
        "tab\tline\ncarriage\r",
        "delete \x7f and C1 \x80\x85\x9f, which XML 1.0 allows",
        "ligature ﬁ, noncharacter \ufdd0, RTL \u202e, fox 🦊, plane 1 end \U0001fffd",
    ],
)
def test_characters_xml_allows_stay(text):
    assert xml_safe(text) == text


# Any character, lone surrogates included, with the troublesome ones drawn often.
CHARACTERS = st.one_of(
    st.sampled_from([*FORBIDDEN, "\x0b", "\x0c", "\r", "&", "<"]),
    st.characters(exclude_categories=[]),
    st.characters(categories=["Cs", "Cc", "Cn"]),
)


@given(st.text(CHARACTERS))
def test_any_text_made_safe_is_read_back_whole_by_an_xml_parser(text):
    safe = xml_safe(text)

    assert parsed_text(safe) == safe.replace("\r\n", "\n").replace("\r", "\n")


def test_values_are_cleaned_inside_lists_and_dictionaries():
    item = {"title": "a\x01b", "categories": ("c\uffff", "d"), "pubdate": None, "count": 3}

    assert xml_safe_values(item) == {
        "title": "ab",
        "categories": ("c", "d"),
        "pubdate": None,
        "count": 3,
    }


@pytest.mark.parametrize("reference", ["&#1;", "&#11;", "&#x1F;", "&#65535;", "&#xFFFE;"])
@pytest.mark.parametrize("render", [render_user_markdown, render_post_markdown])
def test_references_the_sanitizer_decodes_are_left_out_of_the_html(render, reference):
    # Markdown leaves `&#1;` alone; nh3 decodes it into the raw character.
    html = render(f"Nice post{reference} thanks.")

    assert xml_safe(html) == html
    assert "Nice post" in html and "thanks." in html
