"""The lock of a shared attribute (CRL401, CRL402), and whether an existing one may be taken.

One mutex per object: the object's own, else a new one (`object_mutex`: per object, or a
class attribute for an object that may be copied or pickled); unless every racing partner
already holds a common `self.<lock>`. An access already under some lock gets none added, and
a person picks one. An existing lock is not taken where a holder of it can call into the
fixed code (a plain Lock) or holds it while waiting for another thread (`held_lock_conflict`);
`ObjectCalls` says what a method can run, `waits` which calls wait for another thread.
"""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import libcst as cst

from ...analysis.call_graph import module_call_graph
from ...analysis.context import LintContext
from ...analysis.file_writes import walk_all
from ...analysis.framework_entries import class_spec, entry_table
from ...analysis.lazyinit import walk_statements
from ...analysis.lock_wrappers import is_wrapper_key
from ...analysis.locks import MUTEX_FACTORIES, call_factory
from ...analysis.names import ImportMap, dotted_name
from ...rule import AddImport, ModuleEdit
from .one_lock import class_body_mutexes, object_lock_key
from .condition_locks import lock_identity
from .placement import class_lock, free_attribute_name, instance_mutex
from .reentrancy import existing_lock_factory


def held_lock_reason(attr: str, held: frozenset[str], partner: Optional[tuple[str, frozenset[str]]]) -> str:
    """Why an access already under a lock (`held`) gets no fix: no second lock, a person picks one.

    `partner` is a racing access that holds a lock too: where it runs, and its locks.
    """
    where = f" while {partner[0]} holds `{sorted(partner[1])[0]}`" if partner else ""
    return f"already guarded by `{sorted(held)[0]}`{where}: choose one lock for `self.{attr}` by hand"


def wrapper_partner_reason(attr: str, partners: list[tuple[str, frozenset[str]]]) -> Optional[str]:
    """Why no fix: a racing partner holds only a `synchronized` wrapper's lock (`analysis.lock_wrappers`),
    which no code can take by name; a new lock here would not exclude it."""
    for label, locks in partners:
        if locks and all(is_wrapper_key(k) for k in locks):
            return (
                f"{label} holds the lock of its `synchronized` wrapper around `self.{attr}`, which no code can take "
                "by name: wrap this method the same way"
            )
    return None


def shared_field_lock(
    mutex: cst.BaseExpression, self_name: str, partner_locks: list[frozenset[str]]
) -> cst.BaseExpression:
    """The lock a fix holds: the `self.<lock>` all racing partners hold, else the object's mutex.

    `partner_locks` are the lock sets of the partners that hold any; the receiver is spelt
    the way the method spells it.
    """
    if partner_locks:
        common = set.intersection(*[set(locks) for locks in partner_locks])
        attr_locks = sorted(k for k in common if k.startswith("self.") and k.count(".") == 1 and not is_wrapper_key(k))
        if attr_locks:
            return cst.Attribute(cst.Name(self_name), cst.Name(attr_locks[0].split(".", 1)[1]))
    assert isinstance(mutex, cst.Attribute)
    return mutex.with_changes(value=cst.Name(self_name))


def mutex_edits(lock: cst.BaseExpression, mutex: cst.BaseExpression, edits: list[ModuleEdit]) -> list[ModuleEdit]:
    """The edits creating the object's mutex, for a fix holding it; none for a partner's lock."""
    uses_mutex = isinstance(mutex, cst.Attribute) and isinstance(lock, cst.Attribute) and (
        lock.attr.value == mutex.attr.value
    )
    return list(edits) if uses_mutex else []


def with_this_lock(module: cst.Module, stmt: cst.CSTNode, lock_text: str) -> bool:
    """`with <lock>:` on exactly this lock (a critical section to extend)."""
    return (
        isinstance(stmt, cst.With)
        and len(stmt.items) == 1
        and stmt.items[0].asname is None
        and isinstance(stmt.body, cst.IndentedBlock)
        and module.code_for_node(stmt.items[0].item) == lock_text
    )


