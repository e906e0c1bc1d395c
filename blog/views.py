import datetime

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from blog.models import Page, Post, Tag
from blog.pagination import OneQueryPaginator

POSTS_PER_PAGE = 10


def _paginated(request, posts, paginator_class=Paginator):
    return paginator_class(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))


def home(request):
    page = _paginated(request, Post.objects.for_listing())
    return render(request, "blog/home.html", {"page": page})


def tag(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = _paginated(request, Post.objects.for_listing().filter(tags=tag))
    return render(request, "blog/tag.html", {"tag": tag, "page": page})


def archives(request):
    context = {
        "months": Post.objects.published().months_with_counts(),
        "tags": Tag.objects.in_use(),
    }
    return render(request, "blog/archives.html", context)


def archive_year(request, year):
    _first_day(year, 1)
    page = _paginated(request, Post.objects.for_listing().filter(published_at__year=year))
    return render(request, "blog/archive.html", {"year": year, "page": page})


def archive_month(request, year, month):
    first_day = _first_day(year, month)
    posts = Post.objects.for_listing().filter(published_at__year=year, published_at__month=month)
    context = {"year": year, "month": first_day, "page": _paginated(request, posts)}
    return render(request, "blog/archive.html", context)


def _first_day(year, month):
    """Return the month's first day; 404 for a month no calendar has (0, 13, year 10000, 2**31)."""
    try:
        return datetime.date(year, month, 1)
    except (ValueError, OverflowError):
        raise Http404 from None


def search(request):
    # PostgreSQL refuses NUL characters in text: typed by nobody, sent by fuzzers and robots.
    terms = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    posts = Post.objects.for_listing().search(terms) if terms else Post.objects.none()
    return render(
        request,
        "blog/search.html",
        # Counting the matches rechecks each one's search document, as ranking them does: one
        # query for both halves PostgreSQL's work (docs/BENCHMARKS.md).
        {"search_terms": terms, "page": _paginated(request, posts, OneQueryPaginator)},
    )


def post_detail(request, slug):
    """Serve the post at `/<slug>/`, else the page: posts and pages share these addresses."""
    post = Post.objects.for_detail().filter(slug=slug).first()
    if post is not None:
        return render_post(request, post)
    page = get_object_or_404(Page.objects.published(), slug=slug)
    return render(request, "blog/page_detail.html", {"page": page})


@staff_member_required
@permission_required("blog.view_post", raise_exception=True)
def preview(request, pk):
    """Show any post, draft or scheduled, as readers will see it."""
    post = get_object_or_404(Post.objects.select_related("author", "cover").with_tags(), pk=pk)
    return render_post(request, post, is_preview=True)


@staff_member_required
@permission_required("blog.view_page", raise_exception=True)
def page_preview(request, pk):
    """Show any page, draft or published, as readers will see it."""
    page = get_object_or_404(Page, pk=pk)
    return render(request, "blog/page_detail.html", {"page": page, "is_preview": True})


def render_post(request, post, *, is_preview=False, context=None, status=200):
    """Render a post page; apps that hang off the blog pass their own `context` (the comments app,
    a refused comment form to show with its errors)."""
    previous_post, next_post = Post.objects.published().neighbours(post)
    context = {
        "post": post,
        "previous_post": previous_post,
        "next_post": next_post,
        "is_preview": is_preview,
        **(context or {}),
    }
    return render(request, "blog/post_detail.html", context, status=status)
