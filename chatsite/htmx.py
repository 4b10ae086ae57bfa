"""Small helpers for views that answer both plain requests and HTMX swaps."""

from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect


def page_or_partial(request, template_name, context, partial, status=200):
    """The whole page for a plain request, only the named partial for an HTMX one."""
    name = f"{template_name}#{partial}" if request.htmx else template_name
    return render(request, name, context, status=status)


def redirect_after_post(request, to, *args, **kwargs):
    """A redirect that also works for HTMX (which would otherwise swap the target page in)."""
    response = redirect(to, *args, **kwargs)
    if request.htmx:
        return HttpResponseClientRedirect(response.url)
    return response