# -- where the object's new lock lives: per object, or per class for copyable objects ----------

#: factories whose values cannot be pickled or deep-copied: an object already holding one never
#: was copyable, so a per-object lock changes nothing there
_UNCOPYABLE_PREFIXES = (
    "threading.", "_thread.", "queue.", "multiprocessing.", "concurrent.futures.", "asyncio.", "socket.",
    "selectors.", "sqlite3.connect", "subprocess.Popen", "io.", "open", "builtins.open", "tempfile.",
)


def holds_uncopyable(context: LintContext, class_node: cst.ClassDef) -> bool:
    """A method here or in an in-module base stores a lock, thread, queue, executor, socket, file or
    connection on the object (so it was never picklable nor deep-copyable)."""
    graph = module_call_graph(context)
    for name in graph.ancestry(class_node.name.value) or [class_node.name.value]:
        for method in graph.methods.get(name, {}).values():
            receiver = _receiver(method)
            for node in walk_all(method):
                if not isinstance(node, (cst.Assign, cst.AnnAssign)) or not isinstance(node.value, cst.Call):
                    continue
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                if not any(_is_attr_of(t, receiver) for t in targets):
                    continue
                factory = call_factory(node.value, context.imports) or ""
                if factory.startswith(_UNCOPYABLE_PREFIXES):
                    return True
    return False


def object_mutex(context: LintContext, class_node: cst.ClassDef) -> tuple[cst.BaseExpression, list[ModuleEdit]]:
    """The lock the shared-field fixes hold: the object's own mutex, reused when the class (or an
    in-module base whose `__init__` it inherits) has one.

    A new lock is per object (`self._lock` in `__init__`) only when the object already holds
    something that cannot be copied (a lock, thread, queue, socket, file, executor). Otherwise
    the object may be pickled, deep-copied, serialised through `vars()`/`__dict__` or compared
    field by field somewhere this module cannot see, and a lock in its `__dict__` would break
    all of these: the new lock is a class attribute instead (`_lock = threading.Lock()` in the
    class body, read as `self._lock`), shared by the class's instances. The critical sections
    are cheap statements that call nothing on the object, so sharing costs contention only.
    """
    if per_call_object(context, class_node):
        return _per_class_mutex(context, class_node)
    existing = existing_mutexes(context, class_node)
    if existing:  # the first no method holds across a wait for another thread (`held_lock_conflict`)
        usable = [name for name in existing if held_lock_conflict(context, class_node, name, None) is None]
        return cst.Attribute(cst.Name("self"), cst.Name((usable or existing)[0])), []
    lock, edits = instance_mutex(context, class_node)
    if not edits or not isinstance(lock, cst.Attribute):
        return lock, edits
    if not _plain_class_body(context, class_node) or holds_uncopyable(context, class_node):
        return lock, edits
    name = free_attribute_name(class_node, "_lock")
    class_edits = class_lock(context, class_node, name, "", key=object_lock_key(class_node, name))
    imports = [e for e in class_edits if isinstance(e, AddImport)]
    return lock.with_changes(attr=cst.Name(name)), [*imports, *(e for e in class_edits if not isinstance(e, AddImport))]


def per_call_object(context: LintContext, class_node: cst.ClassDef) -> bool:
    """A framework makes a new object per call (a request handler per request): a lock on the
    object would exclude nothing, the requests share only the class's."""
    spec = class_spec(context.module, context.imports, class_node, entry_table(context.config))
    return spec is not None and spec.per_call


def _per_class_mutex(context: LintContext, class_node: cst.ClassDef) -> tuple[cst.BaseExpression, list[ModuleEdit]]:
    """The class body's own mutex (`_lock = threading.Lock()`), else a new one there."""
    existing = next(class_body_mutexes(context, class_node), None)
    if existing is not None:
        return cst.Attribute(cst.Name("self"), cst.Name(existing)), []
    name = free_attribute_name(class_node, "_lock")
    edits = class_lock(context, class_node, name, "")
    imports = [e for e in edits if isinstance(e, AddImport)]
    return cst.Attribute(cst.Name("self"), cst.Name(name)), [*imports, *(e for e in edits if not isinstance(e, AddImport))]




