"""CRL102: a singleton kept on the class (`cls._instance`), created with no lock."""

from __future__ import annotations

from ...rule import Invalid, Valid
from .lazy_rule import CALLER_HELD, FREE_THREADING_LAZY, LOCK_CHOICE, LazyInitRule


class LazyClassSingleton(LazyInitRule):
    CODE = "CRL102"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.lazy_class

    NAME = "unguarded-class-singleton"
    KIND = "class"
    ALSO_KINDS = ("metaclass",)
    KIND_MESSAGES = {
        "metaclass": "Metaclass singleton registry `{state}` is filled without a lock: two threads can both create the instance",
    }
    EVIDENCE = ("class",)  # `Name.x` in a method of `Name` needs nothing more specific
    MESSAGE = "Class-held singleton `{state}` is created without a lock: two threads can both create it"
    WHAT = """
        Finds singletons kept on the class, `if cls._instance is None: cls._instance = cls()`
        in a classmethod, the same in `__new__`, or `ClassName._instance`, and the
        `hasattr(cls, "_instance")` spelling, with no lock around the check and the act. Also
        the metaclass singleton, `class Meta(type)` whose `__call__` fills
        `cls._instances[cls] = super().__call__(...)` when `cls not in cls._instances`: the dict
        lives on the metaclass, shared by every class it makes.
    """ + CALLER_HELD
    WHY = """
        Two threads can both create an instance; with `__new__` singletons the second also
        re-runs `__init__` on the shared object, resetting its state under the first caller.
    """
    FREE_THREADING = FREE_THREADING_LAZY
    FIX_SAFETY = """
        Safe. A class-level lock (`_instance_lock = threading.Lock()`) is added next to the
        class attribute, and the check becomes double-checked locking on `cls._instance_lock`.
        In a metaclass the lock goes on the metaclass (`cls._instances_lock` finds it through
        the class's type) and is an `RLock`: the creation runs the `__init__` of whatever class
        is instantiated, which may instantiate another class of the same metaclass on the same
        thread. An `__init__` that waits for another thread doing the same would still deadlock;
        the lock analysis cannot see into classes it does not know.
    """ + LOCK_CHOICE
    VALID = [
        Valid(
            """
            class Plugin:
                def __call__(self, key):
                    if key not in self._seen:  # an instance's dict in an ordinary class
                        self._seen[key] = load(key)
                    return self._seen[key]
            """
        ),
        Valid(
            """
            import threading

            class Manager:
                _instance = None
                _instance_lock = threading.Lock()

                @classmethod
                def get_instance(cls):
                    if cls._instance is None:
                        with cls._instance_lock:
                            if cls._instance is None:
                                cls._instance = cls()
                    return cls._instance
            """
        ),
        Valid(
            """
            class Lazy:
                def value(self):
                    if self._value is None:  # per-instance cache, not a class singleton
                        self._value = compute()
                    return self._value
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            class GracefulDegradation:
                \"\"\"Fallback modes.\"\"\"

                _instance = None

                @classmethod
                def get_instance(cls):
                    if cls._instance is None:
                        cls._instance = cls()
                    return cls._instance
            """,
            line=8,
            expected_fix="""
            import threading


            class GracefulDegradation:
                \"\"\"Fallback modes.\"\"\"

                _instance = None
                _instance_lock = threading.Lock()

                @classmethod
                def get_instance(cls):
                    if cls._instance is None:
                        with cls._instance_lock:
                            if cls._instance is None:
                                cls._instance = cls()
                    return cls._instance
            """,
        ),
        Invalid(
            """
            class Config:
                _instance = None

                def __new__(cls, *args, **kwargs):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                    return cls._instance

                def load(self, path):
                    self.path = path  # kept on the instance: lost with a discarded one
            """,
            line=5,
        ),
        Invalid(
            """
            class Registry:
                @staticmethod
                def get():
                    if not hasattr(Registry, "_inst"):
                        Registry._inst = Registry()
                    return Registry._inst

                def add(self, item):
                    self.items.append(item)
            """,
            line=4,
        ),
        Invalid(
            """
            class Singleton(type):
                _instances = {}

                def __call__(cls, *args, **kwargs):
                    if cls not in cls._instances:
                        cls._instances[cls] = super().__call__(*args, **kwargs)
                    return cls._instances[cls]
            """,
            line=5,
            expected_fix="""
            import threading


            class Singleton(type):
                _instances = {}
                _instances_lock = threading.RLock()

                def __call__(cls, *args, **kwargs):
                    if cls not in cls._instances:
                        with cls._instances_lock:
                            if cls not in cls._instances:
                                cls._instances[cls] = super().__call__(*args, **kwargs)
                    return cls._instances[cls]
            """,
        ),
    ]
