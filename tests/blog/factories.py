"""Factories for blog tests; other apps' tests import them too, so their names stay stable."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from blog.models import MediaItem, Page, Post, Tag

DEFAULT_PASSWORD = "motdepasse-de-test"


class UserFactory(factory.django.DjangoModelFactory):
    """A reader's account; log in with `DEFAULT_PASSWORD`."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password(DEFAULT_PASSWORD)


class EditorFactory(UserFactory):
    """A staff account in the Editors group (created by migrate), not a superuser."""

    username = factory.Sequence(lambda n: f"editor{n}")
    is_staff = True

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def editors_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name="Editors"))


class SuperuserFactory(UserFactory):
    """The site owner: every permission."""

    username = factory.Sequence(lambda n: f"owner{n}")
    is_staff = True
    is_superuser = True


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Sujet {n}")
    slug = factory.Sequence(lambda n: f"sujet-{n}")
    description = ""


class PostFactory(factory.django.DjangoModelFactory):
    """A published post, live an hour ago; pass `tags=[...]` to tag it."""

    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Billet numéro {n}")
    slug = factory.Sequence(lambda n: f"billet-{n}")
    author = factory.SubFactory(EditorFactory)
    body = factory.LazyAttribute(
        lambda post: (
            f"Premier paragraphe de « {post.title} ».\n\n"
            "## Une section\n\n"
            "- un point\n- un autre point\n\n"
            "Un [lien](https://example.org/) pour finir."
        )
    )
    status = Post.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    language = "fr"

    class Params:
        draft = factory.Trait(status=Post.Status.DRAFT)
        scheduled = factory.Trait(
            published_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
        )

    @factory.post_generation
    def tags(post, create, extracted, **kwargs):
        if create and extracted:
            post.tags.set(extracted)


class MediaItemFactory(factory.django.DjangoModelFactory):
    """An image of the media library: a real 1200×800 JPEG, unless `file` names one with its size."""

    class Meta:
        model = MediaItem

    file = factory.django.ImageField(width=1200, height=800, format="JPEG", color="olive")
    alt_text = factory.Sequence(lambda n: f"Une photo numéro {n}")
    uploaded_by = factory.SubFactory(EditorFactory)


class PageFactory(factory.django.DjangoModelFactory):
    """A published page in the navigation."""

    class Meta:
        model = Page

    title = factory.Sequence(lambda n: f"Page numéro {n}")
    slug = factory.Sequence(lambda n: f"page-{n}")
    author = factory.SubFactory(EditorFactory)
    body = factory.LazyAttribute(lambda page: f"Le texte de « {page.title} ».")
    status = Page.Status.PUBLISHED