def existing_mutexes(context: LintContext, class_node: cst.ClassDef) -> list[str]:
    """Attributes naming a lock that excludes (Lock/RLock/Condition), in the order a reader meets
    them: the class's `__init__`, its body, then its in-module bases' (a `Semaphore` excludes nothing)."""
    graph = module_call_graph(context)
    classes = {c.name.value: c for c in context.module.body if isinstance(c, cst.ClassDef)}
    names: list[str] = []
    for name in graph.ancestry(class_node.name.value) or [class_node.name.value]:
        node = classes.get(name, class_node if name == class_node.name.value else None)
        if node is None or not isinstance(node.body, cst.IndentedBlock):
            continue
        init = graph.methods.get(name, {}).get("__init__")
        receiver = _receiver(init) if init is not None else None
        for assign in walk_all(init) if init is not None else ():
            if isinstance(assign, cst.Assign) and call_factory(assign.value, context.imports) in MUTEX_FACTORIES:
                targets = [t.target for t in assign.targets if _is_attr_of(t.target, receiver)]
                names += [t.attr.value for t in targets if isinstance(t, cst.Attribute)]
        for stmt in node.body.body:
            for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and call_factory(small.value, context.imports) in MUTEX_FACTORIES:
                    names += [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
    return list(dict.fromkeys(names))


_PLAIN_BASES = frozenset({"object", "ABC", "abc.ABC", "Generic", "typing.Generic"})


def _plain_class_body(context: LintContext, class_node: cst.ClassDef) -> bool:
    """A class attribute stays a plain class attribute: no metaclass, and every base is this
    module's (transitively) or `object`/`ABC`/`Generic`. An `Enum` would make `_lock` a member,
    a pydantic model a private attribute copied per instance, a `Thread` subclass is no
    copyable object anyway: those keep the per-object lock."""
    graph = module_call_graph(context)
    classes = {c.name.value: c for c in context.module.body if isinstance(c, cst.ClassDef)}
    pending, seen = [class_node], set()
    while pending:
        node = pending.pop()
        if node.name.value in seen:
            continue
        seen.add(node.name.value)
        if any(keyword.keyword is not None for keyword in node.keywords):
            return False
        for base in node.bases:
            value = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            name = dotted_name(value) or ""
            if name in classes and name in graph.methods:
                pending.append(classes[name])
            elif name not in _PLAIN_BASES:
                return False
    return True


# -- whether an existing lock may be taken where the fix takes it -------------------------------

#: method names that wait for another thread (on a thread, event, queue, future, socket, process)
_WAITS = frozenset(
    {
        "wait", "wait_for", "result", "exception", "acquire", "recv", "recv_into", "recvfrom", "recvmsg",
        "accept", "communicate", "sleep",
        "send", "sendall", "sendto", "sendmsg", "sendfile",  # until the peer reads (paramiko's packetizer)
    }
)
_WAITING_QUALIFIED = ("time.sleep", "select.", "socket.", "subprocess.")


def waits(call: cst.Call, imports: ImportMap) -> bool:
    """A call that blocks until another thread or process acts (or, `sleep`, until time passes).

    `t.join()` / `t.join(5)` / `join(timeout=...)` (not `", ".join(parts)` nor `os.path.join`),
    `event.wait()`, `q.get()` (a queue's `get` takes no key, or `block`/`timeout`; a dict's
    takes a key), `future.result()`, `sock.recv(n)`, `proc.communicate()`, `time.sleep()`.
    """
    qualified = imports.qualify_call(call) or ""
    if qualified.startswith(_WAITING_QUALIFIED):
        return True
    func = call.func
    if not isinstance(func, cst.Attribute) or qualified.startswith(("os.", "posixpath.", "ntpath.")):
        return False
    method = func.attr.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if method == "get":
        return not positional or bool(keywords & {"block", "timeout"})
    if method == "acquire":  # `acquire(False)`, `acquire(blocking=False)`, `acquire(timeout=0)` never wait
        values = [a.value for a in call.args if a.keyword is None][:1]
        values += [a.value for a in call.args if a.keyword is not None and a.keyword.value in ("blocking", "timeout")]
        return not any(
            (isinstance(v, cst.Name) and v.value == "False") or (isinstance(v, cst.Integer) and v.value == "0")
            for v in values
        )
    if method == "join":
        if isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return False
        return not positional and not keywords - {"timeout"} or (
            len(positional) == 1 and isinstance(positional[0].value, (cst.Integer, cst.Float))
        )
    return method in _WAITS


def _receiver(function: cst.FunctionDef) -> Optional[str]:
    params = function.params.params or function.params.posonly_params
    return params[0].name.value if params else None


def _is_attr_of(node: cst.CSTNode, receiver: Optional[str], attr: Optional[str] = None) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == receiver
        and (attr is None or node.attr.value == attr)
    )


