"""The `openai-agents` SDK running an agent with one function tool, over /v1/responses."""

from __future__ import annotations

import asyncio

import openai
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

from tests.fixtures import AUTH


def test_an_agent_calls_its_function_tool_and_answers(live, pool_token, tool_fake) -> None:
    set_tracing_disabled(True)  # no trace uploads to OpenAI
    calls: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        return f"sunny and 21 degrees in {city}"

    client = openai.AsyncOpenAI(base_url=f"{live.url}/v1", api_key=AUTH, max_retries=0, timeout=20)
    agent = Agent(
        name="weather",
        instructions="Answer weather questions with the tool.",
        tools=[get_weather],
        model=OpenAIResponsesModel(model="claude-4.5-sonnet", openai_client=client),
    )

    async def main():
        try:
            return await Runner.run(agent, "What is the weather in Paris?")
        finally:
            await client.close()

    result = asyncio.run(main())
    assert len(calls) == 1  # the fake picked the one tool, with schema-valid arguments
    assert "The get_weather tool returned:" in result.final_output
    assert f"sunny and 21 degrees in {calls[0]}" in result.final_output
    kinds = [item.type for item in result.new_items]
    assert kinds == ["tool_call_item", "tool_call_output_item", "message_output_item"]


def test_an_agent_streams(live, pool_token, fake) -> None:
    set_tracing_disabled(True)
    client = openai.AsyncOpenAI(base_url=f"{live.url}/v1", api_key=AUTH, max_retries=0, timeout=20)
    agent = Agent(name="echo", model=OpenAIResponsesModel(model="claude-4.5-sonnet", openai_client=client))

    async def main():
        try:
            streamed = Runner.run_streamed(agent, "hi there")
            deltas = [
                e.data.delta
                async for e in streamed.stream_events()
                if e.type == "raw_response_event" and e.data.type == "response.output_text.delta"
            ]
            return deltas, streamed.final_output
        finally:
            await client.close()

    deltas, final = asyncio.run(main())
    assert "".join(deltas) == final == "Fake Cursor reply to: hi there"
