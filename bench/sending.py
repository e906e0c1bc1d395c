"""Send an issue through the real pipeline and, as the baseline, the same mail with plain smtplib."""

import itertools
import smtplib
import time
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bench.cpu import tree_cpu, tree_peak_memory_kb
from blog.models import Post
from newsletter import emails
from newsletter.models import Delivery, Issue, Subscriber
from newsletter.services.deliveries import issue_fan_out
from newsletter.services.issues import issue_cancel, issue_from_post, issue_send
from tests.support.processes import StandIn, Worker

SUBSCRIBER_DOMAIN = "lecteurs-banc.invalid"
# The baseline pushes pre-rendered messages; rendering 100,000 of them first would cost more than
# sending them, and the size is what the server sees: this many distinct ones are cycled through.
BASELINE_DISTINCT_MESSAGES = 500
# Celery's keys in the benchmark's own Redis database (the queue, unacknowledged tasks, bindings).
BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex", "_kombu.binding*")


@dataclass
class WorkerPeak:
    name: str
    main_kb: int
    pool_kb: list[int]


@dataclass
class PipelineRun:
    subscribers: int
    sent: int  # deliveries marked sent
    accepted: int  # messages the mail server counted
    seconds: float  # from issue_send() to the last delivery final
    fan_out_seconds: float  # from the issue's start to its deliveries created, in a worker
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per message, by process
    peaks: list[WorkerPeak] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


@dataclass
class BaselineRun:
    messages: int
    accepted: int
    seconds: float
    cpu_ms: float  # the mail server's CPU per message

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


@dataclass
class FanOutRun:
    subscribers: int
    created: int
    seconds: float


def subscribers_seed(count: int) -> int:
    """Have `count` confirmed subscribers in all; return how many were added."""
    have = Subscriber.objects.filter(email__endswith=f"@{SUBSCRIBER_DOMAIN}").count()
    now = timezone.now()
    Subscriber.objects.bulk_create(
        (
            Subscriber(
                email=f"lecteur-{number}@{SUBSCRIBER_DOMAIN}",
                language="fr" if number % 4 else "en",
                status=Subscriber.Status.CONFIRMED,
                confirmed_at=now,
            )
            for number in range(have, count)
        ),
        batch_size=5000,
    )
    return max(0, count - have)


def bench_issue() -> Issue:
    post = Post.objects.published().order_by("-published_at").first()
    return issue_from_post(post=post)


def pipeline_run(
    *, subscribers: int, sink: StandIn, workers: list[Worker], timeout: float
) -> PipelineRun:
    """Start an issue as an editor does and wait until every delivery is final."""
    issue = bench_issue()
    accepted_before = sink.count()
    cpu_before = {worker.name: tree_cpu(worker.process.pid) for worker in workers}
    sink_before = tree_cpu(sink.pid)
    started = time.monotonic()
    with transaction.atomic():
        issue_send(issue=issue)
    deadline = started + timeout
    while True:
        issue.refresh_from_db()
        if issue.status == Issue.Status.SENT:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"The issue was not sent within {timeout:.0f} s.")
        time.sleep(0.1)
    seconds = time.monotonic() - started
    sent = Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).count()
    cpu = {
        f"worker {worker.name}": tree_cpu(worker.process.pid) - cpu_before[worker.name]
        for worker in workers
    }
    cpu["mail server"] = tree_cpu(sink.pid) - sink_before
    peaks = []
    for worker in workers:
        main_kb, pool_kb = tree_peak_memory_kb(worker.process.pid)
        peaks.append(WorkerPeak(worker.name, main_kb, pool_kb))
    return PipelineRun(
        subscribers=subscribers,
        sent=sent,
        accepted=sink.count() - accepted_before,
        seconds=seconds,
        fan_out_seconds=(issue.fanned_out_at - issue.started_at).total_seconds(),
        cpu_ms={name: used * 1000 / max(sent, 1) for name, used in cpu.items()},
        peaks=peaks,
    )


