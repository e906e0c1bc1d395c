from django.template import Context, Template

from core.markdown import plain_text, render_post_markdown, summary_of

BODY = "Le Markdown est nettoyé : aucune balise `<script>` ne peut passer, ni `a & b`."


def test_the_summary_is_plain_text_with_entities_decoded_once():
    summary = summary_of(render_post_markdown(BODY))

    assert summary == "Le Markdown est nettoyé : aucune balise <script> ne peut passer, ni a & b."


def test_a_summary_shown_by_a_template_is_escaped_once():
    summary = summary_of(render_post_markdown(BODY))

    shown = Template("<p>{{ summary }}</p>").render(Context({"summary": summary}))

    assert "aucune balise &lt;script&gt; ne peut" in shown
    assert "&amp;lt;" not in shown
    assert "a &amp; b" in shown


def test_plain_text_decodes_an_escaped_ampersand_only_once():
    assert plain_text("<p>&amp;lt;b&amp;gt; is how one writes &lt;b&gt;</p>") == (
        "&lt;b&gt; is how one writes <b>"
    )
