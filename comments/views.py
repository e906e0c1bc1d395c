from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from blog import views as blog_views
from blog.models import Post
from comments import moderation, ratelimit, section, services, tokens
from comments.forms import CommentEditForm, CommentForm
from comments.models import Comment


@require_http_methods(["GET", "POST"])
def post_comment(request, post_id):
    post = get_object_or_404(Post.objects.for_detail(), pk=post_id)
    if request.method == "GET":
        # A reload, or the address typed again after a refused comment: back to the form.
        return HttpResponseRedirect(post.get_absolute_url() + "#respond")
    if not moderation.comments_open(post):
        return render(request, "comments/closed.html", {"post": post}, status=403)
    if settings.COMMENTS_REQUIRE_LOGIN and not request.user.is_authenticated:
        return redirect_to_login(post.get_absolute_url() + "#respond")
    ip = ratelimit.client_ip(request)
    allowed, retry_after = ratelimit.comment_posting_allowed(ip)
    if not allowed:
        response = render(
            request,
            "comments/rate_limited.html",
            {"post": post, "minutes": max(1, round(retry_after / 60))},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response
    form = CommentForm(request.POST, post=post, user=request.user)
    if form.is_robot:
        return render(request, "comments/rejected.html", {"post": post}, status=400)
    if not form.is_valid():
        form.refresh_issued()
        return blog_views.render_post(request, post, context={"comment_form": form}, status=400)
    data = form.cleaned_data
    comment = services.comment_submit(
        post=post,
        parent=form.parent_comment,
        user=request.user,
        author_name=data["author_name"],
        author_email=data["author_email"],
        author_url=data["author_url"],
        body=data["body"],
        notify_replies=data["notify_replies"],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        ip_address=ip,
        user_agent=request.headers.get("User-Agent", ""),
        referrer=request.headers.get("Referer", ""),
    )
    messages.success(request, _("Thank you! Your comment is awaiting moderation."))
    response = HttpResponseRedirect(comment.get_absolute_url())
    section.remember_pending(request, response, comment.pk)
    section.remember_editable(request, response, comment.pk)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def edit_comment(request, comment_id):
    """Show its author the words of a comment (GET); save the new ones, moderated again (POST)."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None or not section.may_change(request, comment):
        return _change_refused(request, comment)
    form = CommentEditForm(
        request.POST if request.method == "POST" else None, initial={"body": comment.body}
    )
    if form.is_valid():
        try:
            changed = services.comment_edit(comment=comment, body=form.cleaned_data["body"])
        except services.ChangeRefused:
            return _change_refused(request, comment)
        if changed:
            messages.success(request, _("Your comment is saved. It awaits moderation again."))
        else:
            messages.info(request, _("Your comment was not changed."))
        response = HttpResponseRedirect(comment.get_absolute_url())
        section.remember_pending(request, response, comment.pk)
        return response
    context = {
        "comment": comment,
        "post": comment.post,
        "form": form,
        "until": moderation.author_changes_until(comment.created_at),
    }
    return render(request, "comments/edit.html", context, status=400 if form.errors else 200)


@require_POST
def delete_comment(request, comment_id):
    """Take a comment off the page at the request of the browser that posted it."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None or not section.may_change(request, comment):
        return _change_refused(request, comment)
    try:
        services.comment_delete_by_author(comment=comment)
    except services.ChangeRefused:
        return _change_refused(request, comment)
    messages.success(request, _("Your comment is deleted."))
    return HttpResponseRedirect(comment.post.get_absolute_url() + "#comments")


def _change_refused(request, comment):
    # One answer whatever the reason (too late, another browser's comment, a forged cookie, no
    # such comment), so that it tells nothing about other readers' comments.
    post = comment.post if comment is not None and comment.post.is_live else None
    context = {"post": post, "minutes": settings.COMMENT_EDIT_MINUTES}
    return render(request, "comments/change_refused.html", context, status=403)


# Exempt from CSRF: the signed token in the address is what authorises the change, and mail
# programs send RFC 8058's one-click POST without cookies.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def stop_notifications(request, token):
    """Offer to stop reply emails (GET); stop them on the button's or a mail program's POST."""
    try:
        subscription = tokens.comment_from_stop_token(token)
    except tokens.InvalidToken:
        return render(request, "comments/stop_notifications_invalid.html", status=400)
    if request.method == "GET":
        # Link scanners of mail services open every link in an email: a GET changes nothing.
        return render(
            request, "comments/stop_notifications_confirm.html", {"post": subscription.post}
        )
    services.notifications_stop(subscription=subscription)
    # Answered, not redirected: RFC 8058 forbids redirecting the one-click POST.
    return render(request, "comments/stop_notifications_done.html", {"post": subscription.post})
