"""
Headers for every response: the Content-Security-Policy (CONTENT_SECURITY_POLICY in the
settings; a response that set its own, such as an attachment's sandbox, keeps it; with DEBUG
on, Django's own error pages for developers, which style themselves inline, may), and
`Cache-Control: private` on every response that depends on who asks (it varies on the cookie:
the session or the CSRF token was used), so no shared cache keeps a person's page.
"""

from django.conf import settings
from django.utils.cache import has_vary_header, patch_cache_control
from django.utils.deprecation import MiddlewareMixin


class SecurityHeadersMiddleware(MiddlewareMixin):
    """Sync and async alike (Django's MiddlewareMixin): it only touches the response."""

    def process_response(self, request, response):
        return self._add_headers(response)

    def _add_headers(self, response):
        policy = settings.CONTENT_SECURITY_POLICY
        if settings.DEBUG and response.status_code >= 400:
            # The technical 404 and 500 pages (DEBUG only) carry inline <style>; production's
            # error pages are the site's own templates, under the full policy.
            policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        response.headers.setdefault("Content-Security-Policy", policy)
        if has_vary_header(response, "Cookie"):
            patch_cache_control(response, private=True)
        return response