class ObjectCalls:
    """What code running in a method of a class (or of a class sharing its objects) can run in this
    module: the call graph's calls, plus property reads and callback attributes bound to methods
    (`self._on_put = self.hit`), which the call graph does not follow."""

    def __init__(self, context: LintContext, class_node: cst.ClassDef) -> None:
        self.graph = module_call_graph(context)
        self.imports = context.imports
        name = class_node.name.value
        self.classes = list(dict.fromkeys([*self.graph.ancestry(name), *self.graph.subclasses(name), name]))
        self.properties: dict[str, list[cst.FunctionDef]] = {}
        self.callbacks: dict[str, list[cst.FunctionDef]] = {}
        for cls in self.classes:
            for method in self.graph.methods.get(cls, {}).values():
                decorators = {dotted_name(d.decorator) or "" for d in method.decorators}
                if any(d.rsplit(".", 1)[-1] in ("property", "cached_property", "getter") for d in decorators):
                    self.properties.setdefault(method.name.value, []).append(method)
                self._add_callbacks(cls, method)

    def _add_callbacks(self, cls: str, method: cst.FunctionDef) -> None:
        """`self.<name> = self.<method>` anywhere in `method`: calling `self.<name>()` runs it."""
        receiver = _receiver(method)
        for node in walk_all(method):
            if not (isinstance(node, cst.Assign) and _is_attr_of(node.value, receiver)):
                continue
            bound = node.value.attr.value  # type: ignore[attr-defined]
            for target in node.targets:
                if isinstance(target.target, cst.Attribute) and _is_attr_of(target.target, receiver):
                    self.callbacks.setdefault(target.target.attr.value, []).extend(self.graph.dispatch(cls, bound))

    def methods(self) -> list[cst.FunctionDef]:
        return [m for cls in self.classes for m in self.graph.methods.get(cls, {}).values()]

    def reachable(self, statements: Sequence[cst.CSTNode], function: cst.FunctionDef) -> list[cst.FunctionDef]:
        """Every module function running `statements` (inside `function`) can run, transitively."""
        found: list[cst.FunctionDef] = []
        seen: set[int] = set()
        pending = list(self._direct(statements, function))
        while pending:
            target = pending.pop()
            if id(target) in seen:
                continue
            seen.add(id(target))
            found.append(target)
            pending.extend(self._direct([target.body], target))
        return found

    def _direct(self, statements: Sequence[cst.CSTNode], function: cst.FunctionDef) -> Iterator[cst.FunctionDef]:
        owner = self.graph.owner.get(id(function))
        receiver = _receiver(function) if owner is not None else None
        for node in walk_statements(statements):
            if isinstance(node, cst.Call):
                yield from self.graph.callees(node, owner, receiver)
                if _is_attr_of(node.func, receiver):
                    yield from self.callbacks.get(node.func.attr.value, ())  # type: ignore[attr-defined]
            elif _is_attr_of(node, receiver) and node.attr.value in self.properties:  # type: ignore[attr-defined]
                yield from self.properties[node.attr.value]  # type: ignore[attr-defined]

    def first_wait(
        self, statements: Sequence[cst.CSTNode], function: cst.FunctionDef, held: Optional[tuple[str, bool]] = None,
        sleeps: bool = False,
    ) -> Optional[str]:
        """The first call among `statements` (or what they reach) that waits for another thread,
        spelt for a message. `held` is the lock held meanwhile and whether it is a Condition:
        its own `acquire()` is the holding itself, and a Condition's own `wait()` releases it.
        A sleep counts only with `sleeps` (it ends by itself, but what is read after it is newer)."""
        bodies: list[tuple[Sequence[cst.CSTNode], cst.FunctionDef]] = [(statements, function)]
        bodies += [([f.body], f) for f in self.reachable(statements, function)]
        for body, owner in bodies:
            receivers = {_receiver(owner), *self.classes}
            for node in walk_statements(body):
                if isinstance(node, cst.Call) and waits(node, self.imports):
                    func = node.func
                    if held is not None and isinstance(func, cst.Attribute) and any(
                        _is_attr_of(func.value, receiver, held[0]) for receiver in receivers
                    ):
                        own = ("acquire", "wait", "wait_for") if held[1] else ("acquire",)
                        if func.attr.value in own:
                            continue
                    if not sleeps and (
                        (self.imports.qualify_call(node) or "").endswith("sleep")
                        or (isinstance(func, cst.Attribute) and func.attr.value == "sleep")
                    ):
                        continue  # a sleep ends by itself
                    return (dotted_name(func) or "call") + "()"
        return None

    def waiting_call(self, statement: cst.CSTNode, function: cst.FunctionDef) -> Optional[cst.Call]:
        """The first call in `statement` (source order) that waits or sleeps, itself or in what it
        runs (`self._recv()` reaching `event.wait()`); an outer call only waits through its own
        callee, so in `f(q.get(), self.x)` it is `q.get()`, and `self.x` is read after it."""
        for node in walk_statements([statement]):
            if not isinstance(node, cst.Call):
                continue
            if waits(node, self.imports):
                return node
            owner = self.graph.owner.get(id(function))
            targets = list(self.graph.callees(node, owner, _receiver(function) if owner is not None else None))
            if _is_attr_of(node.func, _receiver(function)):
                targets += self.callbacks.get(node.func.attr.value, [])  # type: ignore[attr-defined]
            if any(self.first_wait([target.body], target, sleeps=True) is not None for target in targets):
                return node
        return None


