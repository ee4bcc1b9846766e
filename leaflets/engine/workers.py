"""Render leaflets to PDF files in worker processes, each setting WeasyPrint up once.

Each worker imports WeasyPrint once and keeps one Renderer (one font
configuration, one fetcher) for all the leaflets it renders. Results come
back in the order of the tasks, whatever order the workers finish in. A
worker that dies (a crash in a native library, the out-of-memory killer)
fails only the leaflet it was rendering: the leaflets it had not started are
rendered by a new pool, and the ones it may have been rendering are retried
one by one, each in a process of its own, to find the one that kills it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import gc
import hashlib
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import LeafletsError
from ..output import atomic_write

if TYPE_CHECKING:
    from .preflight import Rules
    from .rendering import Renderer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One leaflet to render: its HTML, and where its PDF goes."""

    name: str
    html: str
    base_url: str
    output: Path
    #: The date stamped into fonts fontTools subsets (seconds since 1970, from the data).
    source_date_epoch: int = 0
    #: What the preflight checks in the PDF before it is written (None: no preflight).
    rules: Rules | None = None
    #: The CSS of each step that fits it to its page budget, tried in turn (fitting.py).
    fit: tuple[str, ...] = ()
    #: The output as messages name it ("build/x.en.handout.pdf").
    shown: str = ""


@dataclass(frozen=True)
class Result:
    """What rendering one task gave: a written PDF, or why there is none."""

    name: str
    error: str = ""
    pages: int = 0
    size: int = 0
    sha256: str = ""
    warnings: tuple[str, ...] = ()
    #: Every file the leaflet used, with the SHA-256 of the bytes used.
    files: tuple[tuple[Path, str], ...] = ()
    #: The worker process's peak resident memory so far, in bytes (0 if unknown).
    peak_rss: int = 0
    #: Why fonts were subset with fontTools instead of HarfBuzz ("" when they were not).
    font_fallback: str = ""
    #: Log records the worker emitted, to be logged again in the main process.
    records: tuple[tuple[str, int, str], ...] = field(default=(), repr=False)
    #: What the preflight found, one line each (the PDF is not written when any).
    findings: tuple[str, ...] = ()
    #: The fitting step that made it fit its page budget (0: none was needed).
    fitted: int = 0

    @property
    def ok(self) -> bool:
        """Tell whether the PDF was written."""
        return not self.error


@dataclass(frozen=True)
class Settings:
    """How every worker sets up its renderer."""

    allowed_roots: tuple[Path, ...]
    pdf_variant: str
    log_level: int = logging.WARNING
    #: Where workers put temporary files (WeasyPrint's fonts), "" for the default.
    scratch: str = ""


#: A function that renders one task in a worker (replaceable to inject faults in tests).
RenderFunction = Callable[[Task], Result]


