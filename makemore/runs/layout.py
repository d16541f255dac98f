"""A run directory's layout, written down once, and finding the checkpoint a command-line argument means.

    outputs/2026-11-28/10-00-00/          (or multirun/DATE/TIME/N for a -m sweep)
        .hydra/                           the resolved config (Hydra); .hydra/resume-DATE_TIME/ per resumed session
        events.out.tfevents.*             TensorBoard
        NNNNN/embedding/, projector_config.pbtxt   the projector's tables, step order (makemore/board/projector.py)
        checkpoints/best.pt               the lowest validation loss so far: what sample.py reads
        checkpoints/last.pt               the latest evaluation, interruption or the end: what train.resume reads
        metrics.json                      the final model's losses
        train.log                         the log lines of every session (Hydra's job log)
        failed.json                       a -m sweep's run that failed: the reason (makemore/runs/listing.py)
        .lock                             held (flock) by the live run that owns the directory, with its PID

An automatic run directory is claimed with mkdir, so two runs started in the same second get
outputs/DATE/TIME and outputs/DATE/TIME_2 (see claim_dir).
"""

import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

BEST, LAST = "best.pt", "last.pt"
ROOTS = ("outputs", "multirun")  # where train.py puts runs, relative to where it was started
LATEST = "latest"  # run=latest: the newest run under ROOTS, as no run= (train.resume=latest: the newest unfinished)


class RunNotFound(ValueError):
    """A run argument that names no run or checkpoint; the message names the argument."""


class RunDirBusy(ValueError):
    """A run directory that another live process is training in; the message names it and the PID."""


class RunDirUnusable(ValueError):
    """A run directory that can't be written: read-only, a symlink loop, a file, inside a file; the message names it
    and what would be right."""


NEW_RUN_HINT = "start it from a folder you can write, or give it one (hydra.run.dir=DIR)"
RESUME_HINT = "a run resumes in its own directory: copy it somewhere you can write (cp -r) and resume the copy"


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def checkpoints(self) -> Path:
        return Path(self.path) / "checkpoints"

    @property
    def best(self) -> Path:
        return self.checkpoints / BEST

    @property
    def last(self) -> Path:
        return self.checkpoints / LAST

    @property
    def metrics(self) -> Path:
        return Path(self.path) / "metrics.json"

    @property
    def log(self) -> Path:
        return Path(self.path) / "train.log"  # Hydra's job log, named after train.py

    @property
    def projector_config(self) -> Path:
        return Path(self.path) / "projector_config.pbtxt"

    @property
    def lock_file(self) -> Path:
        return Path(self.path) / ".lock"


_claimed: dict[str, str] = {}  # automatic name -> the directory this process claimed for it
_held: dict[Path, int] = {}  # run directories this process holds -> the locked file descriptor


def claim_dir(name: str) -> str:
    """A directory of its own for a new run: `name` itself, or name_2, name_3, ... if another run took it.

    mkdir either creates or fails, atomically, so two processes can never claim the same name. The answer is
    remembered: Hydra resolves hydra.run.dir more than once.
    """
    if name not in _claimed:
        _claimed[name] = claim_new_dir(name)
    return _claimed[name]


def claim_new_dir(name: str) -> str:
    """claim_dir without its memory: a directory of its own at every call (mm.train, twice in the same second).
    A folder that can't be made (an unwritable working directory) is a RunDirUnusable naming it."""
    try:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        for n in range(1, 10_000):
            candidate = name if n == 1 else f"{name}_{n}"
            try:
                os.mkdir(candidate)
            except FileExistsError:
                continue
            return candidate
    except OSError:
        check_run_dir(name, None, NEW_RUN_HINT)
        raise  # check_run_dir found nothing to say: the error as it is
    raise FileExistsError(f"{name}: 10,000 runs named so already")


