"""
Headers for every response: the Content-Security-Policy (CONTENT_SECURITY_POLICY in the
settings; a response that set its own, such as an attachment's sandbox, keeps it; with DEBUG
on, Django's own error pages for developers, which style themselves inline, may), and
`Cache-Control: private` on every response that depends on who asks (it varies on the cookie:
the session or the CSRF token was used), so no shared cache keeps a person's page.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.utils.cache import has_vary_header, patch_cache_control


class SecurityHeadersMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self._add_headers(self.get_response(request))

    async def __acall__(self, request):
        return self._add_headers(await self.get_response(request))

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
