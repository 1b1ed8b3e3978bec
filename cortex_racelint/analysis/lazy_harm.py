"""What a lazy initialisation race costs: decided by what the creation makes and does.

Two threads that both pass the check both run the creation. That matters when the
creation makes something with identity (an executor, thread, socket, connection, lock,
file, queue: one is left running or unused, and the two callers hold different ones), does
something twice (a logging handler added twice prints every line twice, `atexit.register`
runs twice), or makes a mutable object that callers then change (a change to the discarded
copy is lost). It is harmless when the creation only recomputes an equal value: a version
string, a compiled regex, a constant, a dict of classes nobody changes, a warning shown twice.
Harmless sites move to the opt-in CRL107; the rest keep their rule's code with this
consequence and severity.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

import libcst as cst

from ..ftypes import Consequence, Severity
from .context import LintContext
from .names import dotted_name
from .one_shot import parses_command_line
from .source_walk import visit
from .threads import MUTATORS as CONTAINER_MUTATORS

#: constructors of objects with identity: running twice leaves one behind, and callers differ
RESOURCES = (
    "threading.Thread", "threading.Timer", "threading.Lock", "threading.RLock", "threading.Semaphore",
    "threading.BoundedSemaphore", "threading.Condition", "threading.Event", "threading.Barrier",
    "threading.local", "concurrent.futures.", "multiprocessing.", "asyncio.new_event_loop", "asyncio.Lock",
    "asyncio.Queue", "asyncio.Semaphore", "asyncio.Event", "queue.", "socket.socket", "socket.create_connection",
    "socket.create_server", "socket.socketpair", "ssl.", "http.client.", "urllib3.", "requests.Session",
    "requests.session", "httpx.", "aiohttp.", "sqlite3.connect", "builtins.open", "open", "io.open", "tempfile.",
    "subprocess.Popen", "selectors.", "mmap.", "logging.FileHandler", "logging.StreamHandler", "logging.handlers.",
    "sched.", "weakref.finalize", "shelve.open", "dbm.open", "psycopg", "pymysql.connect", "redis.", "pika.",
    "boto3.", "zmq.", "grpc.", "smtplib.", "ftplib.", "telnetlib.", "xmlrpc.client.ServerProxy",
)
#: methods whose second call is visible whatever object they are called on (a thread started twice)
GLOBAL_EFFECTS = frozenset(
    {
        "start", "register", "addHandler", "addFilter", "subscribe", "add_listener", "install", "patch", "submit",
        "setdefaulttimeout", "set_event_loop", "add_signal_handler", "setrecursionlimit", "chdir", "mkdir",
        "unlink", "touch", "write_text", "write_bytes", "connect_signal",
    }
)
#: methods that change their receiver: visible unless the receiver is a local being built
MUTATING_EFFECTS = frozenset({"append", "insert", "put", "send", "sendall", "post", "write", "add_handler", "connect"})
#: qualified calls that act on the process or the machine
QUALIFIED_EFFECTS = (
    "signal.signal", "atexit.register", "os.replace", "os.rename", "os.remove", "os.unlink", "os.mkdir",
    "os.putenv", "os.environ.update", "os.environ.setdefault", "shutil.", "subprocess.", "os.system", "os.popen",
    "sys.path.append", "sys.path.insert", "sys.settrace", "sys.setprofile", "threading.settrace", "faulthandler.",
    "warnings.simplefilter", "warnings.filterwarnings", "logging.basicConfig", "socket.setdefaulttimeout",
)
#: process-wide hooks that add up and can never be removed (under the `sys.` the PURE table
#: otherwise accepts): two runs leave two hooks, each event is handled twice
ADDITIVE_HOOKS = frozenset({"sys.addaudithook"})
#: commands run for their output (`rustc --version`, `git rev-parse`): a second run repeats a query
QUERY_COMMANDS = ("subprocess.check_output", "subprocess.getoutput", "subprocess.getstatusoutput")
#: calls whose second run is seen but harmless (a warning or log line twice)
MESSAGES = ("warnings.warn", "logging.", "logger.", "log.", "_log.", "_logger.", "LOGGER.", "LOG.", "print")
#: calls that return an equal value every time (or a value cached by the interpreter)
PURE = (
    "re.compile", "re.escape", "str", "int", "float", "bool", "tuple", "frozenset", "bytes", "len", "repr",
    "os.environ.get", "os.getenv", "os.path.", "os.getcwd", "os.cpu_count", "os.getpid", "os.fspath", "os.sep",
    "pathlib.", "platform.", "sys.", "locale.", "importlib.import_module", "importlib.metadata.version",
    "importlib.metadata.distribution", "importlib.metadata.metadata", "importlib.metadata.entry_points",
    "importlib.util.find_spec", "importlib.resources.", "pkg_resources.", "shutil.which", "sysconfig.",
    "zoneinfo.ZoneInfo", "datetime.", "decimal.", "fractions.", "uuid.UUID", "ipaddress.", "string.Template",
    "struct.Struct", "operator.", "functools.partial", "collections.namedtuple", "typing.", "codecs.lookup",
    "mimetypes.", "getpass.getuser", "socket.gethostname", "socket.getfqdn", "inspect.", "textwrap.",
    "hashlib.", "base64.", "binascii.", "json.dumps", "math.", "unicodedata.", "keyword.", "enum.",
    "packaging.version.", "distutils.", "ctypes.util.find_library", "sys.intern", "type", "getattr", "hasattr",
    "isinstance", "issubclass", "min", "max", "sorted", "range", "os.path.join", "dict.fromkeys",
    "logging.getLogger", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo",
    "socket.gethostbyaddr", "all", "any", "sum", "abs", "round", "ord", "chr", "hash", "callable", "divmod",
    "__import__", "ctypes.CDLL", "ctypes.PyDLL", "ctypes.WinDLL", "ctypes.OleDLL", "ctypes.cdll.LoadLibrary",
    "ctypes.util.", "ctypes.sizeof", "ctypes.POINTER",
)
#: import-by-name helpers (celery/kombu `symbol_by_name`, werkzeug/django `import_string`, tornado
#: `import_object`), matched on the last name, and `pydoc.locate` (its last name is too common to
#: match alone): they return what the import system already holds (a module or one of its
#: attributes), the same object on every call
IMPORT_BY_NAME = frozenset({"symbol_by_name", "import_string", "import_object"})
IMPORT_BY_DOTTED_NAME = frozenset({"pydoc.locate"})
#: return annotations naming an immutable value (`-> bool`, `-> tuple[int, ...] | None`): what the
#: function returns compares equal on every run, whatever calls it makes to compute it
IMMUTABLE_TYPES = frozenset(
    {"bool", "int", "float", "complex", "str", "bytes", "tuple", "Tuple", "frozenset", "FrozenSet", "None",
     "NoneType", "ModuleType", "Pattern", "Literal", "LiteralString", "Path", "PurePath",
     "PurePosixPath", "PureWindowsPath", "Optional", "Union", "Final", "Version", "Decimal", "Fraction"}
)
#: base classes (and decorators) whose instances cannot change: two equal ones are interchangeable
IMMUTABLE_BASES = frozenset({"NamedTuple", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "tuple", "frozenset", "str", "int"})
#: methods returning plain values (text, bytes, numbers) whatever their receiver
PURE_METHODS = frozenset(
    {"read", "read_text", "read_bytes", "decode", "encode", "strip", "lower", "upper", "split", "format", "join",
     "replace", "group", "groups", "hexdigest", "digest", "getvalue", "isoformat", "resolve", "absolute", "expanduser"}
)
#: mutable containers: harmless unless the module changes the shared one after creating it
CONTAINERS = frozenset(
    {"dict", "list", "set", "collections.defaultdict", "collections.OrderedDict", "collections.deque",
     "collections.Counter", "bytearray", "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary", "weakref.WeakSet",
     "json.loads", "json.load"}
)
#: calls that change a container in place (`threads.MUTATORS`), and registries filled through `register`
MUTATORS = CONTAINER_MUTATORS | {"register"}

EQUAL_VALUE = "equal value recomputed"
THREAD_BOUND = "object bound to one thread"
RUN_ONCE = "entry point run once"
#: kinds whose race is not worth a default finding: they go to the opt-in CRL107
OPT_IN_KINDS = frozenset({EQUAL_VALUE, THREAD_BOUND, RUN_ONCE})
#: GUI toolkit objects belong to the thread that creates them (Qt's thread affinity, Tcl's
#: interpreter thread, wx/GTK's main loop): code that makes one lazily runs on that thread alone
GUI_TOOLKITS = ("PyQt4.", "PyQt5.", "PyQt6.", "PySide.", "PySide2.", "PySide6.", "qtpy.", "tkinter.", "Tkinter.",
                "wx.", "gi.repository.", "gtk.", "pygtk.")
GUI_MODULE_PARTS = frozenset({"QtCore", "QtGui", "QtWidgets"})
#: an event loop the module runs on the calling thread, and what hands it work from other threads
LOOP_FACTORIES = frozenset({"asyncio.new_event_loop", "asyncio.SelectorEventLoop", "asyncio.ProactorEventLoop"})
LOOP_RUNNERS = frozenset({"run_until_complete", "run_forever"})
LOOP_CROSS_THREAD = frozenset({"call_soon_threadsafe", "run_coroutine_threadsafe", "wrap_future"})


def _matches(name: str, table: Iterable[str]) -> bool:
    return any(name == entry or (entry.endswith(".") and name.startswith(entry)) for entry in table)


class _Calls(cst.CSTVisitor):
    """The calls that run now (not in nested defs), minus `with` items (closed again: transient)."""

    def __init__(self) -> None:
        self.found: list[cst.Call] = []
        self.skipped: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if isinstance(node.item, cst.Call):
            self.skipped.add(id(node.item))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested def runs when called, not now

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _calls(nodes: Sequence[cst.CSTNode]) -> list[cst.Call]:
    visitor = _Calls()
    for node in nodes:
        visit(node, visitor)
    return [call for call in visitor.found if id(call) not in visitor.skipped]


def _value(creation: cst.CSTNode) -> Optional[cst.BaseExpression]:
    if isinstance(creation, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
        return creation.value
    if isinstance(creation, cst.Call):  # `_c.setdefault(k, make(k))`
        return creation.args[-1].value if creation.args else None
    return None


def _module_classes(context: LintContext) -> dict[str, cst.ClassDef]:
    key = ("lazy_harm_classes",)
    if key not in context.memo:
        context.memo[key] = {
            stmt.name.value: stmt for stmt in context.module.body if isinstance(stmt, cst.ClassDef)
        }
    return context.memo[key]  # type: ignore[return-value]


def _module_functions(context: LintContext) -> dict[str, cst.FunctionDef]:
    key = ("lazy_harm_functions",)
    if key not in context.memo:
        context.memo[key] = {
            stmt.name.value: stmt for stmt in context.module.body if isinstance(stmt, cst.FunctionDef)
        }
    return context.memo[key]  # type: ignore[return-value]


def _visible_functions(context: LintContext) -> dict[str, cst.FunctionDef]:
    """The module's functions, and the ones the enclosing function defines in its own body (which
    shadow them): `_machine_id = _generate()` after a nested `def _generate() -> str | bytes | None`
    is judged by that def (werkzeug's `get_machine_id`), not taken for a class of unknown objects."""
    functions = _module_functions(context)
    enclosing = context.function
    if enclosing is None or not isinstance(enclosing.body, cst.IndentedBlock):
        return functions
    nested = {stmt.name.value: stmt for stmt in enclosing.body.body if isinstance(stmt, cst.FunctionDef)}
    return {**functions, **nested} if nested else functions


class _Returns(cst.CSTVisitor):
    def __init__(self, function: cst.FunctionDef) -> None:
        self.function = function
        self.found: list[cst.BaseExpression] = []

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.found.append(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.function

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _returned(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    visitor = _Returns(function)
    visit(function, visitor)
    return visitor.found


def _init_of(class_node: cst.ClassDef) -> list[cst.CSTNode]:
    for stmt in class_node.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in ("__init__", "__new__", "__post_init__"):
            return [stmt.body]
    return []


class _Judge:
    """Judges the calls of one creation; the first serious thing it meets decides."""

    def __init__(self, context: LintContext) -> None:
        self.context = context

    def call(self, call: cst.Call, locals_: frozenset[str], depth: int = 0) -> Optional[Consequence]:
        """A call that runs with the creation: only side effects count here (a resource made into
        a local and closed again is transient; one kept as the state is judged by `creates`)."""
        name = self.context.imports.qualify_call(call) or ""
        attribute = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if _matches(name, RESOURCES):
            return None  # kept as the state: `creates` judges it; made into a local: transient
        if attribute in GLOBAL_EFFECTS:
            pass  # `log.addHandler(h)`: a logger's name does not make adding a handler a message
        elif _matches(name, MESSAGES) or _matches(name, QUERY_COMMANDS) or (attribute in ("warn", "warning", "info", "debug", "error", "exception")):
            return None
        effect = _matches(name, QUALIFIED_EFFECTS) or attribute in GLOBAL_EFFECTS
        if not effect and attribute in MUTATING_EFFECTS and isinstance(call.func, cst.Attribute):
            receiver = call.func.value
            effect = not (isinstance(receiver, cst.Name) and (receiver.value in locals_ or receiver.value == "self"))
        if name in ADDITIVE_HOOKS or (effect and not _matches(name, PURE)):
            return Consequence("repeated side effect", Severity.HIGH, f"`{dotted_name(call.func) or attribute}()` runs twice")
        classes, functions = _module_classes(self.context), _module_functions(self.context)
        if (name in classes or name in functions) and depth < 2:
            body = _init_of(classes[name]) if name in classes else [functions[name].body]
            locals_ = _local_names(body)  # once, not per call: the body is the same
            inner = [self.call(c, locals_, depth + 1) for c in _calls(body)]
            serious = next((c for c in inner if c is not None and c.severity is Severity.HIGH), None)
            if serious is not None:
                return Consequence(serious.kind, Severity.HIGH, f"`{name}()` creates one: {serious.detail}")
        return None

    def creates(self, value: cst.BaseExpression, depth: int = 0) -> Optional[Consequence]:
        """The consequence of two different values for the one state, or None for an equal one."""
        if isinstance(value, (cst.Dict, cst.List, cst.Set, cst.DictComp, cst.ListComp, cst.SetComp)):
            return _MUTABLE
        if isinstance(value, cst.Call):
            name = self.context.imports.qualify_call(value) or ""
            if _matches(name, RESOURCES):
                return Consequence("duplicate resource", Severity.HIGH, f"`{name}()` runs twice and callers hold different ones")
            if name in CONTAINERS:
                return _MUTABLE
            method = value.func.attr.value if isinstance(value.func, cst.Attribute) else None
            if _matches(name, PURE) or _matches(name, QUERY_COMMANDS) or method in PURE_METHODS:
                return None  # the output of a query command is text: equal on each run
            by_name = name.rpartition(".")[2] in IMPORT_BY_NAME or name in IMPORT_BY_DOTTED_NAME
            if by_name and name not in _visible_functions(self.context):
                return None  # an imported module's attribute: the same object each time
            functions, classes = _visible_functions(self.context), _module_classes(self.context)
            if name in classes and _immutable_class(classes[name]):
                return None  # a NamedTuple, an Enum, a frozen dataclass: equal instances are interchangeable
            if name in functions and immutable_annotation(functions[name].returns):
                return None  # `-> bool`, `-> tuple[int, int]`: the helper says it returns an equal value
            if name in classes and depth < 2:  # a class of this module: what its constructor keeps
                for inner in _calls(_init_of(classes[name])):
                    made = self.creates(inner, depth + 1)
                    if made is not None and made.severity is Severity.HIGH:
                        return Consequence(made.kind, Severity.HIGH, f"`{name}()` makes one: {made.detail}")
            if name in functions and depth < 2:  # a helper of this module: judged by what it returns
                returned = [self.creates(v, depth + 1) for v in _returned(functions[name])]
                return next((c for c in returned if c is not None), None)
            made_here = "instances of the class" if method in ("__call__", "__new__") else f"`{name or 'created'}` objects"
            return Consequence(  # `super().__call__(...)` in a metaclass, `super().__new__(cls)`: the class's instance
                "duplicate object", Severity.MEDIUM, f"two {made_here}: state kept on the discarded one is lost"
            )
        if isinstance(value, (cst.Await, cst.Yield)):
            return Consequence("duplicate object", Severity.MEDIUM, "the awaited value is created twice")
        return None  # literals, names, attributes, arithmetic, f-strings: an equal value


class _Bound(cst.CSTVisitor):
    """Plain-name assignments: the names bound, and the value each last received."""

    def __init__(self) -> None:
        self.values: dict[str, cst.BaseExpression] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.values[target.target.value] = node.value


def _bound(body: Sequence[cst.CSTNode]) -> dict[str, cst.BaseExpression]:
    visitor = _Bound()
    for node in body:
        visit(node, visitor)
    return visitor.values


def _local_names(body: Sequence[cst.CSTNode]) -> frozenset[str]:
    """Names the body binds by plain assignment (objects it is building, not shared ones)."""
    return frozenset(_bound(body))


def _resolved(value: Optional[cst.BaseExpression], body: Sequence[cst.CSTNode]) -> Optional[cst.BaseExpression]:
    """`v = cls(k); _c[k] = v`: the value a local carries into the state is what was created."""
    if not isinstance(value, cst.Name):
        return value
    return _bound(body).get(value.value, value)


_MUTABLE = Consequence("lost update", Severity.MEDIUM, "a new container: what one caller adds to the discarded one is lost")


def lazy_consequence(
    context: LintContext, creation: cst.CSTNode, body: Sequence[cst.CSTNode], state: str, keyed: bool
) -> Consequence:
    """What the race at this lazy-init site costs (`EQUAL_VALUE` and LOW when it is harmless)."""
    bound = _thread_bound(context, _resolved(_value(creation), body), state)
    if bound is not None:
        return bound
    if context.function is not None and parses_command_line(context.function):
        return Consequence(RUN_ONCE, Severity.LOW, "the function parses `sys.argv`: a process's entry point, run once")
    judge = _Judge(context)
    locals_ = _local_names(body) - {state}
    for call in _calls(list(body)):
        found = judge.call(call, locals_)
        if found is not None and found.severity is Severity.HIGH:
            return found
    value = _resolved(_value(creation), body)
    created = judge.creates(value) if value is not None else Consequence(
        "duplicate object", Severity.MEDIUM, "the state is created twice"
    )
    if created is _MUTABLE and not _mutated(context, state, keyed):
        created = None  # built twice, equal, and never changed afterwards
    if created is not None:
        return created
    return Consequence(EQUAL_VALUE, Severity.LOW, "both threads compute an equal value; one is kept")


def _mutated(context: LintContext, state: str, keyed: bool) -> bool:
    """Whether the module changes the created container (for a keyed cache: an entry) in place."""
    key = ("lazy_harm_mutated", state, keyed)
    if key not in context.memo:
        visitor = _Mutations(state.rpartition(".")[2], keyed)
        visit(context.module, visitor)
        context.memo[key] = visitor.found
    return context.memo[key]  # type: ignore[return-value]


class _Mutations(cst.CSTVisitor):
    """`_x.append(v)`, `_x[k] = v`, `_x.attr = v`, `del _x[k]`; keyed: `_c[k].append(v)`, `_c[k][j] = v`."""

    def __init__(self, leaf: str, keyed: bool) -> None:
        self.leaf = leaf
        self.keyed = keyed
        self.found = False

    def _names_state(self, node: cst.BaseExpression) -> bool:
        if self.keyed:
            if not isinstance(node, cst.Subscript):
                return False
            node = node.value
        name = dotted_name(node)
        return name is not None and name.rpartition(".")[2] == self.leaf

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in MUTATORS and self._names_state(func.value):
            self.found = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._target(node.target)

    def _target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Subscript, cst.Attribute)) and self._names_state(target.value):
            self.found = True


def _thread_bound(context: LintContext, value: Optional[cst.BaseExpression], state: str) -> Optional[Consequence]:
    """A GUI toolkit object, or an event loop the module runs with `run_until_complete` and never
    hands work to from another thread: what is created lazily is used by one thread only, so two
    threads cannot sensibly both reach the check, and a lock would not make the object usable
    from several (IPython's Qt input hook, its own asyncio loop)."""
    if not isinstance(value, cst.Call):
        return None
    name = context.imports.qualify_call(value) or ""
    if name.startswith(GUI_TOOLKITS) or GUI_MODULE_PARTS & set(name.split(".")[:-1]):
        return Consequence(
            THREAD_BOUND, Severity.LOW, f"`{name}()` is a GUI toolkit object: it belongs to the thread that makes it"
        )
    names = {state.rpartition(".")[2]} | ({context.function.name.value} if context.function is not None else set())
    if name in LOOP_FACTORIES and _runs_loops_here(context, frozenset(names)):
        return Consequence(
            THREAD_BOUND, Severity.LOW, "an event loop this module runs on the calling thread (`run_until_complete`)"
        )
    return None


def _runs_loops_here(context: LintContext, names: frozenset[str]) -> bool:
    """The module runs event loops on the calling thread, and no call hands work from another
    thread to this one (`call_soon_threadsafe`/`run_coroutine_threadsafe` on the state, or on
    what the function creating it returns)."""
    key = ("lazy_harm_loop_use", names)
    if key not in context.memo:
        runs = cross = False
        for node in _all_calls(context.module):
            attribute = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
            runs = runs or attribute in LOOP_RUNNERS
            if attribute in LOOP_CROSS_THREAD or (dotted_name(node.func) or "") in LOOP_CROSS_THREAD:
                used = {n.value for n in _names(node)}
                cross = cross or bool(used & names)
        context.memo[key] = runs and not cross
    return context.memo[key]  # type: ignore[return-value]


def _names(node: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.append(current)
        stack.extend(current.children)
    return found


class _AllCalls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)


def _all_calls(module: cst.Module) -> list[cst.Call]:
    visitor = _AllCalls()
    visit(module, visitor)
    return visitor.found


def _annotation_names(annotation: cst.BaseExpression) -> Optional[list[str]]:
    """The type names an annotation joins (`X | None`, `Optional[X]`, `tuple[int, ...]`: the outer
    name only, its items are what the immutable outer type holds), or None when it is not plain."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        left, right = _annotation_names(annotation.left), _annotation_names(annotation.right)
        return None if left is None or right is None else left + right
    if isinstance(annotation, cst.Subscript):
        outer = dotted_name(annotation.value)
        leaf = (outer or "").rpartition(".")[2]
        if leaf in ("Optional", "Union", "Final"):
            inner: list[str] = []
            for element in annotation.slice:
                index = element.slice
                names = _annotation_names(index.value) if isinstance(index, cst.Index) else None
                if names is None:
                    return None
                inner += names
            return inner
        return [leaf] if outer else None
    if isinstance(annotation, (cst.SimpleString, cst.ConcatenatedString)):
        return None  # a string annotation: not parsed here
    name = dotted_name(annotation)
    return [name.rpartition(".")[2]] if name else None


def immutable_annotation(annotation: Optional[cst.Annotation]) -> bool:
    """Whether a return annotation names only immutable types (`-> bool`, `-> str | None`)."""
    if annotation is None:
        return False
    names = _annotation_names(annotation.annotation)
    return bool(names) and all(name in IMMUTABLE_TYPES for name in names or ())


def _immutable_class(class_node: cst.ClassDef) -> bool:
    """A module class whose instances cannot change: a NamedTuple, an Enum, a frozen dataclass."""
    for base in class_node.bases:
        if (dotted_name(base.value) or "").rpartition(".")[2] in IMMUTABLE_BASES:
            return True
    for decorator in class_node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call) and any(
            arg.keyword is not None and arg.keyword.value == "frozen" and isinstance(arg.value, cst.Name)
            and arg.value.value == "True" for arg in expr.args
        ):
            return True  # `@dataclass(frozen=True)`, `@attr.s(frozen=True)`
    return False


def factory_consequence(context: LintContext, function: cst.FunctionDef) -> Consequence:
    """What two first calls of a cached zero-argument factory cost (`@functools.cache`,
    `@lru_cache`): the same model as a lazy initialisation, with the function body as the
    creation. What the body does decides first (a handler added, an `atexit` hook registered,
    a thread started: the second run repeats it); then what it returns: an object with identity
    (a resource, a class instance from another module) keeps the finding, an equal value (a
    constant, a string, a tuple, an imported module, a NamedTuple, what a `-> bool` or `-> str`
    annotation promises) moves it to the opt-in CRL107, and a new container does only when no
    caller in the module changes it (`factory().append(x)`, `v = factory(); v[k] = x`)."""
    judge = _Judge(context)
    body = [function.body]
    locals_ = _local_names(body)
    for call in _calls(body):
        found = judge.call(call, locals_)
        if found is not None and found.severity is Severity.HIGH:
            return found
    worst: Optional[Consequence] = None
    for returned in _returned(function):
        created = judge.creates(_resolved(returned, body) or returned)
        if created is _MUTABLE and not _result_mutated(context, function.name.value):
            created = None
        if created is not None and (worst is None or created.severity is Severity.HIGH):
            worst = created
    if worst is not None and worst.severity is not Severity.HIGH and worst is not _MUTABLE:
        if immutable_annotation(function.returns):
            worst = None  # an object of another module, but the annotation says an equal value
    if worst is not None:
        return worst
    return Consequence(EQUAL_VALUE, Severity.LOW, "a second first call computes an equal value; one is kept")


def _result_mutated(context: LintContext, factory: str) -> bool:
    """Whether the module changes what `factory()` returns: `factory().append(x)`,
    `factory()[k] = v`, or through a name bound to it (`v = factory(); v.update(...)`).
    Callers in other modules are not seen."""
    key = ("lazy_harm_result_mutated", factory)
    if key not in context.memo:
        visitor = _ResultUses(factory)
        visit(context.module, visitor)
        mutated = visitor.mutated
        for alias in visitor.aliases:
            mutated = mutated or _mutated(context, alias, False)
        context.memo[key] = mutated
    return context.memo[key]  # type: ignore[return-value]


class _ResultUses(cst.CSTVisitor):
    """Changes made through `factory()` directly, and the names `factory()` is bound to."""

    def __init__(self, factory: str) -> None:
        self.factory = factory
        self.mutated = False
        self.aliases: set[str] = set()

    def _is_result(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and not node.args and (dotted_name(node.func) or "").rpartition(".")[2] == self.factory

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in MUTATORS and self._is_result(func.value):
            self.mutated = True

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._is_result(node.value):
            self.aliases.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
        for target in node.targets:
            self._target(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._target(node.target)

    def _target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Subscript, cst.Attribute)) and self._is_result(target.value):
            self.mutated = True
