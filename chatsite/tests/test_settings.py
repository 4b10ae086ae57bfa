"""The settings read the environment: checked in fresh processes, as a deployment would."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7#Qz9!vL2@pX4$wN8^rT6&yB1*mC3(dF5)hJ0_sG-aE+uR=iO",
    "ALLOWED_HOSTS": "chat.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://chat.example.com",
}
EXAMPLE_ENV = BASE_DIR / "deploy" / "chat.env.example"


def run(args, **env):
    unset = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "REDIS_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env={**clean, **env}, capture_output=True, text=True, timeout=60)


def settings_seen(**env):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'age': s.DATABASES['default'].get('CONN_MAX_AGE'),"
        "'health': s.DATABASES['default'].get('CONN_HEALTH_CHECKS', False),"
        "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'cache': s.CACHES['default']['BACKEND'],"
        "'hosts': s.CHANNEL_LAYERS['default'].get('CONFIG', {}).get('hosts'), 'debug': s.DEBUG}))"
    )
    result = run(["-c", code], DJANGO_SETTINGS_MODULE="chatsite.settings", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_are_sqlite_in_memory_layer_and_local_cache():
    seen = settings_seen(DEBUG="1")
    assert seen["db"] == "django.db.backends.sqlite3"
    assert seen["layer"] == "channels.layers.InMemoryChannelLayer"
    assert seen["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert seen["debug"] is True


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    seen = settings_seen(DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/chatsite", REDIS_URL="redis://127.0.0.1:6379/0")
    assert seen["db"] == "django.db.backends.postgresql"
    assert seen["age"] == 600 and seen["health"] is True
    assert seen["layer"] == "realtime.layer.RedisLayer"
    assert seen["hosts"][0]["socket_timeout"] is None
    assert seen["hosts"][0]["max_connections"] > 100
    assert seen["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_debug_is_off_unless_the_environment_sets_it():
    assert settings_seen(**{k: v for k, v in PRODUCTION.items() if k != "DEBUG"})["debug"] is False
    # Nothing set at all is production too: it refuses to start without its settings.
    result = run(["manage.py", "check"])
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr
    assert "for development set DEBUG=1" in result.stderr


def example_environment():
    """deploy/chat.env.example as the environment it describes (SQLite, so it can start here)."""
    lines = [line for line in EXAMPLE_ENV.read_text().splitlines() if line.strip() and not line.startswith("#")]
    example = dict(line.split("=", 1) for line in lines)
    example.pop("DATABASE_URL")
    example.pop("REDIS_URL")
    example["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="chat-metrics-")  # not /run here
    return example


def test_the_example_environments_secret_key_placeholder_is_refused_at_start_up():
    example = example_environment()
    for debug in ("0", "1"):
        result = run(["manage.py", "check"], **{**example, "DEBUG": debug})
        assert result.returncode != 0
        assert "SECRET_KEY is still the placeholder of deploy/chat.env.example" in result.stderr
    # With a real key the same environment starts.
    result = run(["manage.py", "check"], **{**example, "SECRET_KEY": PRODUCTION["SECRET_KEY"]})
    assert result.returncode == 0, result.stderr


def test_production_without_trusted_origins_fails_to_start_with_a_clear_message():
    result = run(["manage.py", "check"], **{k: v for k, v in PRODUCTION.items() if k != "CSRF_TRUSTED_ORIGINS"})
    assert result.returncode != 0
    assert "CSRF_TRUSTED_ORIGINS must be set" in result.stderr


def test_production_without_a_secret_key_fails_to_start_with_a_clear_message():
    result = run(["manage.py", "check"], DEBUG="0", ALLOWED_HOSTS="chat.example.com", CSRF_TRUSTED_ORIGINS="https://chat.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr


def test_production_without_allowed_hosts_fails_to_start_with_a_clear_message():
    result = run(["manage.py", "check"], DEBUG="0", SECRET_KEY=PRODUCTION["SECRET_KEY"], CSRF_TRUSTED_ORIGINS="https://chat.example.com")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_settings_pass_check_deploy():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_turning_off_the_ssl_redirect_for_a_proxy_is_reported_by_check_deploy():
    result = run(["manage.py", "check", "--deploy"], SECURE_SSL_REDIRECT="0", **PRODUCTION)
    assert "security.W008" in result.stdout + result.stderr


def test_a_server_process_keeps_what_its_start_made_out_of_the_collector_s_full_passes():
    """chatsite.asgi freezes the objects of the start (gc.freeze): a full collection under load
    walked all of them and stopped the process for tens of milliseconds."""
    code = "import gc, chatsite.asgi; print(gc.get_freeze_count())"
    result = run(["-c", code], DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 50_000
