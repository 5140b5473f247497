"""Drive a rewardkit server with NeMo Gym's own agent (run by the nemo-gym venv's Python, 3.12+).

    python nemo_gym_agent.py RESOURCES_URL < rollouts.json > results.json

``rollouts.json`` is a list of ``{"question", "expected_answer", "reply"}``: a stand-in model server
(NeMo Gym's Responses API, fixed replies by question) answers each question with ``reply``;
NeMo Gym's ``SimpleAgent`` runs every rollout end to end (``/seed_session`` on the resources
server, ``/v1/responses`` on the model, ``/verify`` on the resources server) and its own
``/aggregate_metrics`` proxies to the resources server. Everything here is NeMo Gym's code but the
stand-in model; the answers are validated with NeMo Gym's pydantic models. Prints
``{"runs": [...], "aggregate": ..., "nemo_aggregate": ...}`` where ``nemo_aggregate`` is NeMo Gym's
own ``compute_aggregate_metrics`` over the same verify responses.
"""


import asyncio
import json
import socket
import sys
import time
from typing import Any


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _model_app(replies: dict[str, str]) -> Any:
    from fastapi import FastAPI, Request
    from nemo_gym.openai_utils import NeMoGymResponse

    app = FastAPI()

    @app.post("/v1/responses")
    async def responses(request: Request) -> dict[str, Any]:
        body = await request.json()
        question = [m for m in body["input"] if m.get("role") == "user"][-1]["content"]
        text = replies[question]
        response = NeMoGymResponse.model_validate({
            "id": f"resp_{abs(hash(question))}", "created_at": time.time(), "model": "stand-in", "object": "response",
            "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "parallel_tool_calls": False, "tool_choice": "auto", "tools": []})
        return response.model_dump(mode="json")

    return app


async def _serve(app: Any, port: int) -> Any:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    return server, task


async def main(resources_url: str, rollouts: list[dict[str, Any]]) -> dict[str, Any]:
    from nemo_gym.base_resources_server import AggregateMetrics
    from nemo_gym.config_types import BaseServerConfig
    from nemo_gym.reward_profile import compute_aggregate_metrics
    from nemo_gym.server_utils import (
        GlobalAIOHTTPAsyncClientConfig,
        ServerClient,
        get_response_json,
        raise_for_status,
        set_global_aiohttp_client,
    )
    from omegaconf import OmegaConf
    from responses_api_agents.simple_agent.app import SimpleAgent, SimpleAgentConfig, SimpleAgentVerifyResponse

    host, _, port = resources_url.removeprefix("http://").partition(":")
    model_port, agent_port = _port(), _port()
    servers = {"rewardkit": (host, int(port)), "stand_in_model": ("127.0.0.1", model_port),
               "agent": ("127.0.0.1", agent_port)}
    global_config = OmegaConf.create({name: {"kind": {"instance": {"host": h, "port": p}}}
                                      for name, (h, p) in servers.items()})
    set_global_aiohttp_client(GlobalAIOHTTPAsyncClientConfig())
    client = ServerClient(head_server_config=BaseServerConfig(host="127.0.0.1", port=1), global_config_dict=global_config)
    agent = SimpleAgent(config=SimpleAgentConfig(
        name="agent", host="127.0.0.1", port=agent_port, entrypoint="app.py",
        resources_server={"type": "resources_servers", "name": "rewardkit"},
        model_server={"type": "responses_api_models", "name": "stand_in_model"}), server_client=client)
    running = [await _serve(_model_app({r["question"]: r["reply"] for r in rollouts}), model_port),
               await _serve(agent.setup_webserver(), agent_port)]
    try:
        runs = []
        for i, r in enumerate(rollouts):
            got = await client.post(server_name="agent", url_path="/run", json={
                "responses_create_params": {"input": [{"role": "user", "content": r["question"]}]},
                "expected_answer": r["expected_answer"], "_ng_task_index": i, "_ng_rollout_index": 0})
            await raise_for_status(got)
            runs.append(SimpleAgentVerifyResponse.model_validate(await get_response_json(got)).model_dump(mode="json"))
        got = await client.post(server_name="agent", url_path="/aggregate_metrics", json={"verify_responses": runs})
        await raise_for_status(got)
        aggregate = AggregateMetrics.model_validate(await get_response_json(got)).model_dump(mode="json")
        nemo = compute_aggregate_metrics(runs).model_dump(mode="json")
        return {"runs": runs, "aggregate": aggregate, "nemo_aggregate": nemo}
    finally:
        for server, task in running:
            server.should_exit = True
            await task


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], json.load(sys.stdin))), default=str))
