"""Turn the sanitized HTML of a post or an issue into the plain text of an email.

Mail clients that show the text part, and people who read mail in a terminal, get paragraphs
wrapped under 78 characters (RFC 5322's recommendation), lists and quotations laid out as text, and
links as numbered references listed at the end, as mutt and lynx users expect.
"""

import textwrap
from dataclasses import dataclass, field
from html.parser import HTMLParser

WIDTH = 76
BLOCKS = {
    "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "li", "ol", "p", "picture", "pre", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
VOID = {"br", "hr", "img", "source"}
UNDERLINES = {"h1": "=", "h2": "-"}
# A hard line break (<br>) while a block's text is gathered, where the source's own newlines are
# mere spaces: a private-use character, which no sanitized text holds.
BREAK = "\ue000"


@dataclass
class _Node:
    tag: str
    attrs: dict = field(default_factory=dict)
    children: list = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


class _Renderer:
    def __init__(self, width: int, base_url: str):
        self.width = width
        self.base_url = base_url
        self.links: list[str] = []

    def blocks(self, node: _Node, width: int) -> list[str]:
        """Return the text blocks (paragraphs, list items…) of `node`'s children."""
        blocks, inline = [], []

        def flush():
            lines = "".join(inline).split(BREAK)
            text = "\n".join(" ".join(line.split()) for line in lines).strip()
            if text:
                blocks.append(self.wrap(text, width))
            inline.clear()

        for child in node.children:
            if isinstance(child, str) or child.tag not in BLOCKS:
                inline.append(self.inline(child))
                continue
            flush()
            blocks.extend(self.block(child, width))
        flush()
        return blocks

    def block(self, node: _Node, width: int) -> list[str]:
        tag = node.tag
        if tag == "hr":
            return ["* * *"]
        if tag == "pre":
            return [self.raw(node).strip("\n")]
        if tag in ("ul", "ol"):
            items = [child for child in node.children if isinstance(child, _Node)]
            lines = []
            for number, item in enumerate(items, start=1):
                marker = f"{number}. " if tag == "ol" else "- "
                text = "\n\n".join(self.blocks(item, width - len(marker)))
                lines.append(self.indent(text, marker, " " * len(marker)))
            return ["\n".join(lines)]
        if tag == "blockquote":
            text = "\n\n".join(self.blocks(node, width - 2))
            return [self.indent(text, "> ", "> ")]
        if tag in UNDERLINES:
            title = " ".join(self.inline(node).split())
            return [f"{title}\n{UNDERLINES[tag] * min(len(title), width)}"]
        if tag == "tr":
            cells = [
                " ".join(self.inline(cell).split())
                for cell in node.children
                if isinstance(cell, _Node)
            ]
            return [self.wrap(" | ".join(cells), width)]
        return self.blocks(node, width)

    def inline(self, node) -> str:
        if isinstance(node, str):
            return node
        if node.tag == "br":
            return BREAK
        if node.tag == "img":
            alt = node.attrs.get("alt") or ""
            return f"[{alt}]" if alt else ""
        text = "".join(self.inline(child) for child in node.children)
        href = node.attrs.get("href") if node.tag == "a" else None
        if not href or href.startswith("#") or href == text.strip():
            return text
        if href.startswith("/") and not href.startswith("//"):
            href = self.base_url + href
        self.links.append(href)
        return f"{text} [{len(self.links)}]"

    def raw(self, node) -> str:
        if isinstance(node, str):
            return node
        return "".join(self.raw(child) for child in node.children)

    def wrap(self, text: str, width: int) -> str:
        # Hard breaks (<br>) stay; URLs and long words are never cut.
        lines = (
            textwrap.fill(
                " ".join(line.split()), width, break_long_words=False, break_on_hyphens=False
            )
            for line in text.split("\n")
        )
        return "\n".join(lines)

    @staticmethod
    def indent(text: str, first: str, rest: str) -> str:
        lines = text.split("\n")
        return "\n".join(
            [first + lines[0]] + [(rest + line) if line else rest.rstrip() for line in lines[1:]]
        )


def html_to_text(html: str, *, base_url: str = "", width: int = WIDTH) -> str:
    """Return sanitized HTML as plain text: wrapped at `width`, links as numbered references
    (addresses starting with "/" prefixed with `base_url`)."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    renderer = _Renderer(width, base_url)
    text = "\n\n".join(renderer.blocks(builder.root, width))
    if renderer.links:
        references = "\n".join(f"[{n}] {url}" for n, url in enumerate(renderer.links, start=1))
        text += "\n\n" + references
    return text
