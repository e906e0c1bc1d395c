"""The benchmark driver's own logic: reading wrk, writing the report, guarding real data."""

import pytest

from bench import BenchmarkError, commenting, cpu, sending
from bench import run as bench

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:8765/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.49ms  400.45us   6.74ms   82.63%
    Req/Sec     3.98k   194.24     4.23k    72.73%
  Latency Distribution
     50%  812.00us
     75%    1.63ms
     90%    1.87ms
     99%    1.02s
  79288 requests in 20.00s, 2.16MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3964.33
Transfer/sec:      1.97MB
"""


def test_wrk_figures_are_read_in_milliseconds():
    load = bench.wrk_parse(WRK_OUTPUT)

    assert load.requests_per_second == pytest.approx(3964.33)
    assert load.p50_ms == pytest.approx(0.812)
    assert load.p99_ms == pytest.approx(1020)
    assert load.errors == 7


def test_the_report_replaces_the_figures_and_keeps_the_analysis(tmp_path, monkeypatch):
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(
        f"# Benchmarks\n\nIntro.\n\n{bench.REPORT_START}\nold figures\n{bench.REPORT_END}\n\n"
        "## Analysis\n\nWhy.\n"
    )
    monkeypatch.setattr(bench, "REPORT", report)

    bench.report_write("new figures\n")

    assert report.read_text() == (
        f"# Benchmarks\n\nIntro.\n\n{bench.REPORT_START}\nnew figures\n{bench.REPORT_END}\n\n"
        "## Analysis\n\nWhy.\n"
    )


def test_refuses_to_empty_a_cache_not_named_for_the_benchmark():
    with pytest.raises(BenchmarkError, match="cache prefix 'chezsoi'"):
        bench.names_check(database="chezsoi_bench", cache_prefix="chezsoi")


def test_refuses_to_drop_a_database_not_named_for_the_benchmark():
    with pytest.raises(BenchmarkError, match="database 'chezsoi'"):
        bench.names_check(database="chezsoi", cache_prefix="chezsoi-bench")


def test_runs_on_the_database_and_cache_prefix_make_bench_sets():
    bench.names_check(database="chezsoi_bench", cache_prefix="chezsoi-bench")


def test_the_whole_run_checks_the_names_in_the_settings_first(settings, monkeypatch):
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "chezsoi"}}
    # Nothing past the checks may run here: the run would drop this test database.
    monkeypatch.setattr(bench, "machine", lambda: pytest.fail("the run went past its checks"))

    with pytest.raises(BenchmarkError, match="Refusing"):
        bench.main()


POST_PAGE = """<form method="post" action="/commentaires/billet/3/">
<input type="hidden" name="csrfmiddlewaretoken" value="tok&amp;en">
<input type="text" name="author_name" class="form-control" value="">
<input type="hidden" name="issued" value="eyJwb3N0IjozfQ:1abc:sig" id="id_issued">
</form>"""


def test_the_comment_form_hidden_fields_are_read_from_the_post_page():
    assert commenting.form_fields(POST_PAGE) == {
        "csrfmiddlewaretoken": "tok&en",
        "issued": "eyJwb3N0IjozfQ:1abc:sig",
    }


def test_the_csrf_cookie_is_found_among_the_cookies_a_page_sets():
    headers = [
        "sessionid=abc; HttpOnly; Path=/",
        "csrftoken=Secret123; Path=/; SameSite=Lax; Secure",
    ]

    assert commenting.csrf_cookie(headers) == "Secret123"
    assert commenting.csrf_cookie(["sessionid=abc; Path=/"]) == ""


def test_percentiles_are_taken_by_nearest_rank():
    latencies = [float(ms) for ms in range(100, 0, -1)]

    assert commenting.percentile(latencies, 50) == 50
    assert commenting.percentile(latencies, 99) == 99
    assert commenting.percentile([7.0], 99) == 7
    assert commenting.percentile([], 99) == 0


def test_peak_memory_is_read_from_the_process_status():
    status = "Name:\tcelery\nVmPeak:\t  400000 kB\nVmHWM:\t  101376 kB\nVmRSS:\t   99000 kB\n"

    assert cpu.peak_memory_kb(status) == 101376
    assert cpu.peak_memory_kb("Name:\tkernel-thread\n") == 0


def test_the_sending_table_compares_the_pipeline_with_the_baseline():
    pipeline = sending.PipelineRun(
        subscribers=10_000,
        sent=10_000,
        accepted=10_000,
        seconds=25.0,
        fan_out_seconds=0.3,
        cpu_ms={"worker bench1": 1.1, "mail server": 0.4},
        peaks=[sending.WorkerPeak("bench1", 112 * 1024, [97 * 1024, 96 * 1024])],
    )
    baseline = sending.BaselineRun(messages=10_000, accepted=10_000, seconds=4.0, cpu_ms=0.3)
    fan_outs = [sending.FanOutRun(subscribers=100_000, created=100_000, seconds=3.2)]

    table = "\n".join(sending.render(pipeline, baseline, fan_outs))

    assert "| 10,000 | 10,000 | 25.0 | 400 | 1.10 + 0.40 = 1.50" in table
    assert "| 16% |" in table  # 400 messages/s against 2,500
    assert "| 10,000 | 10,000 | 4.0 | 2,500 | 0.30 (mail server) | 100% |" in table
    assert "at 100,000 subscribers, batches queued | 100,000 | 3.20 |" in table
    assert "| bench1 | 112 MiB | 97 MiB, 96 MiB |" in table


def test_the_commenting_table_shows_the_rate_latencies_and_checks():
    run = commenting.CommentingRun(
        posts=4,
        warm_up_posts=16,
        redirected=4,
        seconds=0.5,
        latencies_ms=[10.0, 20.0, 30.0, 90.0],
        stored=20,
        checked=20,
        akismet_checks=20,
        akismet_delay_ms=300,
        drain_seconds=12.4,
    )

    table = "\n".join(commenting.render(run, workers="2 workers"))

    assert "| 4 (+ 16 warm-up) | 4 | 8 | 20.0 ms | 90.0 ms | 20 | 20 | 20 | 12 s more |" in table
    assert "after 300 ms; 2 workers." in table


@pytest.mark.django_db(transaction=True)
def test_the_304_path_is_checked_before_it_is_measured(live_server, settings):
    from blog import pagecache
    from tests.blog.factories import PostFactory

    settings.PAGE_CACHE_ENABLED = True
    pagecache.content_version_renew()
    post = PostFactory()

    etag = bench.not_modified_check(live_server.url + post.get_absolute_url())

    assert etag.startswith('"')
    settings.PAGE_CACHE_ENABLED = False  # no validator, no 304: the benchmark says so
    with pytest.raises(BenchmarkError, match="no ETag"):
        bench.not_modified_check(live_server.url + post.get_absolute_url())