def baseline_run(*, messages: int, sink: StandIn, port: int) -> BaselineRun:
    """Push `messages` pre-rendered messages to the mail server over one smtplib connection."""
    issue = bench_issue()
    renderer = emails.IssueRenderer(issue)
    rendered = []
    for number, subscriber in enumerate(
        Subscriber.objects.filter(email__endswith=f"@{SUBSCRIBER_DOMAIN}")[
            :BASELINE_DISTINCT_MESSAGES
        ]
    ):
        message = renderer.message(subscriber=subscriber, delivery_id=number + 1)
        rendered.append(
            (message.from_email, message.recipients(), message.message().as_bytes(linesep="\r\n"))
        )
    issue.delete()
    accepted_before = sink.count()
    sink_before = tree_cpu(sink.pid)
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for (sender, recipients, data), _number in zip(
            itertools.cycle(rendered), range(messages), strict=False
        ):
            connection.sendmail(sender, recipients, data)
    seconds = time.monotonic() - started
    return BaselineRun(
        messages=messages,
        accepted=sink.count() - accepted_before,
        seconds=seconds,
        cpu_ms=(tree_cpu(sink.pid) - sink_before) * 1000 / messages,
    )


def fan_out_run(*, subscribers: int) -> FanOutRun:
    """Time the fan-out service alone (no worker running): deliveries created and batches queued."""
    subscribers_seed(subscribers)
    issue = bench_issue()
    # Marked sending by hand: issue_send() would queue the fan-out task, measured here in-process.
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING, started_at=timezone.now())
    started = time.monotonic()
    created = issue_fan_out(issue_id=issue.pk)
    seconds = time.monotonic() - started
    issue_cancel(issue=issue)
    broker_clear()
    return FanOutRun(subscribers=subscribers, created=created, seconds=seconds)


def broker_clear():
    """Delete Celery's queue and bookkeeping from the benchmark's own Redis database."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for pattern in BROKER_KEYS:
        keys = list(client.scan_iter(match=pattern)) if "*" in pattern else [pattern]
        client.delete(*keys) if keys else None


def render(pipeline: PipelineRun, baseline: BaselineRun, fan_outs: list[FanOutRun]) -> list[str]:
    """Return the sending section of the report, in Markdown."""
    ratio = pipeline.rate / baseline.rate if baseline.rate else 0.0
    lines = [
        "",
        f"### Sending an issue to {pipeline.subscribers:,} subscribers",
        "",
        "| Path | messages | accepted by the mail server | seconds | messages/s "
        "| CPU ms per message | × baseline |",
        "|---|--:|--:|--:|--:|--:|--:|",
        f"| pipeline: `issue_send()` → 2 Celery workers → SMTP | {pipeline.sent:,} "
        f"| {pipeline.accepted:,} | {pipeline.seconds:.1f} | {pipeline.rate:,.0f} "
        f"| {' + '.join(f'{ms:.2f}' for ms in pipeline.cpu_ms.values())} "
        f"= {sum(pipeline.cpu_ms.values()):.2f} ({' + '.join(pipeline.cpu_ms)}) | {ratio:.0%} |",
        f"| baseline: smtplib, one connection, pre-rendered | {baseline.messages:,} "
        f"| {baseline.accepted:,} | {baseline.seconds:.1f} | {baseline.rate:,.0f} "
        f"| {baseline.cpu_ms:.2f} (mail server) | 100% |",
        "",
        "| Fan-out | deliveries created | seconds |",
        "|---|--:|--:|",
        f"| in the pipeline run: issue started → deliveries created, by a worker "
        f"| {pipeline.sent:,} | {pipeline.fan_out_seconds:.2f} |",
    ]
    lines += [
        f"| alone: `issue_fan_out()` at {run.subscribers:,} subscribers, batches queued "
        f"| {run.created:,} | {run.seconds:.2f} |"
        for run in fan_outs
    ]
    lines += [
        "",
        "| Worker peak memory (VmHWM) | main process | pool processes |",
        "|---|--:|--:|",
    ]
    lines += [
        f"| {peak.name} | {peak.main_kb / 1024:.0f} MiB "
        f"| {', '.join(f'{kb / 1024:.0f} MiB' for kb in peak.pool_kb)} |"
        for peak in pipeline.peaks
    ]
    return lines