def cpu_count() -> int:
    """Return how many CPUs this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def render_task(task: Task) -> Result:
    """Render *task* with this process's renderer, preflight it, and write its PDF atomically.

    An output longer than its page budget is rendered again with each
    fitting step until it fits. A PDF the preflight finds fault with is not
    written: the one already there, if any, stays.
    """
    renderer = _state().renderer
    fitted = 0
    try:
        rendered = renderer.render(
            task.html,
            base_url=task.base_url,
            name=task.name,
            source_date_epoch=task.source_date_epoch,
        )
        budget = task.rules.max_pages if task.rules else 0
        for step, css in enumerate(task.fit, start=1):
            if not budget or rendered.pages <= budget:
                break
            rendered = renderer.render(
                task.html,
                base_url=task.base_url,
                name=task.name,
                source_date_epoch=task.source_date_epoch,
                extra_css=css,
            )
            fitted = step
    except LeafletsError as error:
        return Result(task.name, error=str(error))
    if task.rules is not None:
        from .preflight import preflight

        findings = tuple(
            f"{task.shown or task.output.name}: {finding}"
            for finding in preflight(
                rendered.pdf, rules=task.rules, areas=rendered.areas, source=task.html
            )
        )
        if findings:
            # One line each: the file, the page, what is wrong and where.
            return Result(
                task.name,
                error="\n".join(findings),
                pages=rendered.pages,
                findings=findings,
                fitted=fitted,
            )
    try:
        atomic_write(task.output, rendered.pdf)
    except OSError as error:
        return Result(task.name, error=f"cannot write {task.output}: {error.strerror}")
    return Result(
        task.name,
        pages=rendered.pages,
        size=len(rendered.pdf),
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        warnings=rendered.warnings,
        files=tuple(sorted(rendered.files.items())),
        peak_rss=_peak_rss(),
        font_fallback=rendered.font_fallback,
        fitted=fitted,
    )


def render_all(
    tasks: Sequence[Task],
    *,
    settings: Settings,
    jobs: int,
    render: RenderFunction = render_task,
) -> Iterator[Result]:
    """Render *tasks* with up to *jobs* processes; yield one Result per task, in order.

    With one job (or one task) the leaflets are rendered in this process.
    """
    workers = max(1, min(jobs, len(tasks)))
    if workers == 1:
        # A renderer of its own for each build: the font configuration keeps
        # the fonts it loaded, which an edit between two builds may change.
        _set_state(settings)
        try:
            for task in tasks:
                yield _guarded(render, task)
        finally:
            _drop_state()
        return
    yield from _render_in_pools(tasks, settings=settings, workers=workers, render=render)


def warm_up() -> None:
    """Start the process that forks workers now, while the caller prepares the tasks."""
    context = _context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


#: What multiprocessing adds to TMPDIR for the fork server's socket:
#: "/pymp-XXXXXXXX/listener-XXXXXXXX".
_SOCKET_NAME_LENGTH = len("/pymp-XXXXXXXX/listener-XXXXXXXX")


@functools.cache
def _context() -> BaseContext:
    # Workers are forked from a clean server process that imported WeasyPrint
    # once, rather than from this process: forking a process that runs other
    # threads (the file watcher's) can deadlock the child.
    # The fork server listens on a UNIX socket in a folder under TMPDIR, and a
    # socket's path may be at most 107 bytes: with a longer TMPDIR it cannot
    # start ("AF_UNIX path too long"), so workers are spawned instead.
    socket_path_fits = len(os.fsencode(tempfile.gettempdir())) + _SOCKET_NAME_LENGTH <= 107
    if "forkserver" in multiprocessing.get_all_start_methods() and socket_path_fits:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["leaflets.engine.rendering", "leaflets.engine.workers"])
        return context
    return multiprocessing.get_context("spawn")


class _State:
    """What one process keeps between tasks."""

    def __init__(self, settings: Settings) -> None:
        from .rendering import Renderer

        self.settings = settings
        self.renderer: Renderer = Renderer(
            allowed_roots=list(settings.allowed_roots), pdf_variant=settings.pdf_variant
        )


_STATE: _State | None = None


def _state() -> _State:
    if _STATE is None:
        raise RuntimeError("render_task() called before the renderer was set up")
    return _STATE


def _set_state(settings: Settings) -> None:
    global _STATE
    _STATE = _State(settings)


def _drop_state() -> None:
    # Dropping the renderer deletes the font configuration's temporary
    # folder, which WeasyPrint does when the object is collected.
    global _STATE
    _STATE = None
    gc.collect()


def _guarded(render: RenderFunction, task: Task) -> Result:
    try:
        return render(task)
    except Exception as error:  # A bug must not stop the other leaflets.
        logger.debug("%s: internal error", task.name, exc_info=True)
        return Result(task.name, error=f"internal error: {type(error).__name__}: {error}")


class _Capture(logging.Handler):
    """Keep a worker's log records, to be sent back with its result."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


_CAPTURE = _Capture()


