"""The one way a view answers both a plain request and an htmx swap."""

from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect


def wants_partial(request):
    """An htmx swap wants a fragment; a plain request, and htmx restoring a page from its
    history (it asks for the whole page), want the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def page_or_partial(request, template_name, context, partial, status=200):
    """
    The whole page, or only the named partial of the same template for an htmx swap. Every
    such answer says `Vary: HX-Request`: the same URL answers both, and a cache must not give
    one for the other.
    """
    name = f"{template_name}#{partial}" if wants_partial(request) else template_name
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def redirect_after_post(request, to, *args, **kwargs):
    """A redirect that also works for htmx (HX-Redirect: the whole next page, not a swap)."""
    response = redirect(to, *args, **kwargs)
    if request.htmx:
        return HttpResponseClientRedirect(response.url)
    return response
