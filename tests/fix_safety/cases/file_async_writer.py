"""An `async def` writing a shared path: one event-loop thread, and a threading lock would block
the loop; not reported."""

import asyncio


class Cache:
    def __init__(self, path):
        self.path = path

    async def save(self, text):
        with open(self.path, "w") as f:
            f.write(text)
        await asyncio.sleep(0)


# --- drivers ---
UNTOUCHED = "async def bodies run on the event loop's thread"


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    import asyncio

    cache = m.Cache(_tmp() / "c.txt")
    asyncio.run(cache.save("x"))
    return cache.path.read_text()


def threaded(m):
    return [lambda: None]
