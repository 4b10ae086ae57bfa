from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from . import throttle
from .codes import CodeError, email_change_codes, signup_codes
from core.images import resized_avatar
from core.text import without_bidi_controls

from .models import User, normalize_email
from .zones import TIME_ZONE_MAX_LENGTH, known_time_zones, validate_time_zone


def clean_new_username(username, user=None):
    """A username another account has, or one held after a deletion, is refused."""
    if User.objects.username_taken(username, exclude=user):
        raise forms.ValidationError(_("This username is taken."), code="taken")


class EmailForm(forms.Form):
    """Step one of sign-up: the address the code goes to."""

    email = forms.EmailField(label=_("Email address"), max_length=254)

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.email_taken(email):
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def send_code(self, ip=""):
        try:
            signup_codes.send(self.cleaned_data["email"], ip=ip)
        except CodeError as error:
            self.add_error(None, error)
            return False
        return True


class SignupForm(forms.Form):
    """Step two of sign-up: the account itself and the emailed code."""

    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        label=_("Username"),
        help_text=_("Letters, digits and @ . + - _ only."),
        error_messages={"invalid": _("Use only letters, digits and @ . + - _ in the username.")},
    )
    nickname = forms.CharField(max_length=50, label=_("Nickname"), help_text=_("The name other people see."))
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    code = forms.CharField(
        label=_("Code from the email"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    # As the page shows them: the code first (the email just brought it).
    field_order = ["code", "username", "nickname", "password1", "password2"]

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["code"].widget.attrs["autofocus"] = True

    def full_clean(self):
        super().full_clean()
        invalid = [name for name in self.fields if name in self.errors]
        if invalid:  # the focus goes to the first field to fix
            self.fields["code"].widget.attrs.pop("autofocus", None)
            self.fields[invalid[0]].widget.attrs["autofocus"] = True

    def clean_username(self):
        username = self.cleaned_data["username"]
        clean_new_username(username)
        return username

    def clean_nickname(self):
        nickname = without_bidi_controls(self.cleaned_data["nickname"]).strip()
        if not nickname:
            raise forms.ValidationError(_("Enter a nickname."))
        return nickname

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(username=cleaned.get("username", ""), email=self.email, nickname=cleaned.get("nickname", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        # The code is checked whatever else is wrong, so every error shows at once. A wrong
        # code costs one of the five tries even then (else a form with a bad password would
        # be a free guess); a right one costs nothing, and is burnt once the account exists.
        if cleaned.get("code"):
            try:
                signup_codes.verify(self.email, cleaned["code"], burn=False)
            except CodeError as error:
                self.add_error("code", error)
        return cleaned

    def save(self):
        data = self.cleaned_data
        user = User.objects.create_user(data["username"], self.email, data["password1"], nickname=data["nickname"])
        signup_codes.burn(self.email)
        return user


THROTTLED = _("Too many failed logins. Try again later (in up to 15 minutes).")
EMAIL_TAKEN = _("An account with this email address already exists.")


class ThrottledLoginMixin:
    """Say "try again later" when the backend's throttle refused the login (accounts.throttle)."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if throttle.was_refused(self.request):
                raise forms.ValidationError(THROTTLED, code="throttled") from None
            raise


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """Username or email; the backend counts failures and refuses while throttled."""

    username = forms.CharField(label=_("Username or email"), max_length=254, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username, email or password."),
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login: the same backend and throttle, the same "try again later"."""


class PreferencesForm(forms.ModelForm):
    """The colour scheme and desktop notifications (the choices are the model's: checked there)."""

    class Meta:
        model = User
        fields = ["theme", "desktop_notifications"]
        widgets = {"theme": forms.RadioSelect}


class LanguageForm(forms.ModelForm):
    """The language pages are shown in (empty: the browser's) and the time zone times are read in."""

    time_zone = forms.ChoiceField(required=False, label=_("Time zone"))

    class Meta:
        model = User
        fields = ["language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Your browser's language"))] + list(settings.LANGUAGES)
        self.fields["time_zone"].choices = [("", "UTC")] + [(name, name) for name in sorted(known_time_zones())]


class TimeZoneForm(forms.Form):
    """The browser's time zone (site.js sends it once, when none is saved)."""

    time_zone = forms.CharField(max_length=TIME_ZONE_MAX_LENGTH, validators=[validate_time_zone])


class PrivacyForm(forms.ModelForm):
    """One switch: read receipts and last seen, shown both ways or neither."""

    class Meta:
        model = User
        fields = ["hide_activity"]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["nickname", "avatar"]
        labels = {"nickname": _("Nickname")}
        help_texts = {"avatar": _("A PNG, JPEG, GIF or WebP image, at most 2 MB.")}

    # A plain file input (the page shows the avatar itself) and a box to remove it, rather
    # than Django's "Currently: … Clear Change:" widget.
    avatar = forms.FileField(required=False, label=_("New avatar"), widget=forms.FileInput(attrs={"accept": "image/*"}))
    remove_avatar = forms.BooleanField(required=False, label=_("Remove my avatar"))

    def clean_nickname(self):
        nickname = without_bidi_controls(self.cleaned_data["nickname"]).strip()
        if not nickname:
            raise forms.ValidationError(_("Enter a nickname."))
        return nickname

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if avatar and hasattr(avatar, "content_type"):  # a new upload, not the stored file
            return resized_avatar(avatar)
        return avatar

    def clean(self):
        cleaned = super().clean()
        new_upload = bool(self.files.get(self.add_prefix("avatar")))
        if cleaned.get("remove_avatar") and not new_upload:
            cleaned["avatar"] = False  # the model's FileField stores "": no avatar
        return cleaned


class PasswordForm(PasswordChangeForm):
    """Django's password change, without the autofocus on the old password: it is the last
    card of the profile page, which then opened scrolled down to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class EmailChangeForm(forms.Form):
    """Ask for a code at the new address."""

    email = forms.EmailField(label=_("New email address"), max_length=254)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if email == self.user.email:
            raise forms.ValidationError(_("This is already your email address."))
        if User.objects.email_taken(email, exclude=self.user):
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def send_code(self, ip=""):
        try:
            email_change_codes.send(self.cleaned_data["email"], ip=ip)
        except CodeError as error:
            self.add_error(None, error)
            return False
        return True


class EmailConfirmForm(forms.Form):
    code = forms.CharField(label=_("Code from the email"), max_length=6, min_length=6)

    def __init__(self, *args, user, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.email = user, email

    def clean_code(self):
        code = self.cleaned_data["code"]
        if User.objects.email_taken(self.email, exclude=self.user):
            raise forms.ValidationError(EMAIL_TAKEN)
        try:
            email_change_codes.verify(self.email, code)
        except CodeError as error:
            raise forms.ValidationError(error.messages) from None
        return code

    def save(self):
        self.user.email = self.email
        self.user.save(update_fields=["email", "updated_at"])
        return self.user


class DeleteAccountForm(forms.Form):
    """Deleting one's account: confirmed with the password, messages kept unless ticked."""

    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    delete_messages = forms.BooleanField(
        required=False,
        label=_("Also delete my messages"),
        help_text=_("Unticked, your messages stay in their rooms under “Deleted user”."),
    )

    def __init__(self, *args, user, ip="", **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.ip = user, ip

    def clean_password(self):
        """Checked as a login is (accounts.throttle): the failures count against the account and
        the IP, and over the limit no password is checked until the window passes."""
        password = self.cleaned_data["password"]
        key = throttle.account_key(self.user, "")
        if throttle.is_throttled(key, self.ip):
            raise forms.ValidationError(THROTTLED, code="throttled")
        if not self.user.check_password(password):
            throttle.record_failure(key, self.ip)
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password
