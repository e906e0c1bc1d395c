"""PostgreSQL restarts under light load: a proper 503 page meanwhile, then the site recovers alone.

The site (gunicorn, production settings: persistent connections with health checks) and a
worker run on a private PostgreSQL cluster, which is stopped for a few seconds and started again
while readers read and commenters comment.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.faults.conftest import latency_summary
from tests.faults.visitors import Traffic
from tests.support.processes import Site, Worker, manage
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

STEADY_SECONDS = 3
DOWN_SECONDS = 3
AFTER_SECONDS = 6
# Once PostgreSQL is back, every request must succeed again within this long, by itself.
RECOVERY_LIMIT_SECONDS = 5
FRIENDLY_PAGE = "Le site revient dans un instant"
CREATE_POST = (
    "from tests.blog.factories import PostFactory; "
    "print(PostFactory(slug='redemarrage-postgres').get_absolute_url())"
)


def stored_comments(cluster) -> dict[str, str]:
    """Return each stored comment's text and verdict, read straight from the private cluster."""
    with cluster.connect("chezsoi") as connection:
        return dict(connection.execute("SELECT body, verdict FROM comments_comment").fetchall())


def test_postgres_restarted_under_light_load(
    site_env, private_postgres, faults_dir, private_redis, figures
):
    cluster = private_postgres
    environment = site_env(DATABASE_URL=cluster.url("chezsoi"))
    post_path = manage(environment, "shell", "-c", CREATE_POST).split()[-1]
    site = Site(environment, faults_dir, name="gunicorn-postgres").start()
    worker = Worker(environment, faults_dir, name="postgres-worker").start()
    traffic = Traffic(
        site.url,
        read_paths=["/", post_path, "/feed/", "/en/"],
        post_paths=[post_path],
        readers=2,
        reader_pause=0.05,
        comments_per_second=4,
        signups_per_second=0,
        tag="pg",
    )
    try:
        traffic.start()
        time.sleep(STEADY_SECONDS)
        down_at = time.monotonic()
        cluster.stop(mode="fast")
        time.sleep(DOWN_SECONDS)
        cluster.start()
        back_at = time.monotonic()
        time.sleep(AFTER_SECONDS)
        answers = traffic.stop()

        # Checks that were running while PostgreSQL was away are swept up five minutes later.
        with cluster.connect("chezsoi") as connection:
            connection.execute(
                "UPDATE comments_comment SET check_due_at = %s WHERE verdict = ''",
                [timezone.now() - timedelta(minutes=6)],
            )
        worker.supervise()
        worker.wait_ready()
        worker.control.send_task("comments.tasks.sweep_unchecked_comments")
        wait_until(
            lambda: "" not in stored_comments(cluster).values(),
            timeout=60,
            what="every stored comment to be checked",
        )
    finally:
        traffic.stopping.set()
        worker.stop()
        site.stop()

    unavailable = [a for a in answers if a.status == 503]
    normal = [a for a in answers if a.status in (200, 302)]
    # Nothing but normal answers and the 503 page: no 500, no stack trace, no dropped connection.
    assert len(normal) + len(unavailable) == len(answers), {a.status for a in answers}
    assert unavailable, "no request reached the site while PostgreSQL was down"
    for answer in unavailable:
        assert answer.headers.get("retry-after") == "30"
        assert FRIENDLY_PAGE in answer.text and "The site will be back in a moment" in answer.text
        assert "Traceback" not in answer.text
        assert down_at - 1 <= answer.started <= back_at + RECOVERY_LIMIT_SECONDS
    # The site came back by itself: every request sent well after the restart succeeded.
    late = [a for a in answers if a.started > back_at + RECOVERY_LIMIT_SECONDS]
    assert late and all(a.status in (200, 302) for a in late)
    last_failure = max(a.started + a.seconds for a in unavailable)
    # No accepted comment lost, none stored twice; every stored comment checked.
    accepted = [a.sent for a in answers if a.kind == "comment" and a.status == 302]
    submitted = {a.sent for a in answers if a.kind == "comment"}
    stored = stored_comments(cluster)
    assert set(accepted) <= set(stored) <= submitted
    assert len(accepted) == len(set(accepted))

    figures(
        requests=len(answers),
        answered_503=len(unavailable),
        server_errors_other_than_503=len(answers) - len(normal) - len(unavailable),
        postgres_down_seconds=round(back_at - down_at, 1),
        recovered_seconds_after_restart=round(max(0.0, last_failure - back_at), 1),
        comments_accepted=len(accepted),
        comments_stored=len(stored),
        comments_lost=len(set(accepted) - set(stored)),
        **latency_summary([a.seconds for a in normal]),
    )
