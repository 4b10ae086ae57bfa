from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.htmx import page_or_partial, redirect_after_post


from .codes import CodeError, emails_per_address, emails_per_ip, signup_codes, too_many_emails
from .forms import (
    DeleteAccountForm,
    EmailChangeForm,
    EmailConfirmForm,
    EmailForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    PreferencesForm,
    PrivacyForm,
    ProfileForm,
    SignupForm,
    TimeZoneForm,
)
from .models import DataExport, normalize_email
from .actions import AccountError, delete_account, latest_export, password_changed, start_export
from .throttle import client_ip

SIGNUP_EMAIL = "signup_email"
PENDING_EMAIL = "pending_email"
BACKEND = "accounts.backends.UsernameOrEmailBackend"


def _signup_page(request, *, email_form=None, form=None, email=None, notice="", error="", status=200):
    context = {"email_form": email_form, "form": form, "email": email, "notice": notice, "error": error}
    return page_or_partial(request, "accounts/signup.html", context, "signup-card", status)


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    """Sign-up in two steps on one page: the email gets a code, then the account is made."""
    if request.user.is_authenticated:
        return redirect("rooms:chat")
    email = request.session.get(SIGNUP_EMAIL)
    action = request.POST.get("action") if request.method == "POST" else None

    if action == "send_code":
        email_form = EmailForm(request.POST)
        if email_form.is_valid() and email_form.send_code(client_ip(request)):
            email = request.session[SIGNUP_EMAIL] = email_form.cleaned_data["email"]
            return _signup_page(request, form=SignupForm(email=email), email=email,
                                notice=_("We emailed a 6-digit code to %(email)s. It is valid for 5 minutes.") % {"email": email})
        return _signup_page(request, email_form=email_form, status=422)

    if action == "change_email" or email is None:
        request.session.pop(SIGNUP_EMAIL, None)
        return _signup_page(request, email_form=EmailForm())

    if action == "resend":
        form = SignupForm(email=email)
        try:
            signup_codes.send(email, ip=client_ip(request))
        except CodeError as error:
            return _signup_page(request, form=form, email=email, error=error.message, status=422)
        return _signup_page(request, form=form, email=email, notice=_("A new code is on its way to %(email)s.") % {"email": email})

    if action == "create":
        form = SignupForm(request.POST, email=email)
        if form.is_valid():
            try:
                user = form.save()
            except IntegrityError:
                form.add_error(None, _("This username or email address was taken a moment ago. Choose another."))
            else:
                request.session.pop(SIGNUP_EMAIL, None)
                login(request, user, backend=BACKEND)
                messages.success(request, _("Welcome, %(nickname)s!") % {"nickname": user.nickname})
                return redirect_after_post(request, "rooms:chat")
        return _signup_page(request, form=form, email=email, status=422)

    return _signup_page(request, form=SignupForm(email=email), email=email)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_template_names(self):
        return [f"{self.template_name}#login-form"] if self.request.htmx else [self.template_name]

    def form_valid(self, form):
        response = super().form_valid(form)
        return redirect_after_post(self.request, response.url)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=422)


def _profile_page(request, status=200, partial="profile-page", **forms):
    user = request.user
    pending = request.session.get(PENDING_EMAIL)
    context = {
        "profile_form": forms.get("profile_form") or ProfileForm(instance=user),
        "email_form": forms.get("email_form") or EmailChangeForm(user=user),
        "confirm_form": forms.get("confirm_form") or (EmailConfirmForm(user=user, email=pending) if pending else None),
        "password_form": forms.get("password_form") or PasswordForm(user),
        "preferences_form": forms.get("preferences_form") or PreferencesForm(instance=user),
        "privacy_form": forms.get("privacy_form") or PrivacyForm(instance=user),
        "language_form": forms.get("language_form") or LanguageForm(instance=user),
        "pending_email": pending,
        "saved": forms.get("saved", ""),
    }
    return page_or_partial(request, "accounts/profile.html", context, partial, status)


