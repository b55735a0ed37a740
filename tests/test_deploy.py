"""Production configuration from the environment, and logs without personal data (no server)."""

import json
import logging
import stat

import pytest
import yaml

from bot.ops import deploy
from bot.ops.logs import JsonFormatter, redact

ENV = {
    "TRACKER_STORE_URL": "postgresql://rasa:s3cret@db.local:5433/conversations",
    "REDIS_URL": "redis://:r3dis@cache.local:6380/0",
    "BOUSSOLE_ACTION_URL": "http://127.0.0.1:5150/webhook",
    "BOUSSOLE_RATE_LIMIT": "12/30",
}


def test_production_endpoints_come_from_the_environment(tmp_path):
    endpoints_file, credentials_file = deploy.write(tmp_path, ENV)
    endpoints = yaml.safe_load(endpoints_file.read_text())
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5150/webhook"
    assert endpoints["tracker_store"] == {
        "type": "bot.rasa_ext.trackers.StrictSQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.local",
        "port": 5433,
        "db": "conversations",
        "username": "rasa",
        "password": "s3cret",
    }
    lock = endpoints["lock_store"]
    assert lock["type"] == "bot.rasa_ext.locks.AtomicRedisLockStore"
    assert (lock["url"], lock["port"], lock["password"], lock["db"]) == (
        "cache.local",
        6380,
        "r3dis",
        1,
    )
    credentials = yaml.safe_load(credentials_file.read_text())
    assert "rest" not in credentials
    rest = credentials["bot.rasa_ext.guarded_rest.GuardedRestInput"]
    assert rest == {"limit": 12, "window": 30.0}
    # They hold passwords: readable by their owner only.
    for path in (endpoints_file, credentials_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_settings_give_the_same_configuration_as_their_variables(tmp_path):
    from bot.settings import Settings

    by_mapping = [p.read_text() for p in deploy.write(tmp_path / "a", ENV)]
    from_env = [p.read_text() for p in deploy.write(tmp_path / "b", Settings.from_env(ENV))]
    built = Settings(
        tracker_store_url=ENV["TRACKER_STORE_URL"],
        redis_url=ENV["REDIS_URL"],
        rate_limit="12/30",
        environ={"BOUSSOLE_ACTION_URL": ENV["BOUSSOLE_ACTION_URL"]},
    )
    assert by_mapping == from_env == [p.read_text() for p in deploy.write(tmp_path / "c", built)]


@pytest.mark.parametrize("missing", ["TRACKER_STORE_URL", "REDIS_URL"])
def test_a_missing_variable_is_named(missing, tmp_path):
    env = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(deploy.DeployError, match=missing):
        deploy.write(tmp_path, env)
    assert not (tmp_path / "endpoints.yml").exists()


def test_wrong_schemes_and_rate_limits_are_refused():
    with pytest.raises(deploy.DeployError, match="postgresql"):
        deploy.endpoints({**ENV, "TRACKER_STORE_URL": "mysql://x@h/db"})
    with pytest.raises(deploy.DeployError, match="redis://"):
        deploy.endpoints({**ENV, "REDIS_URL": "http://h:1"})
    with pytest.raises(deploy.DeployError, match="20/60"):
        deploy.credentials({**ENV, "BOUSSOLE_RATE_LIMIT": "beaucoup"})


def test_the_embedded_default_endpoints_stay_sqlite_without_servers():
    from bot import settings

    endpoints = yaml.safe_load((settings.ROOT / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["dialect"] == "sqlite"
    assert "lock_store" not in endpoints


def test_json_logs_mask_contact_details():
    assert (
        redact("écrire à lea.martin@example.org ou au 06 12 34 56 78, +33 6 12 34 56 78")
        == "écrire à [e-mail] ou au [téléphone], [téléphone]"
    )
    record = logging.LogRecord(
        "boussole.rest", logging.WARNING, __file__, 1, "refusé pour %s", ("nina@example.org",), None
    )
    record.event, record.status = "rate_limited", 429
    line = json.loads(JsonFormatter(service="rasa-1").format(record))
    assert line["msg"] == "refusé pour [e-mail]" and line["service"] == "rasa-1"
    assert line["event"] == "rate_limited" and line["status"] == 429 and line["level"] == "warning"
