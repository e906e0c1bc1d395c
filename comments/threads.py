"""Lay comments out as nested threads in one pass, so a page renders any number in fixed queries."""

from collections import defaultdict
from collections.abc import Iterable

from comments.models import Comment


def arrange(comments: Iterable[Comment], *, max_depth: int) -> list[Comment]:
    """Return `comments` in reading order, each marked with its level and the lists it opens and closes.

    A reply whose parent is not shown (removed, or still pending) starts a thread of its own;
    replies deeper than `max_depth` are shown beside their parent. The marks let a template write
    nested lists with one loop: open a list when `opens_list`, close `closes_lists` lists after.
    """
    comments = list(comments)
    shown = {comment.pk for comment in comments}
    children = defaultdict(list)
    roots = []
    for comment in comments:
        if comment.parent_id in shown:
            children[comment.parent_id].append(comment)
        else:
            roots.append(comment)

    ordered = []
    stack = [(comment, 1) for comment in reversed(roots)]
    while stack:
        comment, level = stack.pop()
        comment.level = min(level, max_depth)
        comment.can_reply = comment.level < max_depth and comment.status == Comment.Status.APPROVED
        ordered.append(comment)
        stack.extend((child, level + 1) for child in reversed(children[comment.pk]))

    previous_level = 0
    for index, comment in enumerate(ordered):
        next_level = ordered[index + 1].level if index + 1 < len(ordered) else 0
        comment.opens_list = comment.level > previous_level
        comment.closes_lists = range(max(comment.level - next_level, 0))
        previous_level = comment.level
    return ordered
