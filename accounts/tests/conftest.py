import atexit
import os
import shutil
import tempfile

import pytest

# Exports of this run go to a scratch folder: the tests' own (see `_files` below) and, through
# the environment it inherits, the live server's for the browser tests.
os.environ.setdefault("EXPORTS_ROOT", tempfile.mkdtemp(prefix="chat-exports-"))
atexit.register(shutil.rmtree, os.environ["EXPORTS_ROOT"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    """Each test's avatars, attachments and exports in folders of its own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ATTACHMENTS_ROOT = str(tmp_path / "attachments")
    settings.EXPORTS_ROOT = str(tmp_path / "exports")
