"""Agent frameworks' structured output through the server, the fake answering as a model would."""

from __future__ import annotations

import asyncio

import jsonschema
from pydantic import BaseModel, Field

from tests.fixtures import AUTH

MODEL = "claude-4.5-sonnet"


class City(BaseModel):
    name: str
    country: str
    population: int = Field(ge=0)
    landmarks: list[str]


class Trip(BaseModel):
    """A trip plan."""

    title: str
    days: int = Field(ge=1, le=14)
    cities: list[City]
    budget_eur: float | None


def _chats(fake):
    return [r.message.stream_unified_chat_request for r in fake.requests_to("StreamUnifiedChatWithTools")]


def test_langchain_with_structured_output_json_schema(live, pool_token, fake) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model=MODEL, base_url=f"{live.url}/v1", api_key=AUTH, max_retries=0, timeout=20)
    trip = llm.with_structured_output(Trip, method="json_schema").invoke("Plan three days in Portugal.")
    assert isinstance(trip, Trip)
    jsonschema.validate(trip.model_dump(mode="json"), Trip.model_json_schema())
    (sent,) = _chats(fake)
    assert '"cities"' in sent.explicit_context.context  # the schema reached the model


def test_langchain_streams_structured_output(live, pool_token, fake) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model=MODEL, base_url=f"{live.url}/v1", api_key=AUTH, max_retries=0, timeout=20)
    parts = list(
        llm.with_structured_output(Trip, method="json_schema").stream(
            "Plan a week in Chile.\n#fake: json=fenced"
        )
    )
    assert isinstance(parts[-1], Trip)


def test_openai_agents_sdk_output_type(live, pool_token, fake) -> None:
    from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)  # the SDK would send traces to OpenAI

    async def run() -> Trip:
        client = AsyncOpenAI(base_url=f"{live.url}/v1", api_key=AUTH, max_retries=0, timeout=20)
        agent = Agent(
            name="planner",
            instructions="You plan trips.",
            model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client),
            output_type=Trip,
        )
        result = await Runner.run(agent, "Plan two days in Oslo.")
        await client.close()
        return result.final_output

    trip = asyncio.run(run())
    assert isinstance(trip, Trip)
    jsonschema.validate(trip.model_dump(mode="json"), Trip.model_json_schema())
    (sent,) = _chats(fake)
    assert "You plan trips." in sent.explicit_context.context
    assert '"landmarks"' in sent.explicit_context.context
