from core.markdown import render_post_markdown
from core.plaintext import html_to_text

BODY = """# Le potager d’hiver

Les radis poussent vite, même à l’automne, et c’est une bonne nouvelle pour ceux qui jardinent sur
un balcon exposé au nord. Voir [le jardin partagé](https://example.org/jardin) et
[le tag](/tag/jardin/).

## Ce qu’il faut

- un bac profond de 15 cm, percé au fond pour que l’eau s’écoule bien quand il pleut beaucoup ;
- des graines.

> Une citation assez longue pour être coupée en deux lignes au moins, on l’espère vraiment beaucoup.

```
code   garde   ses espaces
```
"""


def text():
    return html_to_text(render_post_markdown(BODY), base_url="https://blog.example.org")


def test_paragraphs_lists_and_quotes_are_wrapped_under_78_characters():
    lines = text().splitlines()
    assert max(len(line) for line in lines) <= 76
    assert "- un bac profond de 15 cm, percé au fond pour que l’eau s’écoule bien quand" in lines
    assert "  il pleut beaucoup ;" in lines
    assert "> Une citation assez longue pour être coupée en deux lignes au moins, on" in lines
    assert "> l’espère vraiment beaucoup." in lines


def test_links_become_numbered_references_with_absolute_addresses():
    result = text()
    assert "Voir le jardin partagé [1] et le tag [2]." in " ".join(result.split())
    assert result.endswith(
        "[1] https://example.org/jardin\n[2] https://blog.example.org/tag/jardin/"
    )


def test_headings_are_underlined_and_code_keeps_its_spaces():
    result = text()
    assert "Le potager d’hiver\n==================" in result
    assert "Ce qu’il faut\n-------------" in result
    assert "code   garde   ses espaces" in result
    assert "<" not in result


def test_hard_line_breaks_and_a_link_that_is_its_own_text_stay_as_they_are():
    html = '<p>Ligne un<br>\nligne deux <a href="https://a.example">https://a.example</a></p>'
    result = html_to_text(html)
    assert result == "Ligne un\nligne deux https://a.example"
