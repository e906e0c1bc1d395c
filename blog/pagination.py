"""A paginator that reads a page's posts and the number of posts in one query."""

from django.core.paginator import Paginator
from django.db.models import Count, Window

TOTAL = "paginator_total"
# Beyond it (robots ask for page 10^20) Django's paginator counts first and clamps the number:
# an OFFSET that large would overflow PostgreSQL's bigint.
LARGEST_PAGE_READ_DIRECTLY = 100_000


class OneQueryPaginator(Paginator):
    """`Paginator` for querysets whose page reads the total with its rows (COUNT(*) OVER ()).

    Django's paginator counts in a query of its own before it reads the page. For a search, that
    count rechecks every match's search document, as ranking them does, so it cost PostgreSQL as
    much as the page itself (docs/BENCHMARKS.md). Elsewhere a separate count is cheaper: an
    index-only count, then a LIMIT that stops early, where a window must read every row. Only
    when the page asked for is empty (past the end, or no posts at all) does this one fall back
    to Django's way, to find the last page.
    """

    def get_page(self, number):
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        if 1 <= wanted <= LARGEST_PAGE_READ_DIRECTLY:
            bottom = (wanted - 1) * self.per_page
            counted = self.object_list.annotate(**{TOTAL: Window(Count("pk"))})
            rows = list(counted[bottom : bottom + self.per_page])
            if rows:
                # The count Django would otherwise query for (a cached_property).
                self.__dict__["count"] = getattr(rows[0], TOTAL)
                return self._get_page(rows, wanted, self)
        return super().get_page(number)
