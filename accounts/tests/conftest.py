import pytest


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    """Each test's avatars, attachments and exports in folders of its own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ATTACHMENTS_ROOT = str(tmp_path / "attachments")
    settings.EXPORTS_ROOT = str(tmp_path / "exports")