def object_calls(context: LintContext, class_node: cst.ClassDef) -> ObjectCalls:
    """`ObjectCalls` of a class, built once per module and class (memoised on the context)."""
    key = ("object_calls", id(class_node))
    if key not in context.memo:
        context.memo[key] = ObjectCalls(context, class_node)
    return context.memo[key]  # type: ignore[return-value]


def held_lock_conflict(
    context: LintContext, class_node: cst.ClassDef, lock_attr: str, site: Optional[cst.FunctionDef],
    caller_locks: tuple[str, ...] = (),
) -> Optional[str]:
    """Why the object's existing `self.<lock_attr>` must not be taken in `site` (anywhere, for
    None: only the waits are checked), or None.

    Every `with self.<lock_attr>:` in the class, its in-module bases and subclasses (mixins
    included) is a holder. A holder that can reach `site` (through calls, `super()`, overrides,
    properties or callback attributes) would take a plain Lock twice; an RLock or Condition is
    re-entered safely (`condition_locks`: a Condition over a plain Lock is not; a hand-over never
    is); so is a holder in another module (`caller_locks`). A holder waiting for another thread
    (`join()`, `Event.wait()`, `queue.get()`, `recv()`, `send()`, `Future.result()`; not the
    Condition's own `wait()`) while holding it would wait for the threads the fix makes take it."""
    calls = object_calls(context, class_node)
    factory = _lock_factory(context, calls, lock_attr)
    reentrant, holders, handed = lock_identity(context, calls, lock_attr, factory, _lock_factory)
    if handed is not None:
        return handed
    held = (lock_attr, factory == "threading.Condition")
    if site is not None and not reentrant and lock_attr in caller_locks:  # `project.join`: a holder elsewhere
        return (
            f"a caller in the project holds the object's `{lock_attr}` around a call that reaches "
            f"`{site.name.value}()`: taking that plain Lock there again would deadlock "
            "(make it an RLock, or move the call out of the lock, by hand)"
        )
    for method in calls.methods():
        receivers = {_receiver(method), *calls.classes}
        for block in _holding_blocks(method, receivers, holders):
            if site is not None and not reentrant and any(f is site for f in calls.reachable(block, method)):
                return (
                    f"`{method.name.value}()` holds `self.{lock_attr}` around a call that reaches "
                    f"`{site.name.value}()`: taking that plain Lock there again would deadlock "
                    "(make it an RLock, or move the call out of the lock, by hand)"
                )
            wait = calls.first_wait(block, method, held)
            if wait is not None:
                return (
                    f"`{method.name.value}()` holds `self.{lock_attr}` while it waits in `{wait}`: "
                    "a thread that must take it first could never let that wait end"
                )
    if site is not None and not reentrant:
        return _module_function_holder(calls, class_node.name.value, lock_attr, site)
    return None


