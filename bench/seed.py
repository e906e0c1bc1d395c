"""Fill an empty database with the benchmark's site: many posts, tags and threaded comments."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from bench import BenchmarkError
from blog.models import Post, Tag
from comments.models import Comment
from comments.services import post_comment_counts_refresh
from core.markdown import render_user_markdown

# Addresses the benchmark reads.
NO_COMMENTS_SLUG = "banc-sans-commentaire"
FEW_COMMENTS_SLUG = "banc-50-commentaires"
MANY_COMMENTS_SLUG = "banc-500-commentaires"
BUSY_TAG_SLUG = "jardin"
SEARCH_TERMS = "jardin potager"

# A vocabulary shaped like real prose: frequent small words, then a long tail of rarer ones
# (the topical words a search looks for appear only in posts about that topic).
COMMON_WORDS = (
    "le la les de des du un une et en dans pour avec sur au aux est sont nous on il elle ce cette "
    "qui que pas plus très bien aussi comme mais ou son sa ses leur tout fait peu encore déjà "
    "puis alors ici là jamais toujours parfois"
).split()
CONTENT_WORDS = (
    "tomate saison pluie soleil matin soir cuisine recette pain farine four livre lecture page "
    "auteur voyage train gare ville village montagne rivière forêt chemin maison fenêtre porte "
    "table chaise lampe lumière ombre couleur bleu vert rouge jaune musique chanson piano guitare "
    "concert ami voisin famille enfant souvenir histoire lettre carnet plume encre papier café "
    "thé marché fromage pomme poire cerise fleur abeille miel vent neige hiver printemps été "
    "automne semaine journée heure minute projet idée travail"
).split()
SYLLABLES = "ba be bo bri ca ce co cha de di do fa fe fi ga gre la le li lo ma me mi mo na ne no pa pe po ra re ri ro sa se si so ta te ti to va ve vi vo".split()
TOPIC_WORDS = ("jardin", "potager")
TAG_NAMES = (
    "Jardin Cuisine Lecture Voyages Musique Photographie Vélo Randonnée Couture Bricolage "
    "Cinéma Théâtre Poésie Histoire Sciences Astronomie Oiseaux Arbres Montagne Mer "
    "Rivières Villes Villages Trains Cartes Carnets Lettres Écriture Dessin Peinture "
    "Céramique Bois Pain Fromages Vins Thé Café Marchés Saisons Hiver Printemps Été Automne "
    "Famille Amis Voisins Souvenirs Projets Outils Réparations"
).split()
POST_COUNT = 1000
AUTHOR_USERNAME = "banc-auteur"


def seed(*, posts: int = POST_COUNT) -> str:
    """Fill an empty database with the benchmark's site; return what it holds."""
    if posts < 10:
        raise BenchmarkError("The benchmark's site needs at least 10 posts.")
    if Post.objects.exists():
        raise BenchmarkError(
            "The benchmark's site fills an empty database only; this one has posts."
        )
    Seeder().fill(post_count=posts)
    return (
        f"Seeded {Post.objects.count()} posts, {Tag.objects.count()} tags, "
        f"{Comment.objects.count()} comments."
    )


