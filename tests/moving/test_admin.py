import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blog.models import Post
from moving import detect, services
from moving.models import ImportRun, Redirect
from tests.blog.factories import SuperuserFactory
from tests.moving.test_commands import FakeImporter
from tests.support.waiting import wait_until


@pytest.fixture
def owner(client):
    user = SuperuserFactory()
    client.force_login(user)
    return user


@pytest.fixture
def fake_format(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(detect, "FORMATS", ["fake"])
    monkeypatch.setattr(detect, "importer", lambda name: FakeImporter if name == "fake" else None)
    monkeypatch.setattr(services, "media_available", lambda: False)


def upload(client, content=b"FAKE\nUn\nDeux\n", **fields):
    data = {
        "file": SimpleUploadedFile("site.fake", content),
        "format": "auto",
        "pingbacks": "keep",
        **fields,
    }
    return client.post(reverse("admin:moving_importrun_add"), data)


def test_upload_runs_the_task_and_shows_the_report(
    celery_worker, client, owner, fake_format, tmp_path
):
    response = upload(client)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:moving_importrun_change", args=[run.pk])
    wait_until(lambda: ImportRun.objects.get(pk=run.pk).is_over)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.report
    assert Post.objects.count() == 2
    assert not list((tmp_path / "imports").iterdir())  # the upload is deleted once imported
    page = client.get(reverse("admin:moving_importrun_change", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert (
        '<th scope="row">Posts</th><td>2</td>' in page
        or '<th scope="row">Billets</th><td>2</td>' in page
    )


@pytest.mark.django_db
def test_a_running_import_shows_a_refreshing_progress_bar(client, owner):
    run = ImportRun.objects.create(
        file_name="big.xml", status=ImportRun.Status.RUNNING, progress_done=5, progress_total=20
    )
    page = client.get(reverse("admin:moving_importrun_change", args=[run.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'max="20" value="5"' in page


@pytest.mark.django_db
def test_the_upload_queues_after_commit(client, owner, fake_format, monkeypatch):
    queued = []
    monkeypatch.setattr("moving.tasks.site_import.delay_on_commit", queued.append)
    upload(client, dry_run="on")
    run = ImportRun.objects.get()
    assert run.dry_run and run.status == ImportRun.Status.QUEUED and queued == [run.pk]


@pytest.mark.django_db
def test_runs_are_never_edited(client, owner):
    run = ImportRun.objects.create(file_name="x.xml", status=ImportRun.Status.DONE)
    response = client.post(
        reverse("admin:moving_importrun_change", args=[run.pk]), {"file_name": "y"}
    )
    run.refresh_from_db()
    assert run.file_name == "x.xml" and response.status_code == 200


@pytest.mark.django_db
def test_redirects_are_listed_searched_and_edited(client, owner):
    Redirect.objects.create(old_path="/?p=12", new_path="/radis/")
    changelist = reverse("admin:moving_redirect_changelist")
    assert "/?p=12" in client.get(changelist, {"q": "p=12"}).content.decode()
    response = client.post(
        reverse("admin:moving_redirect_add"),
        {"old_path": "/2019/05/x.html", "new_path": "/x/", "note": ""},
    )
    assert response.status_code == 302
    assert Redirect.objects.filter(old_path="/2019/05/x.html", new_path="/x/").exists()