def _module_function_holder(calls: ObjectCalls, class_name: str, lock_attr: str, site: cst.FunctionDef) -> Optional[str]:
    """A module function holding `obj.<lock_attr>` around `obj.m()` reaching `site` (`obj` taken for this class's)."""
    for function in calls.graph.functions.values():
        for node in walk_all(function):
            if not isinstance(node, cst.With):
                continue
            for item in node.items:
                lock = item.item
                named = isinstance(lock, cst.Attribute) and isinstance(lock.value, cst.Name)
                if not (named and lock.attr.value == lock_attr):  # type: ignore[attr-defined]
                    continue
                holder = lock.value.value  # type: ignore[attr-defined]
                for call in walk_statements([node.body]):
                    if isinstance(call, cst.Call) and _is_attr_of(call.func, holder):
                        targets = calls.graph.dispatch(class_name, call.func.attr.value)  # type: ignore[attr-defined]
                        reached = [*targets, *(f for t in targets for f in calls.reachable([t.body], t))]
                        if any(f is site for f in reached):
                            return (
                                f"`{function.name.value}()` holds `{holder}.{lock_attr}` around a call that reaches "
                                f"`{site.name.value}()`: taking that plain Lock there again would deadlock "
                                "(make it an RLock, or move the call out of the lock, by hand)"
                            )
    return None


def _lock_factory(context: LintContext, calls: ObjectCalls, lock_attr: str) -> Optional[str]:
    for method in calls.methods():
        receiver = _receiver(method)
        for node in walk_all(method):
            if isinstance(node, cst.Assign) and any(_is_attr_of(t.target, receiver, lock_attr) for t in node.targets):
                return call_factory(node.value, context.imports)
    for cls in calls.classes:
        class_node = next((c for c in context.module.body if isinstance(c, cst.ClassDef) and c.name.value == cls), None)
        factory = existing_lock_factory(context, lock_attr, class_node) if class_node is not None else None
        if factory is not None:
            return factory
    return None


def _holding_blocks(
    method: cst.FunctionDef, receivers: set[Optional[str]], attrs: tuple[str, ...]
) -> Iterator[list[cst.CSTNode]]:
    """What `method` runs holding `<receiver>.<attr>` (`self`, or the class by name; any of `attrs`):
    each `with` body; a method that calls `acquire()` on it counts as holding it throughout."""

    def is_lock(node: cst.CSTNode) -> bool:
        return any(_is_attr_of(node, receiver, attr) for receiver in receivers for attr in attrs)

    for node in walk_all(method):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "acquire":
            if is_lock(node.func.value):
                yield [method.body]
                return
    for node in walk_all(method):
        if isinstance(node, cst.With) and any(is_lock(item.item) for item in node.items):
            yield [node.body]
