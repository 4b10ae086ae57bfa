"""
The confirmation page every moderation action shows first (the pattern of Django's
`delete_selected`: the action answers the first POST with a page that posts the same
selection back with `post=yes`, which `confirmed()` recognises).
"""

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

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
