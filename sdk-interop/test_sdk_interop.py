"""The official Python SDK (symbiont-sdk 1.16) against the real runtime: every Client call that
this runtime serves, and the SDK's error mapping for our error responses."""

import time

import pytest
from symbiont import Client
from symbiont.exceptions import AuthenticationError, NotFoundError, RateLimitError, APIError
from symbiont.models import Agent, AgentState


def client(runtime, key=None):
    return Client(api_key=key or runtime.admin_key, base_url=runtime.base_url)


def test_health_status_and_metrics_parse(runtime):
    c = client(runtime)
    health = c.health_check()
    assert health.status == "healthy"
    assert health.version
    status = c.get_status()
    assert status.healthy is True
    assert status.agent_count == 0
    metrics = c.get_metrics()
    assert metrics.memory_usage_bytes > 0
    assert metrics.total_agents == 0


def test_agent_lifecycle_with_the_sdk_model(runtime):
    c = client(runtime)
    agent = Agent(
        id="interop-agent",
        name="Interop",
        description="created by the official SDK",
        system_prompt="You are terse.",
        tools=["search"],
        model="any-model",
        temperature=0.3,
        top_p=0.9,
        max_tokens=256,
    )
    created = c.create_agent(agent)
    assert created == {"id": "interop-agent", "status": "created"}
    c.create_agent({"id": "second", "name": "Second", "description": "", "system_prompt": "p", "tools": [],
                    "model": "m", "temperature": 0.0, "top_p": 1.0, "max_tokens": 1})
    assert c.list_agents() == ["interop-agent", "second"]

    status = c.get_agent_status("interop-agent")
    assert status.agent_id == "interop-agent"
    assert status.state == AgentState.IDLE
    assert status.resource_usage.active_tasks == 0

    assert c.delete_agent("interop-agent") == {"id": "interop-agent", "status": "deleted"}
    assert c.list_agents() == ["second"]
    with pytest.raises(NotFoundError):
        c.get_agent_status("interop-agent")


def test_duplicate_agent_is_a_409(runtime):
    c = client(runtime)
    body = {"id": "dup", "name": "d", "description": "", "system_prompt": "p", "tools": [], "model": "m",
            "temperature": 0.0, "top_p": 1.0, "max_tokens": 1}
    c.create_agent(body)
    with pytest.raises(APIError) as err:
        c.create_agent(body)
    assert err.value.status_code == 409


def test_bad_and_revoked_keys_raise_authentication_error(runtime):
    with pytest.raises(AuthenticationError) as err:
        client(runtime, key="0123456789abcdef." + "0" * 64).list_agents()
    assert str(err.value) == "Authentication failed - check your credentials"

    token = runtime.symbi("keys", "create", "--description", "revoke me").stdout.strip()
    key_id = token.split(".")[0]
    deadline = time.monotonic() + 2
    while True:
        try:
            client(runtime, key=token).list_agents()
            break
        except AuthenticationError:
            assert time.monotonic() < deadline, "new key never accepted"
            time.sleep(0.02)
    runtime.symbi("keys", "revoke", key_id)
    deadline = time.monotonic() + 1
    while True:
        try:
            client(runtime, key=token).list_agents()
        except AuthenticationError:
            break
        assert time.monotonic() < deadline, "revoked key still accepted"
        time.sleep(0.02)


def test_scoped_key_sees_only_its_agents(runtime):
    admin = client(runtime)
    for name in ("mine", "theirs"):
        admin.create_agent({"id": name, "name": name, "description": "", "system_prompt": "p", "tools": [],
                            "model": "m", "temperature": 0.0, "top_p": 1.0, "max_tokens": 1})
    token = runtime.symbi("keys", "create", "--agent", "mine").stdout.strip()
    deadline = time.monotonic() + 2
    while True:
        try:
            ids = client(runtime, key=token).list_agents()
            break
        except AuthenticationError:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert ids == ["mine"]
    assert client(runtime, key=token).get_agent_status("mine").agent_id == "mine"


@pytest.mark.parametrize(
    "runtime", [{"SYMBIONT_RATE_LIMIT_BURST": "3", "SYMBIONT_RATE_LIMIT_PER_SECOND": "1"}], indirect=True
)
def test_rate_limit_raises_rate_limit_error(runtime):
    c = client(runtime)
    with pytest.raises(RateLimitError):
        for _ in range(10):
            c.health_check()
