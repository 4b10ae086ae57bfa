import re
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import User

from .factories import PASSWORD, UserFactory

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"
PROFILE = "/accounts/profile/"
GOOD_PASSWORD = "a-long-and-unusual-passphrase"


def last_code():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def start_signup(client, email="dana@example.com"):
    response = client.post(SIGNUP, {"action": "send_code", "email": email})
    assert response.status_code == 200, response.content
    return last_code()


def finish_signup(client, code, **overrides):
    data = {"action": "create", "code": code, "username": "dana", "nickname": "Dana",
            "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, **overrides}
    return client.post(SIGNUP, data)


# --- Sign-up --------------------------------------------------------------------------------


def test_sign_up_with_the_emailed_code_creates_the_account_and_logs_in(client, db):
    code = start_signup(client, "Dana@Example.com")
    response = finish_signup(client, code)

    assert response.status_code == 302 and response["Location"] == reverse("rooms:chat")
    user = User.objects.get(username="dana")
    assert (user.email, user.nickname) == ("dana@example.com", "Dana")
    assert client.get(PROFILE).context["user"] == user


def test_sign_up_with_a_wrong_code_shows_the_error_at_the_code_field(client, db):
    code = start_signup(client)
    wrong = "000000" if code != "000000" else "111111"
    response = finish_signup(client, wrong)

    assert response.status_code == 422
    assert response.context["form"].errors["code"] == ["That code is not right. 4 tries left."]
    assert not User.objects.filter(username="dana").exists()


def test_a_used_code_cannot_make_a_second_account(client, db):
    code = start_signup(client)
    finish_signup(client, code)
    client.logout()

    other = client.__class__()
    other.post(SIGNUP, {"action": "send_code", "email": "erin@example.com"})
    session = other.session
    session["signup_email"] = "dana@example.com"  # try to reuse dana's code for her address
    session.save()
    response = finish_signup(other, code, username="dana2")
    assert response.status_code == 422
    assert User.objects.filter(email="dana@example.com").count() == 1


def test_sign_up_refuses_an_email_already_used_in_any_case(client, alice):
    response = client.post(SIGNUP, {"action": "send_code", "email": "ALICE@example.com"})
    assert response.status_code == 422
    assert response.context["email_form"].errors["email"] == ["An account with this email address already exists."]
    assert mail.outbox == []


def test_sign_up_refuses_a_username_taken_in_any_case(client, alice):
    code = start_signup(client)
    response = finish_signup(client, code, username="ALICE")
    assert response.status_code == 422
    assert response.context["form"].errors["username"] == ["This username is taken."]


def test_sign_up_checks_the_password_with_djangos_validators(client, db):
    code = start_signup(client)
    response = finish_signup(client, code, password1="12345678", password2="12345678")
    assert response.status_code == 422
    assert "This password is too common." in response.context["form"].errors["password1"]


def test_a_password_typo_does_not_spend_a_code_try(client, db):
    code = start_signup(client)
    finish_signup(client, code, password2="something else entirely")
    assert finish_signup(client, code).status_code == 302


def wrong(code):
    return "000000" if code != "000000" else "111111"


def test_a_wrong_code_and_a_short_password_show_both_errors_at_once(client, db):
    code = start_signup(client)
    response = finish_signup(client, wrong(code), password1="short", password2="short")

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["code"] == ["That code is not right. 4 tries left."]
    assert "This password is too short. It must contain at least 8 characters." in errors["password1"]
    assert finish_signup(client, code).status_code == 302  # both fixed: the account is made


def test_wrong_codes_cost_tries_whatever_else_is_wrong(client, db):
    code = start_signup(client)
    for _ in range(5):
        response = finish_signup(client, wrong(code), password1="short", password2="short")
    assert response.context["form"].errors["code"] == ["Too many wrong codes. Ask for a new one."]
    response = finish_signup(client, code)
    assert response.context["form"].errors["code"] == ["This code has expired or was already used. Ask for a new one."]
    assert not User.objects.filter(username="dana").exists()


def test_after_the_email_step_the_focus_is_in_the_code_field(client, db):
    response = client.post(SIGNUP, {"action": "send_code", "email": "dana@example.com"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert re.search(r'<input[^>]*name="code"[^>]*autofocus', html)
    assert html.count("autofocus") == 1


def test_a_form_with_errors_puts_the_focus_on_the_first_one(client, db):
    code = start_signup(client)
    html = finish_signup(client, code, password1="short", password2="short").content.decode()
    assert re.search(r'<input[^>]*name="password1"[^>]*autofocus', html)
    assert html.count("autofocus") == 1


def test_asking_for_a_new_code_within_a_minute_is_refused_with_a_reason(client, db):
    start_signup(client)
    response = client.post(SIGNUP, {"action": "resend"})
    assert response.status_code == 422
    assert "You can ask for a new one in" in response.content.decode()
    assert len(mail.outbox) == 1


def test_one_ip_gets_at_most_ten_sign_up_codes_an_hour(client, db):
    for n in range(10):
        response = client.post(SIGNUP, {"action": "send_code", "email": f"p{n}@example.com"}, REMOTE_ADDR="10.0.5.1")
        assert response.status_code == 200

    refused = client.post(SIGNUP, {"action": "send_code", "email": "p10@example.com"}, REMOTE_ADDR="10.0.5.1")

    assert refused.status_code == 422
    assert "Too many emails were asked for from your network (at most 10 emails an hour)" in refused.text
    assert len(mail.outbox) == 10
    # The address itself was not spent: from another network it gets its code at once.
    elsewhere = client.post(SIGNUP, {"action": "send_code", "email": "p10@example.com"}, REMOTE_ADDR="10.0.5.2")
    assert elsewhere.status_code == 200 and len(mail.outbox) == 11


def test_password_reset_emails_are_capped_per_address_and_per_ip(client, alice):
    for n in range(4):  # from four networks: the address gets three
        response = client.post("/accounts/password-reset/", {"email": "alice@example.com"}, REMOTE_ADDR=f"10.0.6.{n}")
        assert response.status_code == 302
    assert len(mail.outbox) == 3

    for n in range(10):
        client.post("/accounts/password-reset/", {"email": f"nobody{n}@example.com"}, REMOTE_ADDR="10.0.7.1")
    refused = client.post("/accounts/password-reset/", {"email": "nobody@example.com"}, REMOTE_ADDR="10.0.7.1")
    assert refused.status_code == 422
    assert "Too many emails were asked for from your network" in refused.text


def test_sign_up_errors_come_back_as_a_fragment_for_htmx(client, db):
    response = client.post(SIGNUP, {"action": "send_code", "email": "not-an-email"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<div class="card" id="signup-card">')
    assert "Enter a valid email address." in html
    assert "<html" not in html


# --- Login and throttling -------------------------------------------------------------------


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.com", "Alice@Example.com"])
def test_login_with_username_or_email_in_any_case(client, alice, login):
    response = client.post(LOGIN, {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_deactivated_user_cannot_log_in(client, alice):
    alice.is_active = False
    alice.save()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 422
    assert "_auth_user_id" not in client.session


def test_htmx_login_redirects_the_whole_page(client, alice):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("rooms:chat")


def fail_logins(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)


def test_ten_failures_for_a_username_lock_it_even_with_the_right_password(client, alice):
    fail_logins(client, "alice", 10)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 422
    assert "Too many failed logins. Try again later" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_nine_failures_still_let_the_right_password_in(client, alice):
    fail_logins(client, "alice", 9)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


def test_ten_failures_from_one_ip_lock_that_ip_for_every_username(client, alice, bob):
    for name in ["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10"]:
        fail_logins(client, name, 1, ip="10.0.0.7")
    locked = client.post(LOGIN, {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7")
    assert locked.status_code == 422
    other_ip = client.post(LOGIN, {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert other_ip.status_code == 302


def test_a_throttled_login_does_not_check_the_password(client, alice, monkeypatch):
    fail_logins(client, "alice", 10)
    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, raw: checked.append(raw) or True)
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert checked == []


def test_the_lock_lifts_when_the_window_passes(client, alice, settings, clock):
    fail_logins(client, "alice", 10)
    clock.advance(settings.LOGIN_FAILURE_WINDOW - 1)
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 422
    clock.advance(1)
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 302


# The throttle lives in the authentication backend, which every login passes, and counts the
# account a login reaches, however its name was typed.


def test_the_admin_login_is_throttled_with_the_sites_login(client, db, settings):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR=f"10.0.1.{n}")
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert "_auth_user_id" not in client.session
    assert "Too many failed logins. Try again later" in response.content.decode()
    site = client.post(LOGIN, {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.0.2.2")
    assert site.status_code == 422 and "_auth_user_id" not in client.session


def test_failures_at_the_sites_login_lock_the_admin_login_too(client, db):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    fail_logins(client, "root", 10)
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert "Too many failed logins. Try again later" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "failed_as, then",
    [("bob", "BOB@example.com"), ("BOB@EXAMPLE.COM", "bob"), ("Bob", "ｂｏｂ"), ("ＢＯＢ", "bob@example.com")],
)
def test_failures_count_against_the_account_however_its_name_is_typed(client, bob, failed_as, then):
    for n in range(10):
        client.post(LOGIN, {"username": failed_as, "password": "wrong"}, REMOTE_ADDR=f"10.0.3.{n}")
    response = client.post(LOGIN, {"username": then, "password": PASSWORD}, REMOTE_ADDR="10.0.4.1")
    assert response.status_code == 422
    assert "Too many failed logins. Try again later" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_under_several_spellings_add_up(client, bob):
    for n, spelling in enumerate(["bob", "BOB", "bob@example.com", "Bob@Example.com", "ｂｏｂ"] * 2):
        client.post(LOGIN, {"username": spelling, "password": "wrong"}, REMOTE_ADDR=f"10.0.3.{n}")
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="10.0.4.1").status_code == 422


@pytest.mark.parametrize("spelling", ["alıce", "alıce@example.com", "ALİCE", "alice\u200b"])
def test_a_name_that_only_folds_to_alice_in_the_database_does_not_reach_her(client, alice, spelling):
    """PostgreSQL's UPPER('alıce') is 'ALICE': a lookup by iexact let the dotless ı in."""
    response = client.post(LOGIN, {"username": spelling, "password": PASSWORD})
    assert response.status_code == 422
    assert "_auth_user_id" not in client.session


def test_a_username_that_folds_to_a_taken_one_cannot_sign_up(client, alice):
    code = start_signup(client)
    response = finish_signup(client, code, username="ＡＬＩＣＥ")
    assert response.status_code == 422
    assert "This username is taken." in response.content.decode()


def test_logout_is_a_post(client, alice):
    client.force_login(alice)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get(PROFILE).status_code == 302


# --- Profile --------------------------------------------------------------------------------


def image_upload(size=(600, 400), fmt="PNG", name="me.png"):
    out = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_change_nickname(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "profile", "nickname": "  Ally  "}, follow=True)
    alice.refresh_from_db()
    assert alice.nickname == "Ally"
    assert '<span class="nav-nickname">Ally</span>' in response.content.decode()


def test_nickname_longer_than_50_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "profile", "nickname": "x" * 51})
    assert response.status_code == 422
    assert "at most 50 characters" in response.content.decode()


def test_avatar_is_stored_resized_to_a_square(client, alice, media):
    client.force_login(alice)
    client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": image_upload((900, 600))})
    alice.refresh_from_db()
    with Image.open(alice.avatar.path) as stored:
        assert stored.size == (256, 256)


def test_the_avatar_field_is_a_plain_file_input_with_a_remove_box(client, alice, media):
    client.force_login(alice)
    html = client.get(PROFILE).content.decode()
    assert "Currently" not in html and "Clear" not in html
    assert 'name="remove_avatar"' not in html  # nothing to remove yet
    client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": image_upload()})
    html = client.get(PROFILE).content.decode()
    assert "Currently" not in html and "Clear" not in html
    assert re.search(r'<input type="checkbox" name="remove_avatar"', html)


def test_the_avatar_can_be_removed(client, alice, media):
    client.force_login(alice)
    client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": image_upload()})
    client.post(PROFILE, {"action": "profile", "nickname": "Alice", "remove_avatar": "on"})
    alice.refresh_from_db()
    assert not alice.avatar


def test_a_new_avatar_wins_over_remove(client, alice, media):
    client.force_login(alice)
    client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": image_upload(), "remove_avatar": "on"})
    alice.refresh_from_db()
    assert alice.avatar


def test_the_profile_page_puts_no_focus_on_a_password_field(client, alice):
    client.force_login(alice)
    html = client.get(PROFILE).content.decode()
    assert "autofocus" not in html


def test_avatar_that_is_not_an_image_is_refused(client, alice, media):
    client.force_login(alice)
    fake = SimpleUploadedFile("me.png", b"<?php echo 'hi'; ?>", content_type="image/png")
    response = client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": fake})
    assert response.status_code == 422
    assert "Upload a valid image" in response.content.decode()
    alice.refresh_from_db()
    assert not alice.avatar


def test_avatar_over_2_mb_is_refused(client, alice, media):
    client.force_login(alice)
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024), content_type="image/png")
    response = client.post(PROFILE, {"action": "profile", "nickname": "Alice", "avatar": big})
    assert response.status_code == 422
    assert "at most 2 MB" in response.content.decode()


def test_email_change_is_confirmed_by_a_code_sent_to_the_new_address(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "email", "email": "Alice.New@example.com"})
    assert response.status_code == 200
    assert mail.outbox[-1].to == ["alice.new@example.com"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # not yet

    response = client.post(PROFILE, {"action": "email_confirm", "code": last_code()})
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    assert "Your email address is now alice.new@example.com." in response.content.decode()


def test_email_change_to_an_address_in_use_is_refused(client, alice, bob):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "email", "email": "BOB@example.com"})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()


def test_email_change_with_a_wrong_code_keeps_the_old_address(client, alice):
    client.force_login(alice)
    client.post(PROFILE, {"action": "email", "email": "new@example.com"})
    wrong = "000000" if last_code() != "000000" else "111111"
    response = client.post(PROFILE, {"action": "email_confirm", "code": wrong})
    assert response.status_code == 422
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_password_change_keeps_the_session(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "password", "old_password": PASSWORD,
                                     "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert "Password changed." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(GOOD_PASSWORD)
    assert client.get(PROFILE).status_code == 200


def test_password_change_with_the_wrong_old_password_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "password", "old_password": "nope",
                                     "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert response.status_code == 422
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_profile_errors_come_back_as_the_section_for_htmx(client, alice):
    client.force_login(alice)
    response = client.post(PROFILE, {"action": "profile", "nickname": ""}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<section class="card" id="profile-section">')
    assert "This field is required." in html


def test_password_reset_by_the_emailed_link(client, alice):
    response = client.post("/accounts/password-reset/", {"email": "ALICE@example.com"})
    assert response.status_code == 302
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize("url", ["/accounts/signup/", "/accounts/login/", "/accounts/password-reset/", "/healthz"])
def test_public_pages_need_no_login(client, db, url):
    assert client.get(url).status_code == 200
