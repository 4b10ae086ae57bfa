"""
People in the admin. Superusers manage accounts fully. Anyone else with access (the
Moderators group, moderation/) reads accounts and changes one thing: whether the account is
active. Unticking "active" deactivates the account as `accounts.actions.deactivate` does
(sessions deleted, open sockets closed on every server process); the confirmed and logged ban
and reactivate actions are the moderation app's (it extends this admin).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html

from .actions import deactivate, password_changed
from .forms import AdminLoginForm, clean_new_username
from .models import User

# The admin's login says "try again later" when the backend's throttle refused it.
admin.site.login_form = AdminLoginForm

# What a moderator sees on a person's page: no password hash, one editable field.
MODERATOR_FIELDSETS = [
    (None, {"fields": ["username", "is_active"]}),
    ("Profile", {"fields": ["nickname", "email", "avatar_preview"]}),
    ("Roles", {"fields": ["is_staff", "is_superuser", "groups"]}),
    ("Dates", {"fields": ["last_login", "date_joined", "deleted_at"]}),
]
MODERATOR_EDITABLE = {"is_active"}


class UserCreationForm(AdminUserCreationForm):
    """A username held after an account's deletion is not given to a new account."""

    def clean_username(self):
        username = super().clean_username()
        clean_new_username(username)
        return username


class UserEditForm(UserChangeForm):
    """Nor to an account whose username changes."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        if "username" in self.changed_data:
            clean_new_username(username, self.instance)
        return username


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ["username", "nickname", "email", "is_active", "is_staff", "date_joined", "last_login", "deleted_at"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups", "date_joined", "last_login", "deleted_at"]
    search_fields = ["username", "nickname", "email"]
    ordering = ["username"]
    show_full_result_count = False
    readonly_fields = ["avatar_preview", "created_at", "updated_at", "last_login", "date_joined", "deleted_at"]
    actions = []  # moderation.admin adds ban and reactivate
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Profile", {"fields": ["nickname", "email", "avatar", "avatar_preview"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "created_at", "updated_at", "deleted_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "nickname", "email", "password1", "password2"]}),
    ]

    # --- What a non-superuser may change: the active flag, of people who are not staff.

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_deleted:
            return False  # a deleted account stays as it is (accounts.actions.delete_account)
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return MODERATOR_FIELDSETS
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            shown = [f for _, options in MODERATOR_FIELDSETS for f in options["fields"]]
            # The password too: its form field is declared on UserChangeForm.
            return [f for f in shown if f not in MODERATOR_EDITABLE] + ["password"]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            deactivate([obj])

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied
        before = User.objects.filter(pk=id).values_list("password", flat=True).first()
        own_session = request.session.session_key  # before Django's admin cycles it
        response = super().user_change_password(request, id, form_url)
        user = User.objects.filter(pk=id).first()
        if user is not None and user.password != before:
            # The person's sessions are logged out by the new password: close their sockets
            # (the superuser's own tab stays when they changed their own password).
            password_changed(user.pk, keep_session=own_session if user.pk == request.user.pk else None)
        return response

    @admin.display(description="Avatar")
    def avatar_preview(self, user):
        if not user.avatar:
            return "—"
        return format_html('<img src="{}" alt="" class="admin-avatar">', user.avatar.url)
