"""What the two streaming routes do differently before the first token: parse, then render it.

    .venv/bin/python bench/first_event.py [--n 20000]

`/v1/chat/completions` and `/v1/responses` share everything else (auth, lease, upstream call, decoder,
the SSE loop); this times, in-process and without the network, each dialect's request parsing plus
the bytes it writes for the first text delta (Responses: `response.created`, `response.in_progress`,
the item and part announcements and the delta), and one later delta. CPU microseconds, best of 5.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")
    import django

    django.setup()
    from cursorapi.chat.catalog import Catalog
    from cursorapi.chat.types import ChatOptions, TextDelta
    from cursorapi.dialects import openai, responses

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    catalog = Catalog()
    options = ChatOptions(vision="base64", slow_pool=False, long_context=False, web_references=True)
    prompt = "Write a haiku about the sea."
    chat_body = {
        "model": "claude-4.5-sonnet",
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
    }
    responses_body = {"model": "claude-4.5-sonnet", "input": prompt, "stream": True, "store": False}
    delta = TextDelta("The sea ")

    async def chat_first() -> tuple[bytes, bytes]:
        chat, usage = await openai.parse(chat_body, catalog, {}, options)
        renderer = openai.Renderer(chat, usage)
        return renderer.event(delta), renderer.event(delta)  # type: ignore[return-value]

    async def responses_first() -> tuple[bytes, bytes]:
        call = await responses.parse(responses_body, catalog, {}, options)
        renderer = responses.Renderer(call)
        return renderer.event(delta), renderer.event(delta)  # type: ignore[return-value]

    async def timed(fn) -> tuple[float, int, int]:
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            for _ in range(args.n):
                first, later = await fn()
            best = min(best, (time.process_time() - start) / args.n)
        return best * 1e6, len(first), len(later)

    for name, fn in (("chat", chat_first), ("responses", responses_first)):
        micros, first, later = asyncio.run(timed(fn))
        print(
            f"{name:>10}: parse + first delta {micros:6.1f} us CPU; "
            f"first write {first} B, later delta {later} B"
        )


if __name__ == "__main__":
    main()