@require_http_methods(["GET", "POST"])
def profile(request):
    """Nickname and avatar, email (confirmed by a code to the new address), password."""
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None

    if action == "profile":
        form = ProfileForm(request.POST, request.FILES, instance=user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Profile saved."))
            return redirect_after_post(request, "accounts:profile")
        return _profile_page(request, 422, "profile-section", profile_form=form)

    if action == "preferences":
        form = PreferencesForm(request.POST, instance=user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Preferences saved."))
            return redirect_after_post(request, "accounts:profile")  # a new page: <html> has the scheme
        return _profile_page(request, 422, "preferences-section", preferences_form=form)

    if action == "language":
        form = LanguageForm(request.POST, instance=user)
        if form.is_valid():
            form.save()
            translation.activate(user.language or request.LANGUAGE_CODE)  # the notice in the new language
            messages.success(request, _("Language and time zone saved."))
            return redirect_after_post(request, "accounts:profile")  # a new page in the new language
        return _profile_page(request, 422, "language-section", language_form=form)

    if action == "privacy":
        form = PrivacyForm(request.POST, instance=user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Privacy saved."))
            return redirect_after_post(request, "accounts:profile")
        return _profile_page(request, 422, "privacy-section", privacy_form=form)

    if action == "email":
        form = EmailChangeForm(request.POST, user=user)
        if form.is_valid() and form.send_code(client_ip(request)):
            request.session[PENDING_EMAIL] = form.cleaned_data["email"]
            return _profile_page(request, partial="email-section", saved="")
        return _profile_page(request, 422, "email-section", email_form=form)

    if action == "email_cancel":
        request.session.pop(PENDING_EMAIL, None)
        return _profile_page(request, partial="email-section")

    if action == "email_confirm":
        pending = request.session.get(PENDING_EMAIL)
        if not pending:
            return _profile_page(request, partial="email-section")
        form = EmailConfirmForm(request.POST, user=user, email=pending)
        if form.is_valid():
            form.save()
            request.session.pop(PENDING_EMAIL, None)
            return _profile_page(request, partial="email-section", saved=_("Your email address is now %(email)s.") % {"email": user.email})
        return _profile_page(request, 422, "email-section", confirm_form=form)

    if action == "password":
        form = PasswordForm(user, request.POST)
        if form.is_valid():
            form.save()
            # Other sessions are logged out by the new password; their open sockets close
            # too. This tab's socket (on the key before update_session_auth_hash cycles it) stays.
            password_changed(user.pk, keep_session=request.session.session_key)
            update_session_auth_hash(request, form.user)
            return _profile_page(request, partial="password-section", saved=_("Password changed."))
        return _profile_page(request, 422, "password-section", password_form=form)

    return _profile_page(request)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by an emailed link; at most EMAILS_PER_IP_LIMIT asks per client IP and
    EMAILS_PER_ADDRESS_LIMIT emails per address in EMAILS_WINDOW."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if not emails_per_ip.allow(client_ip(self.request)):
            form.add_error(None, too_many_emails())
            return self.render_to_response(self.get_context_data(form=form), status=422)
        if not emails_per_address.allow(normalize_email(form.cleaned_data["email"])):
            # The page says what it always says (it never tells whether the address has an
            # account); the address just gets no more than its share of emails.
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Every session was logged in with the old password: close all their sockets.
        password_changed(form.user.pk)
        return response


# --- Your data ------------------------------------------------------------------------------


def _export_page(request, job, error="", status=200):
    context = {"export": job, "error": error}
    return page_or_partial(request, "accounts/export.html", context, "export-status", status)


@require_http_methods(["GET", "POST"])
def export_data(request):
    """
    The person's data as a ZIP: POST starts an export (once an hour), built at once when small,
    else in the background; the page shows its progress (htmx polls the status while it
    runs) and the download once it is ready.
    """
    if request.method == "POST":
        try:
            job = start_export(request.user)
        except AccountError as error:
            return _export_page(request, latest_export(request.user), error=error.message, status=422)
        if not request.htmx:
            return redirect("accounts:export")
        return _export_page(request, job)
    return _export_page(request, latest_export(request.user))


@require_GET
def export_download(request, export_id):
    """A ready export, to its owner only (404 for anyone else)."""
    job = DataExport.objects.filter(pk=export_id, user=request.user, status=DataExport.Status.READY).first()
    if job is None or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = job.file.name.rsplit("/", 1)[-1]
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def delete(request):
    """Delete my account, confirmed with the password; logged out, then told what happened."""
    form = DeleteAccountForm(request.POST or None, user=request.user, ip=client_ip(request))
    if request.method == "POST" and form.is_valid():
        try:
            deletion = delete_account(request.user, delete_messages=form.cleaned_data["delete_messages"])
        except AccountError as error:
            form.add_error(None, error)
        else:
            logout(request)
            request.session["deleted_account"] = deletion.username
            return redirect_after_post(request, "accounts:deleted")
    status = 422 if request.method == "POST" else 200
    return page_or_partial(request, "accounts/delete.html", {"form": form}, "delete-form", status)


@login_not_required
@require_GET
def deleted(request):
    """Where a deleted account lands: what went and what stays."""
    username = request.session.pop("deleted_account", None)
    if username is None:
        return redirect("accounts:login")
    return render(request, "accounts/deleted.html", {"username": username})


@require_POST
def time_zone(request):
    """The browser's time zone, saved (site.js sends it when none is): 204, or 422 with why not."""
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        return HttpResponse(" ".join(form.errors["time_zone"]), status=422, content_type="text/plain; charset=utf-8")
    request.user.time_zone = form.cleaned_data["time_zone"]
    request.user.save(update_fields=["time_zone", "updated_at"])
    return HttpResponse(status=204)