class Seeder:
    """Write posts, tags and comments from one seeded random generator: the same site every run."""

    def __init__(self):
        self.random = random.Random(2024)
        invented = {
            "".join(self.random.choice(SYLLABLES) for _ in range(self.random.randint(2, 4)))
            for _ in range(3000)
        }
        self.vocabulary = CONTENT_WORDS + sorted(invented - set(CONTENT_WORDS))
        self.random.shuffle(self.vocabulary)

    def fill(self, *, post_count: int):
        with transaction.atomic():
            author = get_user_model().objects.create_user(
                username=AUTHOR_USERNAME,
                email="auteur@banc.invalid",
                first_name="Camille",
                last_name="Banc",
                is_staff=True,
            )
            tags = Tag.objects.bulk_create(Tag(name=name, slug=slugify(name)) for name in TAG_NAMES)
            posts = self.posts(author, count=post_count)
            self.tag(posts, tags)
            by_slug = {post.slug: post for post in posts}
            self.thread(by_slug[FEW_COMMENTS_SLUG], 50)
            self.thread(by_slug[MANY_COMMENTS_SLUG], 500)
            self.background_comments([post for post in posts if not post.slug.startswith("banc-")])
            # Written in bulk, past the comment services that keep each post's count.
            post_comment_counts_refresh()

    def word(self) -> str:
        if self.random.random() < 0.45:
            return self.random.choice(COMMON_WORDS)
        # Rank-skewed: a few words are everywhere, most are rare.
        return self.vocabulary[int(len(self.vocabulary) * self.random.random() ** 3)]

    def text(self, words: int) -> str:
        return " ".join(self.word() for _ in range(words)).capitalize() + "."

    def body(self, *, topical: bool) -> str:
        paragraphs = [self.text(self.random.randint(60, 110)) for _ in range(4)]
        if topical:
            paragraphs = [f"{text} Au {' et au '.join(TOPIC_WORDS)}." for text in paragraphs]
        return (
            f"{paragraphs[0]}\n\n## {self.text(4)}\n\n{paragraphs[1]}\n\n"
            f"- {self.text(6)}\n- {self.text(8)}\n- *{self.text(5)}*\n\n"
            f"{paragraphs[2]} [Un lien](https://example.org/{self.random.randint(1, 999)}).\n\n"
            f"> {self.text(20)}\n\n{paragraphs[3]}"
        )

    def posts(self, author, *, count: int) -> list[Post]:
        now = timezone.now()
        slugs = [NO_COMMENTS_SLUG, FEW_COMMENTS_SLUG, MANY_COMMENTS_SLUG]
        slugs += [f"billet-{number}" for number in range(count - len(slugs))]
        posts = []
        for number, slug in enumerate(slugs):
            post = Post(
                title=self.text(self.random.randint(3, 8)).rstrip("."),
                slug=slug,
                author=author,
                body=self.body(topical=number % 10 == 0),
                status=Post.Status.PUBLISHED,
                published_at=now - timedelta(hours=number * 40 + 1),
                language="fr",
            )
            # One by one: save() derives the rendered HTML, excerpt and word count as an editor's
            # save would; the Markdown rendering costs more than the INSERT anyway.
            post.save()
            posts.append(post)
        return posts

    def tag(self, posts, tags):
        busy = next(tag for tag in tags if tag.slug == BUSY_TAG_SLUG)
        links = []
        for post in posts:
            chosen = set(self.random.sample(tags, self.random.randint(1, 3)))
            if TOPIC_WORDS[0] in post.body:
                chosen.add(busy)
            links += [Post.tags.through(post=post, tag=tag) for tag in chosen]
        Post.tags.through.objects.bulk_create(links)

    def comment(self, post, parent=None) -> Comment:
        body = self.text(self.random.randint(25, 80))
        if self.random.random() < 0.2:
            body += " Voir [ce lien](https://example.org/avis)."
        name = " ".join(self.random.choice(CONTENT_WORDS).capitalize() for _ in range(2))
        return Comment(
            post=post,
            parent=parent,
            # The fields Comment.save() derives.
            depth=parent.depth + 1 if parent else 1,
            body_html=render_user_markdown(body),
            author_name=name,
            author_email=f"{name.split()[0].lower()}@lecteurs.invalid",
            body=body,
            status=Comment.Status.APPROVED,
            verdict=Comment.Verdict.HAM,
        )

    def thread(self, post, count: int):
        """Give `post` `count` approved comments: 40 % first level, 40 % replies, 20 % deeper."""
        top = Comment.objects.bulk_create(self.comment(post) for _ in range(count * 2 // 5))
        replies = Comment.objects.bulk_create(
            self.comment(post, self.random.choice(top)) for _ in range(count * 2 // 5)
        )
        Comment.objects.bulk_create(
            self.comment(post, self.random.choice(replies))
            for _ in range(count - len(top) - len(replies))
        )

    def background_comments(self, posts):
        """Give the other posts comments for list pages to count: one per post, at random."""
        Comment.objects.bulk_create(self.comment(self.random.choice(posts)) for _ in posts)
