import factory

from accounts.tests.factories import UserFactory
from friends.models import FriendRequest, Friendship


class FriendRequestFactory(factory.django.DjangoModelFactory):
    """A pending request between two new people, unless told otherwise."""

    class Meta:
        model = FriendRequest

    from_user = factory.SubFactory(UserFactory)
    to_user = factory.SubFactory(UserFactory)
    reason = "We met at the climbing gym."


class FriendshipFactory(factory.django.DjangoModelFactory):
    """
    `user` and `friend` are friends: FriendshipFactory(user=alice, friend=bob). The row
    stores the pair in its one spelling, lower id first, whichever way it is given.
    """

    class Meta:
        model = Friendship
        exclude = ["user", "friend"]

    user = factory.SubFactory(UserFactory)
    friend = factory.SubFactory(UserFactory)
    user_low = factory.LazyAttribute(lambda o: min(o.user, o.friend, key=lambda u: u.pk))
    user_high = factory.LazyAttribute(lambda o: max(o.user, o.friend, key=lambda u: u.pk))