def check_run_dir(path: str | Path, key: str | None, hint: str, data_path: str | Path | None = None) -> None:
    """Raise RunDirUnusable unless a run can write into `path`, or make it: not a symlink loop, not a file or inside
    one (the data file, say), and writable by this user where the run writes (the folder, checkpoints/, .hydra/,
    train.log). `key` names the path in the message (None: a new run's own), `hint` says what would be right."""
    path = Path(path)
    named = f"{key}={path}" if key else f"new run directory {path}"
    for found in (path, *path.parents):  # the path itself, else the nearest folder above it that exists
        try:
            mode = os.stat(found).st_mode
            break
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise RunDirUnusable(f"{named}: {found} is a symlink loop (it leads back to itself); "
                                     f"remove it, or give a real folder") from None  # fmt: skip
            raise RunDirUnusable(f"{named}: {found}: {(e.strerror or str(e)).lower()}; {hint}") from None
    else:
        return
    if not stat.S_ISDIR(mode):
        data = data_path is not None and Path(data_path).resolve() == found.resolve()
        what = "the data file (data.path)" if data else "a file"
        where = "is" if found == path else f"would be inside {found}, which is"
        raise RunDirUnusable(f"{named}: {where} {what}; a run directory is a folder of its own, give another path")
    run = RunDir(found)
    written = (found,) if found != path else (found, run.checkpoints, found / ".hydra", run.log)
    for target in written:
        if target.exists() and not os.access(target, os.W_OK | (os.X_OK if target.is_dir() else 0)):
            why = f"{target} is read-only" if found == path else f"can't be made, {found.absolute()} is read-only"
            why += " for this user"
            raise RunDirUnusable(f"{named}: {why}; {hint}")


