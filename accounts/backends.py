from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from core.cached import forget, remember, remember_many, shared_cache

from . import throttle

# The logged-in user of a request or a socket's handshake, kept in the cache (core.cached):
# forgotten when the user is saved or deleted (accounts.apps) and when accounts are
# (de)activated in bulk (accounts.actions), so a new password or a ban counts at once.
USER_CACHE_SECONDS = 300


def forget_users(user_ids):
    forget(shared_cache(), UsernameOrEmailBackend.cached_as, user_ids)


class UsernameOrEmailBackend(ModelBackend):
    """
    Log in with the username (in any case: matched by its key, see `accounts.models.username_key`)
    or the email address (in any case). Every login passes here, the admin's included, so this
    is where failed logins are counted and throttled (`accounts.throttle`): while the account
    or the client IP is over the limit, no password is checked and the login is refused with
    PermissionDenied, which stops Django from trying any other backend.
    """

    # get_user keeps users in the cache under this name (core.cached): a batch of socket
    # handshakes reads them all ahead in one round trip (realtime.consumer).
    cached_as = "user"

    def get_user(self, user_id):
        """The active user with that id, or None; from the cache when it is there."""
        return remember(shared_cache(), self.cached_as, user_id, lambda: super(UsernameOrEmailBackend, self).get_user(user_id), USER_CACHE_SECONDS)

    def get_users(self, user_ids):
        """get_user for many ids at once, {id: the active user or None}: one query for those the
        cache lacks (a batch of socket handshakes after the cache expired)."""

        def load(ids):
            users = get_user_model()._default_manager.in_bulk(ids)
            return {pk: user if (user := users.get(pk)) is not None and self.user_can_authenticate(user) else None for pk in ids}

        return remember_many(shared_cache(), self.cached_as, user_ids, load, USER_CACHE_SECONDS)

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = User._default_manager.for_login(username)
        account, ip = throttle.account_key(user, username), throttle.client_ip(request)
        if throttle.is_throttled(account, ip):
            throttle.mark_refused(request)
            raise PermissionDenied("Too many failed logins.")
        if user is None:
            # Run the hasher anyway so a missing user costs the same time as a wrong password.
            User().set_password(password)
        elif user.check_password(password) and self.user_can_authenticate(user):
            return user
        throttle.record_failure(account, ip)
        return None
