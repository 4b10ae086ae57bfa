"""
What moderators do in the admin, shared by the user, message and report admins.

Every action that changes what people see or can do first shows a confirmation page (the
pattern of Django's `delete_selected`: the action answers the first POST with a page that
posts the same selection back with `post=yes`), then acts through the models' own methods
and records each change in the admin log (`LogEntry`, under "Recent actions" and each
object's history):

- a ban saves each user with `is_active` off, and `User.save()` closes their open sockets on
  every server process (never `queryset.update()`, which would skip that);
- a message is deleted with `Message.soft_delete(by=...)`, the same as a sender's own delete:
  the body is blanked and open clients remove it live.
"""

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from .models import Report, RoomError

# The confirmation page names at most this many objects (and says how many more).
PREVIEW_LIMIT = 100


def confirmation_page(modeladmin, request, *, action, title, question, button, items, skipped=(), total=None):
    """
    The page that asks before `action` runs on the selection: `items` are the objects it
    will change, `skipped` (object, why) pairs it leaves alone. It posts the same selection
    back with `post=yes`, which `confirmed()` recognises.
    """
    items = list(items)
    total = len(items) if total is None else total
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": opts,
        "question": question,
        "button": button,
        "action": action,
        "items": items[:PREVIEW_LIMIT],
        "more": max(0, total - PREVIEW_LIMIT),
        "total": total,
        "skipped": list(skipped)[:PREVIEW_LIMIT],
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/confirm_action.html", context)


def confirmed(request):
    """Whether this POST is the answer "yes" from a confirmation page."""
    return request.POST.get("post") == "yes"


# --- Bans -----------------------------------------------------------------------------------


def bannable(moderator, users):
    """
    Split users into those moderator may ban and (user, why) for the rest: nobody bans
    themselves, a banned user stays banned, and only superusers ban staff.
    """
    allowed, skipped = [], []
    for user in users:
        if user.pk == moderator.pk:
            skipped.append((user, "that is you"))
        elif not user.is_active:
            skipped.append((user, "already banned"))
        elif (user.is_staff or user.is_superuser) and not moderator.is_superuser:
            skipped.append((user, "staff: only a superuser can ban them"))
        else:
            allowed.append(user)
    return allowed, skipped


def ban(modeladmin, request, users, why="Banned"):
    """Deactivate each user (their open sockets close on every process) and log it."""
    for user in users:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
        modeladmin.log_change(request, user, f"{why}: deactivated, open connections closed.")
    return len(users)


def reactivatable(moderator, users):
    """Split users into banned ones moderator may reactivate and (user, why) for the rest."""
    allowed, skipped = [], []
    for user in users:
        if user.is_active:
            skipped.append((user, "already active"))
        elif (user.is_staff or user.is_superuser) and not moderator.is_superuser:
            skipped.append((user, "staff: only a superuser can reactivate them"))
        else:
            allowed.append(user)
    return allowed, skipped


def reactivate(modeladmin, request, users):
    for user in users:
        user.is_active = True
        user.save(update_fields=["is_active", "updated_at"])
        modeladmin.log_change(request, user, "Reactivated: can log in again.")
    return len(users)


# --- Messages -------------------------------------------------------------------------------


def deletable(messages):
    """Split messages into those still shown and (message, why) for those already deleted."""
    allowed, skipped = [], []
    for message in messages:
        if message.deleted_at is not None:
            skipped.append((message, "already deleted"))
        else:
            allowed.append(message)
    return allowed, skipped


def delete_messages(modeladmin, request, messages, why="Deleted by a moderator"):
    """
    Soft-delete each message as its sender would (blanked, removed live) and log it.
    Returns the messages deleted; one the model refuses is left alone.
    """
    deleted = []
    for message in messages:
        try:
            if not message.soft_delete(by=request.user):
                continue  # deleted in the meantime
        except RoomError:
            continue
        modeladmin.log_change(request, message, f"{why}: the body was removed and open clients no longer show it.")
        deleted.append(message)
    return deleted


# --- Reports --------------------------------------------------------------------------------


def resolve_reports(modeladmin, request, reports, status, note):
    """Resolve those of reports still open as status (a Report.Status), logging each one."""
    still_open = list(Report.objects.open().filter(pk__in=[r.pk for r in reports]))
    Report.objects.filter(pk__in=[r.pk for r in still_open]).resolve(request.user, status)
    for report in still_open:
        report.status = status
        modeladmin.log_change(request, report, note)
    return len(still_open)
