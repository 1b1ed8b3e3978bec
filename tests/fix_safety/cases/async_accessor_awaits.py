"""An `async def` lazy accessor whose act awaits (CRL101): a threading.Lock held across await blocks the loop."""

import asyncio

_client = None


async def _connect():
    await asyncio.sleep(0)
    return {"connected": True}


async def get_client():
    global _client
    if _client is None:
        _client = await _connect()
    return _client


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ()  # no threading lock may be held across `await`: reported with the reason, not fixed


def single_threaded(m):
    async def two_tasks():
        return await asyncio.gather(m.get_client(), m.get_client())

    import asyncio

    return asyncio.run(two_tasks())


def threaded(m):
    import asyncio

    async def two_tasks():
        return await asyncio.gather(m.get_client(), m.get_client())

    return [lambda: asyncio.run(two_tasks())]


def invariant(m):
    return m._client == {"connected": True}