def hold(run_dir: str | Path) -> None:
    """Make run_dir this live process's own, or raise RunDirBusy naming the process that has it.

    An flock on run_dir/.lock: the kernel lets it go when the process ends in any way (kill -9 included), so a
    crashed run never leaves its directory stuck. Holding it twice from one process is a no-op.
    """
    run = RunDir(Path(run_dir).resolve())
    if run.path in _held:
        return
    run.path.mkdir(parents=True, exist_ok=True)
    fd = os.open(run.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        owner = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        if e.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        raise RunDirBusy(
            f"run directory {run_dir} is in use by a live run (PID {owner}); wait for it to end, "
            "or give this run a directory of its own (hydra.run.dir=...)"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[run.path] = fd


def release(run_dir: str | Path) -> None:
    """Let run_dir go (a -m sweep's runs share one process: each lets its directory go when it ends)."""
    fd = _held.pop(Path(run_dir).resolve(), None)
    if fd is not None:
        os.close(fd)


@dataclass(frozen=True)
class Session:
    """What one train.py session adds to a run directory (Hydra's .hydra/ or .hydra/resume-STAMP/, lines in
    train.log), so that a session refused before it trained can take it all back: no clutter, no rewritten history."""

    run: RunDir
    hydra_dir: Path | None  # None under torchrun's ranks > 0, which write no Hydra files
    log_size: int
    last_mtime: float | None

    @classmethod
    def start(cls, run_dir: Path, hydra_subdir: str | None) -> "Session":
        run = RunDir(Path(run_dir))
        log = run.log
        return cls(
            run,
            Path(run_dir) / hydra_subdir if hydra_subdir else None,
            log.stat().st_size if log.is_file() else 0,
            run.last.stat().st_mtime if run.last.is_file() else None,
        )

    def take_back(self) -> None:
        """Undo this session's files, unless it trained (wrote a checkpoint): a fresh run directory holding only
        Hydra's files and train.log goes; a resumed run loses this session's .hydra/resume-*/ and log lines."""
        if self.run.last.is_file() and self.run.last.stat().st_mtime != self.last_mtime:
            return
        path = Path(self.run.path)
        if self.hydra_dir is not None and self.hydra_dir != path / ".hydra":  # a resumed run: keep its history
            shutil.rmtree(self.hydra_dir, ignore_errors=True)
            if self.run.log.is_file():
                with self.run.log.open("r+b") as f:
                    f.truncate(self.log_size)
            return
        if path.is_dir() and {p.name for p in path.iterdir()} <= {".hydra", self.run.log.name, self.run.lock_file.name}:
            shutil.rmtree(path, ignore_errors=True)
            for parent in (path.parent, path.parent.parent):  # outputs/DATE/ and outputs/, if made for it alone
                if parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()


def read_metrics(run_dir: Path) -> dict | None:
    """metrics.json as a dict; None for a run without one (unfinished) or with one that can't be read (a process
    killed while writing it, a full disk): such a run is unfinished, and one bad run never hides the others."""
    try:
        metrics = json.loads(RunDir(Path(run_dir)).metrics.read_text())
    except (OSError, ValueError):
        return None
    return metrics if isinstance(metrics, dict) else None


def write_atomically(path: Path, data: str | bytes) -> None:
    """A temporary file in the same folder, flushed to the disk, then renamed over `path`: path holds the old
    contents or the new, never part of either, whenever the process is killed (checkpoints, metrics.json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def finished_steps(run_dir: Path | None, max_steps: int) -> int | None:
    """The steps of a run that already finished train.max_steps (a readable metrics.json written at that step), else
    None: a truncated metrics.json means the run resumes, and its last session writes it again."""
    metrics = read_metrics(run_dir) if run_dir else None
    steps = metrics.get("steps") if metrics else None
    return steps if steps == max_steps else None


def find_checkpoint(run: str | Path | None, prefer: tuple[str, ...], key: str) -> Path:
    """The checkpoint `key=run` means: a .pt file, a run directory's checkpoints/<first of prefer that exists>,
    or, for None or latest, that checkpoint of the newest run under outputs/ or multirun/.

    sample.py prefers best.pt (the model to use), train.resume wants last.pt (where the run stopped). A folder or
    file this user may not look into is a RunNotFound naming it, not a traceback (or a complaint about stdout).
    """
    try:
        return checkpoint_of(run, prefer, key)
    except OSError as e:
        raise unreadable_run(key, run, e) from None


def unreadable_run(key: str, run, e: OSError) -> RunNotFound:
    """The one line for a run (or a checkpoint in it) that this user may not read: it names the file."""
    return RunNotFound(f"{key}={run}: {e.filename}: {(e.strerror or str(e)).lower()}; it can't be read as this user "
                       "(its owner can share it: chmod -R a+rX)")  # fmt: skip


def checkpoint_of(run: str | Path | None, prefer: tuple[str, ...], key: str) -> Path:
    if run is None or str(run) == LATEST:
        found = [p for root in ROOTS for name in prefer[:1] for p in Path(root).glob(f"**/checkpoints/{name}")]
        if not found:
            raise RunNotFound(
                f"no trained run found (no checkpoints/{prefer[0]} under {' or '.join(ROOTS)}/ in {Path.cwd()}); "
                f"train one with `python train.py`, or pass {key}=PATH"
            )
        return max(found, key=lambda p: p.stat().st_mtime)
    path = Path(run)
    if path.is_file():
        return path
    if path.is_dir():
        for folder in (RunDir(path).checkpoints, path):  # a run directory, or its checkpoints/ folder
            for name in prefer:
                if (folder / name).is_file():
                    return folder / name
        wanted = " or ".join(f"checkpoints/{name}" for name in prefer)
        raise RunNotFound(f"{key}={path}: a directory without {wanted}, nothing to read")
    if path.is_symlink():
        raise RunNotFound(f"{key}={path}: a symlink that leads nowhere (a loop, or its target is gone)")
    raise RunNotFound(f"{key}={path}: no such run directory or checkpoint file")


def run_dir_of(checkpoint: str | Path | None) -> Path | None:
    """The run directory a resumed run goes on writing into, or None if `checkpoint` is not inside one."""
    if not checkpoint:
        return None
    path = Path(checkpoint)
    if path.is_dir() and (RunDir(path).last.is_file() or RunDir(path).best.is_file()):
        return path
    if path.is_file() and path.parent.name == "checkpoints":
        return path.parent.parent
    return None
