"""Lazy creations no threading lock can guard safely: reported with the reason, never fixed."""
import threading

_client = None


async def get_client():
    global _client
    if _client is None:  # expect: CRL101
        _client = await connect()  # a threading lock held across `await` blocks the event loop
    return _client


_reader = None


def readers():
    global _reader
    if _reader is None:  # expect: CRL101
        _reader = yield "opening"  # a lock held across `yield` stays held while the consumer runs
    return _reader


_config = None
_config_lock = threading.Lock()


def get_config():
    global _config
    if _config is None:  # expect: CRL101
        _config = load_config()
    return _config


def reload_config():
    with _config_lock:  # callers already hold the plain lock the fix would reuse
        return get_config()


_left = None
_right = None


def get_left():
    global _left
    if _left is None:  # expect: CRL101
        _left = (get_right(),)  # takes `_right_lock` while holding `_left_lock`
    return _left


def get_right():
    global _right
    if _right is None:  # expect: CRL101
        _right = (get_left(),)  # and back: two threads can deadlock in opposite orders
    return _right
