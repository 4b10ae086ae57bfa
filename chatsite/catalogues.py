"""
The translation catalogues (locale/zh_Hans/LC_MESSAGES: django.po for templates and Python,
djangojs.po for static/js), made and compiled the same way by `make messages` and by the
catalogue test (chatsite/tests/test_catalogues.py). The compiled .mo files are committed, so
running the site needs no gettext; making them needs it (Debian's gettext package).

    .venv/bin/python -m chatsite.catalogues      # makemessages, then compilemessages
"""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE = "zh_Hans"
# What makemessages reads: the apps, templates and static/js. Not the tests, benchmarks,
# documentation or collected static files.
IGNORE = ["staticfiles/*", "docs/*", "media/*", "bench/*", "deploy/*", "*/tests/*", "attachments/*", "exports/*", "locale/*"]


def makemessages_commands(python=sys.executable):
    ignore = [f"--ignore={pattern}" for pattern in IGNORE]
    return [
        [python, "manage.py", "makemessages", "-l", LOCALE, "-d", "django", "--no-location", *ignore],
        [python, "manage.py", "makemessages", "-l", LOCALE, "-d", "djangojs", "--no-location", *ignore],
    ]


def compilemessages_command(python=sys.executable):
    return [python, "manage.py", "compilemessages", "-l", LOCALE]


def run(commands, cwd=BASE_DIR):
    env = {**os.environ, "DEBUG": "1"}
    for command in commands:
        subprocess.run(command, cwd=cwd, env=env, check=True)


if __name__ == "__main__":
    run([*makemessages_commands(), compilemessages_command()])
