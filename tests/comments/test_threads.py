from datetime import UTC, datetime

import pytest

from comments.models import Comment
from comments.threads import arrange
from tests.comments.factories import CommentFactory


def comment(pk, parent=None, status=Comment.Status.APPROVED):
    return Comment(pk=pk, parent_id=parent, status=status)


def layout(comments, max_depth=3):
    return [
        (c.pk, c.level, c.opens_list, len(c.closes_lists), c.can_reply)
        for c in arrange(comments, max_depth=max_depth)
    ]


def test_replies_follow_their_parent_and_lists_open_and_close_in_balance():
    comments = [comment(1), comment(2), comment(3, parent=1), comment(4, parent=3), comment(5, 1)]

    assert layout(comments) == [
        (1, 1, True, 0, True),
        (3, 2, True, 0, True),
        (4, 3, True, 1, False),
        (5, 2, False, 1, True),
        (2, 1, False, 1, True),
    ]


def test_every_opened_list_is_closed():
    comments = [comment(1), comment(2, 1), comment(3, 2), comment(4, 3), comment(5, 4)]

    arranged = arrange(comments, max_depth=3)

    assert sum(c.opens_list for c in arranged) == sum(len(c.closes_lists) for c in arranged)


def test_replies_deeper_than_the_limit_sit_beside_their_parent():
    comments = [comment(1), comment(2, 1), comment(3, 2), comment(4, 3)]

    assert [(pk, level) for pk, level, *_ in layout(comments, max_depth=2)] == [
        (1, 1),
        (2, 2),
        (3, 2),
        (4, 2),
    ]


def test_a_reply_whose_parent_is_not_shown_starts_its_own_thread():
    assert layout([comment(5, parent=99)]) == [(5, 1, True, 1, True)]


def test_nobody_replies_to_a_pending_comment():
    [(_, _, _, _, can_reply)] = layout([comment(1, status=Comment.Status.PENDING)])

    assert not can_reply


def test_no_comments_no_lists():
    assert arrange([], max_depth=3) == []


@pytest.mark.parametrize("max_depth", [1, 2, 3, 5])
def test_thousands_of_comments_arrange_in_one_pass(max_depth):
    comments = [comment(1)] + [comment(pk, parent=pk - 1) for pk in range(2, 3000)]

    arranged = arrange(comments, max_depth=max_depth)

    assert len(arranged) == 2999
    assert max(c.level for c in arranged) == max_depth


@pytest.mark.django_db
def test_a_thread_dates_each_comment_on_its_own_side_of_the_autumn_clock_change(client, settings):
    settings.TIME_ZONE = "Europe/Paris"
    # The clock goes back from 03:00 to 02:00 on 2026-10-25: both comments were written at 02:30.
    first = CommentFactory(body="Avant le changement d’heure")
    reply = CommentFactory(parent=first, body="Après le changement d’heure")
    Comment.objects.filter(pk=first.pk).update(created_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    Comment.objects.filter(pk=reply.pk).update(created_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC))

    page = client.get(first.post.get_absolute_url()).content.decode()

    before = page.index(
        f'href="#comment-{first.pk}"><time datetime="2026-10-25T02:30:00+02:00">'
        "25 octobre 2026 02:30</time>"
    )
    after = page.index(
        f'href="#comment-{reply.pk}"><time datetime="2026-10-25T02:30:00+01:00">'
        "25 octobre 2026 02:30</time>"
    )
    assert before < after
