"""
The zh_Hans catalogues are complete: makemessages, run over a copy of the code the way
`make messages` runs it, finds no marked string missing from locale/zh_Hans, none untranslated
or fuzzy, and the committed .mo files hold exactly what their .po files say (a .po edited
without compilemessages is caught). Needs gettext (xgettext, msgmerge, msgfmt): `.ci/run`
installs it; elsewhere the test says it is missing and skips, in CI it fails.
"""

import gettext
import os
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

from chatsite import catalogues

BASE_DIR = catalogues.BASE_DIR
LOCALE_DIR = BASE_DIR / "locale" / catalogues.LOCALE / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]
# What a copy needs for makemessages: the apps, templates, static files, the catalogues.
COPIED = ["manage.py", "chatsite", "core", "realtime", "accounts", "friends", "rooms", "moderation", "templates", "static", "locale"]


@pytest.fixture(scope="module")
def gettext_tools():
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if missing:
        message = f"gettext is not installed ({', '.join(missing)} missing): apt-get install gettext"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def regenerated(gettext_tools, tmp_path_factory):
    """The catalogues as makemessages leaves them after reading a copy of today's code."""
    copy = tmp_path_factory.mktemp("catalogues")
    for name in COPIED:
        source = BASE_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "tests", "*.pyc"))
        else:
            shutil.copy2(source, copy / name)
    catalogues.run(catalogues.makemessages_commands(), cwd=copy)
    return {domain: polib.pofile(str(copy / "locale" / catalogues.LOCALE / "LC_MESSAGES" / f"{domain}.po")) for domain in DOMAINS}


def label(entry):
    return repr(entry.msgid) + (f" / {entry.msgid_plural!r}" if entry.msgid_plural else "")


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_is_in_the_catalogue(regenerated, domain):
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(LOCALE_DIR / f"{domain}.po")) if not e.obsolete}
    missing = [label(e) for e in regenerated[domain] if not e.obsolete and (e.msgctxt, e.msgid) not in committed]
    assert not missing, f"marked but not in locale/zh_Hans/LC_MESSAGES/{domain}.po (run `make messages`, then translate): {missing}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_is_translated(regenerated, domain):
    entries = [e for e in regenerated[domain] if not e.obsolete]
    untranslated = [label(e) for e in entries if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [label(e) for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated in {domain}.po: {untranslated}"
    assert not fuzzy, f"fuzzy (check the translation, then remove the flag) in {domain}.po: {fuzzy}"


def catalogue_of(mo_path):
    with open(mo_path, "rb") as mo:
        return {key: value for key, value in gettext.GNUTranslations(mo)._catalog.items() if key != ""}


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_mo_files_are_compiled_from_the_po_files(gettext_tools, tmp_path, domain):
    fresh = tmp_path / f"{domain}.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(LOCALE_DIR / f"{domain}.po")], check=True)
    committed = LOCALE_DIR / f"{domain}.mo"
    assert committed.exists(), f"{committed} is missing: run `make messages` and commit it"
    assert catalogue_of(committed) == catalogue_of(fresh), f"{domain}.mo is stale: run `make messages` and commit it"


def test_the_catalogue_test_sees_a_string_nobody_translated(gettext_tools, tmp_path):
    """The check itself: a newly marked string shows as missing and untranslated."""
    (tmp_path / "manage.py").write_text((BASE_DIR / "manage.py").read_text())
    shutil.copytree(BASE_DIR / "chatsite", tmp_path / "chatsite", ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copytree(BASE_DIR / "locale", tmp_path / "locale")
    for app in ("core", "realtime", "accounts", "friends", "rooms", "moderation"):
        shutil.copytree(BASE_DIR / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "new.html").write_text('{% load i18n %}{% translate "A sentence nobody translated" %}')
    catalogues.run(catalogues.makemessages_commands()[:1], cwd=tmp_path)
    po = polib.pofile(str(tmp_path / "locale" / catalogues.LOCALE / "LC_MESSAGES" / "django.po"))
    entry = po.find("A sentence nobody translated")
    assert entry is not None and not entry.translated()


def test_a_chinese_reader_gets_the_catalogues_words(client):
    """The compiled catalogue is what the site serves: no gettext needed to run it."""
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "语言" in page
    script = client.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "\\u65e0\\u6cd5\\u8fde\\u63a5" in script or "无法连接" in script  # "Cannot reach the server"
    english = client.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "无法连接" not in english and "\\u65e0\\u6cd5" not in english
