import pytest
from django.core import mail

from accounts.codes import CodeError, signup_codes


def test_a_six_digit_code_is_emailed_and_accepted_once(clock):
    code = signup_codes.send("Dana@example.com")
    assert len(code) == 6 and code.isdigit()
    assert mail.outbox[-1].to == ["dana@example.com"]
    assert code in mail.outbox[-1].body

    signup_codes.verify("dana@example.com", code)
    with pytest.raises(CodeError, match="expired or was already used"):
        signup_codes.verify("dana@example.com", code)


def test_a_wrong_code_says_how_many_tries_are_left(clock):
    code = signup_codes.send("dana@example.com")
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(CodeError, match="4 tries left"):
        signup_codes.verify("dana@example.com", wrong)
    signup_codes.verify("dana@example.com", code)


def test_the_code_is_burnt_after_five_wrong_tries(clock):
    code = signup_codes.send("dana@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(CodeError, match="left"):
            signup_codes.verify("dana@example.com", wrong)
    with pytest.raises(CodeError, match="Too many wrong codes"):
        signup_codes.verify("dana@example.com", wrong)
    with pytest.raises(CodeError, match="expired or was already used"):
        signup_codes.verify("dana@example.com", code)


def test_a_code_expires_after_five_minutes(clock):
    code = signup_codes.send("dana@example.com")
    clock.advance(5 * 60 + 1)
    with pytest.raises(CodeError, match="expired"):
        signup_codes.verify("dana@example.com", code)


def test_a_new_code_can_be_asked_for_at_most_once_a_minute(clock):
    signup_codes.send("dana@example.com")
    with pytest.raises(CodeError, match="in 60 seconds"):
        signup_codes.send("dana@example.com")
    assert len(mail.outbox) == 1


def test_a_code_for_one_address_does_not_confirm_another(clock):
    code = signup_codes.send("dana@example.com")
    with pytest.raises(CodeError):
        signup_codes.verify("erin@example.com", code)
