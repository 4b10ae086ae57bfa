"""
The reader's language and time zone, for someone logged in.

Django's LocaleMiddleware (earlier in the stack) has chosen the language from the switcher's
cookie or the browser's Accept-Language; a language saved in the profile wins over both. The
saved time zone is activated, so templates show times in it (UTC without one).

Sync and async: on the async path the user comes from `request.auser()` (loaded off the
event loop), or is the one a middleware before already loaded: never a lazy `request.user`
read on the loop.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject, empty

from .zones import zone


class ReaderMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        return self._answer(request, self.get_response(self._begin(request, request.user)))

    async def __acall__(self, request):
        user = getattr(request, "user", None)
        if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
            user = await request.auser()
        self._begin(request, user)
        return self._answer(request, await self.get_response(request))

    @staticmethod
    def _begin(request, user):
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        tz = zone(user.time_zone) if user.is_authenticated else None
        if tz is None:
            timezone.deactivate()
        else:
            timezone.activate(tz)
        return request

    @staticmethod
    def _answer(request, response):
        timezone.deactivate()
        return response
