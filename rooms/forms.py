"""Input for the group forms. The rules themselves live on the models (rooms.models)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from friends.models import Friendship

from .models import Room


class FriendsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, user):
        return user.display_name


def friends_choice(user, exclude_room=None):
    """user's friends as checkboxes, by nickname (without the members of exclude_room)."""
    friends = Friendship.objects.friends_of(user).order_by("nickname", "pk")
    if exclude_room is not None:
        friends = friends.exclude(memberships__room=exclude_room)
    return FriendsField(queryset=friends, required=False, label=_("Friends"))


class GroupForm(forms.Form):
    name = forms.CharField(max_length=Room.NAME_MAX_LENGTH, label=_("Group name"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"] = friends_choice(user)


class AddMembersForm(forms.Form):
    def __init__(self, user, room, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"] = friends_choice(user, exclude_room=room)


class RenameForm(forms.Form):
    name = forms.CharField(max_length=Room.NAME_MAX_LENGTH, label=_("New name"))