def _exit_with_build() -> None:
    """Make this worker exit as soon as the build that asked for it dies, ``kill -9`` included.

    Two guards: the kernel kills the worker when its parent (the fork
    server) dies, and a thread waits on the pipe from the build, which ends
    when the build does (the fork server itself exits when the build dies).
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    build = multiprocessing.parent_process()
    if build is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([build.sentinel])
        os._exit(1)  # No clean-up: the next build deletes what this one leaves.

    threading.Thread(target=watch, name="leaflets-build-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1  # From <linux/prctl.h>.


def _start_worker(settings: Settings, started: Any) -> None:
    """Set a worker process up: its renderer, its logging, and no Ctrl-C of its own."""
    global _STARTED
    _exit_with_build()
    # Ctrl-C reaches the whole process group: the main process stops the
    # build, and workers finish the leaflet at hand instead of dying half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    package = logging.getLogger("leaflets")
    package.handlers[:] = [_CAPTURE]
    package.setLevel(settings.log_level)
    package.propagate = False
    _STARTED = started
    if settings.scratch:
        tempfile.tempdir = settings.scratch
    _set_state(settings)
    # Workers leave through os._exit(), which skips object cleanup: drop the
    # renderer in multiprocessing's exit hook instead.
    multiprocessing.util.Finalize(None, _drop_state, exitpriority=10)


_STARTED: Any = None


def _run_in_worker(index: int, task: Task, render: RenderFunction) -> Result:
    # Mark the task as started first: if this process dies, the main process
    # knows which leaflets it may have been rendering.
    _STARTED[index] = 1
    _CAPTURE.records.clear()
    result = _guarded(render, task)
    return replace(result, records=tuple(_CAPTURE.records), peak_rss=_peak_rss())


#: The temporary folders of worker pools, in the system's temporary folder.
SCRATCH_PREFIX = "leaflets-workers-"
#: A file in each pool's folder that its build keeps locked while it runs.
_SCRATCH_LOCK = ".build.lock"


def _render_in_pools(
    tasks: Sequence[Task], *, settings: Settings, workers: int, render: RenderFunction
) -> Iterator[Result]:
    # A worker that is killed cannot delete its temporary files (WeasyPrint
    # copies the fonts it loads): they all go in one folder, deleted here,
    # or by a later build when this one is killed.
    _remove_stale_scratch()
    scratch, lock = _locked_scratch()
    try:
        yield from _render_in_pools_in(
            tasks, settings=replace(settings, scratch=scratch), workers=workers, render=render
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        os.close(lock)


def _locked_scratch() -> tuple[str, int]:
    """Create a pool's temporary folder, locked for as long as this process lives."""
    while True:
        scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
        lock = os.open(os.path.join(scratch, _SCRATCH_LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(scratch):
            return scratch, lock
        os.close(lock)  # Another build took it for stale in the instant before the lock.


def _remove_stale_scratch() -> list[str]:
    """Delete the temporary folders of pools whose build died; return their paths.

    A live build holds the lock in its folder; the kernel releases it when
    the build dies, however it dies.
    """
    removed: list[str] = []
    root = tempfile.gettempdir()
    names: list[str] = []
    with contextlib.suppress(OSError):
        names = [name for name in os.listdir(root) if name.startswith(SCRATCH_PREFIX)]
    for name in names:
        folder = os.path.join(root, name)
        try:
            lock = os.open(os.path.join(folder, _SCRATCH_LOCK), os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue  # Not ours to judge (made by an older leaflets, or not a folder).
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            continue  # Its build is running.
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)
        logger.debug("removed %s, left by a build that was killed", folder)
        removed.append(folder)
    return removed


def _render_in_pools_in(
    tasks: Sequence[Task], *, settings: Settings, workers: int, render: RenderFunction
) -> Iterator[Result]:
    context = _context()
    results: dict[int, Result] = {}
    pending = list(range(len(tasks)))
    next_index = 0
    while pending:
        started = context.RawArray("b", len(tasks))
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(pending)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(settings, started),
        )
        lost: list[int] = []
        try:
            futures: list[tuple[int, Future[Result]]] = [
                (index, pool.submit(_run_in_worker, index, tasks[index], render))
                for index in pending
            ]
            for index, future in futures:
                try:
                    results[index] = future.result()
                except BrokenProcessPool:
                    lost.append(index)
                except Exception as error:  # Such as a result that cannot be pickled.
                    results[index] = Result(
                        tasks[index].name, error=f"internal error: {type(error).__name__}: {error}"
                    )
                while next_index in results:
                    yield _replay(results.pop(next_index))
                    next_index += 1
        finally:
            # On Ctrl-C, finish only the leaflets being rendered now.
            pool.shutdown(wait=True, cancel_futures=True)
        suspects = [index for index in lost if started[index]]
        pending = [index for index in lost if not started[index]]
        if lost and not suspects:
            # The pool broke before any of these started: its workers cannot start.
            for index in lost:
                results[index] = Result(
                    tasks[index].name, error="the worker processes failed to start"
                )
            pending = []
        for index in suspects:
            results[index] = _render_alone(context, tasks[index], settings, render)
        while next_index in results:
            yield _replay(results.pop(next_index))
            next_index += 1


def _render_alone(
    context: BaseContext, task: Task, settings: Settings, render: RenderFunction
) -> Result:
    """Render one task in a process of its own, to tell whether it is what kills workers."""
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_alone_main, args=(sender, task, settings, render), daemon=True
    )
    process.start()
    sender.close()
    try:
        result: Result = receiver.recv()
    except EOFError:
        process.join()
        code = process.exitcode
        if code is not None and code < 0:
            how = f"killed by signal {signal.Signals(-code).name}"
        else:
            how = f"exit status {code}"
        return Result(task.name, error=f"the worker process rendering it died ({how})")
    finally:
        receiver.close()
    process.join()
    return result


def _alone_main(sender: Any, task: Task, settings: Settings, render: RenderFunction) -> None:
    _start_worker(settings, bytearray(1))  # It exits with the build too.
    sender.send(_run_in_worker(0, task, render))
    sender.close()


def _replay(result: Result) -> Result:
    """Log a worker's records here, where the command line shows them."""
    for name, level, message in result.records:
        logging.getLogger(name).log(level, "%s", message)
    return replace(result, records=())


def _peak_rss() -> int:
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux counts kilobytes, macOS bytes.
    return int(peak if sys.platform == "darwin" else peak * 1024)
