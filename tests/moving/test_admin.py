import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blog.models import Page, Post
from comments.models import Comment
from moving import detect, services
from moving.models import ImportRun, Redirect
from tests.blog.factories import SuperuserFactory
from tests.moving.test_commands import FakeImporter
from tests.moving.test_importer_wxr import item, wxr_document
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


def upload(client, content=b"FAKE\nUn\nDeux\n", name="site.fake", **fields):
    data = {
        "file": SimpleUploadedFile(name, content),
        "format": "auto",
        "pingbacks": "keep",
        **fields,
    }
    return client.post(reverse("admin:moving_importrun_add"), data)


def test_upload_runs_the_task_and_shows_the_report(
    celery_worker, client, owner, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # Two posts with a comment, a page and their old addresses, in a real WordPress export.
    content = wxr_document(
        item("12", content="<p>Des radis roses.</p>", name="radis", extra=WXR_COMMENT)
        + item("13", content="Deux\n\nparagraphes", name="la-suite")
        + item("14", post_type="page", content="<p>Moi.</p>", name="a-propos"),
    )
    response = upload(client, content=content, name="potager.wordpress.xml")
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:moving_importrun_change", args=[run.pk])
    wait_until(lambda: ImportRun.objects.get(pk=run.pk).is_over)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.report
    assert run.format == "wxr"
    assert run.report["counts"]["posts"] == 2 and run.report["counts"]["pages"] == 1
    assert run.report["counts"]["comments"] == 1
    assert Post.objects.count() == 2 and Page.objects.count() == 1
    assert Comment.objects.get().body == "Joli radis."
    assert Redirect.objects.filter(old_path="/?p=12").exists()
    assert not list((tmp_path / "imports").iterdir())  # the upload is deleted once imported
    page = client.get(reverse("admin:moving_importrun_change", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert (
        '<th scope="row">Posts</th><td>2</td>' in page
        or '<th scope="row">Billets</th><td>2</td>' in page
    )


WXR_COMMENT = """<wp:comment>
<wp:comment_id>7</wp:comment_id>
<wp:comment_author><![CDATA[Carole]]></wp:comment_author>
<wp:comment_author_email>carole@example.org</wp:comment_author_email>
<wp:comment_date_gmt>2019-05-03 08:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[Joli radis.]]></wp:comment_content>
<wp:comment_approved>1</wp:comment_approved>
<wp:comment_type>comment</wp:comment_type>
<wp:comment_parent>0</wp:comment_parent>
</wp:comment>"""


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


@pytest.mark.django_db
def test_a_superuser_reaches_the_export_from_the_imports_list(client, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    changelist = client.get(reverse("admin:moving_importrun_changelist")).content.decode()
    export_url = reverse("admin:moving_export")
    assert f'href="{export_url}"' in changelist
    response = client.get(export_url)
    assert response.status_code == 200
    assert response.context["title"] in ("Export the site", "Exporter le site")


@pytest.mark.django_db
def test_an_editor_neither_sees_nor_reaches_the_export(client, settings, tmp_path):
    from django.contrib.auth.models import Permission

    from tests.blog.factories import EditorFactory

    settings.MEDIA_ROOT = tmp_path
    editor = EditorFactory()
    # Even allowed to see the imports, an editor is not offered the export.
    editor.user_permissions.add(Permission.objects.get(codename="view_importrun"))
    client.force_login(editor)
    changelist = client.get(reverse("admin:moving_importrun_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:moving_export") not in changelist.content.decode()
    assert client.get(reverse("admin:moving_export")).status_code == 403
    download = reverse("admin:moving_export_download", args=["chez-soi-x.zip"])
    assert client.get(download).status_code == 403


@pytest.mark.django_db
def test_an_address_that_is_not_an_import_is_not_found(client):
    client.force_login(SuperuserFactory())

    response = client.get("/admin/moving/importrun/%C2%A6/change/")

    assert response.status_code in (302, 404)


def test_the_upload_form_offers_every_format_detection_knows():
    from moving.admin import FORMAT_CHOICES

    assert [name for name, _label in FORMAT_CHOICES[1:]] == detect.FORMATS
