"""The documentation is tested, so it cannot rot silently: every command in README.md and docs/*.md composes its
config as printed (its keys pass the entry point's own check first) and the cheap ones run; every data file a
command names is in the repository (except the lectures' names.txt, whose download each page that needs it shows
once, and the user's own my_words.txt); every relative link resolves; docs/configuration.md is what
scripts/config_reference.py writes; and a measured loss figure lives in docs/results.md and the README's zoo table
only."""

import argparse
import importlib.util
import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import runs
from helpers import CONFIGS, ROOT
from makemore.cli.configs import register_configs
from makemore.cli.overrides import config_groups, refuse_unknown_keys, refuse_unknown_overrides
from makemore.config import Config, EvaluateConfig, SampleConfig, ScoreConfig

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCRIPTS = ("train.py", "sample.py", "score.py", "evaluate.py", "runs.py")
CONFIG_NAMES = {"train.py": "config", "sample.py": "sample", "score.py": "score", "evaluate.py": "evaluate"}
SCHEMAS = {"train.py": Config, "sample.py": SampleConfig, "score.py": ScoreConfig, "evaluate.py": EvaluateConfig}
LECTURE_NAMES = "names.txt"  # the lectures' list: not bundled, downloaded as each page that needs it says
LECTURE_URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
LECTURE_DOWNLOAD = f"curl -O {LECTURE_URL}"
USER_FILES = {LECTURE_NAMES, "my_words.txt", "-"}  # word files a reader brings (or stdin)
# what a line of an `sh` block may start with; each kind is checked below
PROGRAMS = ("python", "torchrun", "pip", "curl", "tensorboard", "pytest", "ruff", "mkdir", "cat", "head")
COMMAND_SPAN = re.compile(r"^(python|torchrun|pip install|curl|tensorboard|pytest) ")
FENCE = re.compile(r"^```(.*?)\n(.*?)^```[ \t]*$", re.M | re.S)
LOSS = re.compile(r"(?<![\d.])[1-4]\.\d{3,4}(?!\d)")  # a loss as results.md writes one: 1.983, 1.8921


class Page:
    """A Markdown page: its fenced blocks (language, text) and its prose with the blocks left out."""

    def __init__(self, path: Path):
        self.path = path
        self.name = str(path.relative_to(ROOT))
        self.text = path.read_text()
        self.blocks = [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(self.text)]
        self.prose = FENCE.sub("", self.text)

    def commands(self) -> list[list[str]]:
        """Every command: the lines of `sh` blocks, `$ ` lines of `text` blocks, and inline code spans that run
        a program. Continuation lines joined, comments dropped; each command split into words."""
        lines = []
        for lang, body in self.blocks:
            for line in body.replace("\\\n", " ").splitlines():
                line = line.strip()
                if lang == "sh" and line and not line.startswith("#"):
                    lines.append(line)
                elif lang == "text" and line.startswith("$ "):
                    lines.append(line[2:])
        for span in re.findall(r"(?<!`)`([^`]+)`(?!`)", self.prose):
            span = " ".join(span.split())
            if COMMAND_SPAN.match(span):
                lines.append(span)
        return [shlex.split(line, comments=True) for line in lines]


DOCS = [Page(p) for p in PAGES]
README = DOCS[0]


def segments(words: list[str]) -> list[list[str]]:
    """`cat f | python score.py words=-` -> [[cat, f], [python, score.py, words=-]]."""
    out = [[]]
    for word in words:
        if word == "|":
            out.append([])
        else:
            out[-1].append(word)
    return [s for s in out if s]


def entry_point(words: list[str]) -> tuple[str, list[str]] | None:
    """(script, arguments) of a `python train.py ...` or `torchrun ... train.py ...` command, else None."""
    if words[0] == "python" and words[1:2] and words[1] in SCRIPTS:
        return words[1], words[2:]
    if words[0] == "torchrun" and "train.py" in words:
        return "train.py", words[words.index("train.py") + 1 :]
    return None


def documented() -> list[tuple[str, tuple[str, ...]]]:
    """(the first page that shows it, command) for every command of every page, each command once."""
    first = {}
    for page in DOCS:
        for command in page.commands():
            for segment in segments(command):
                first.setdefault(tuple(segment), page.name)
    return sorted((name, words) for words, name in first.items())


ALL = documented()
ENTRY_COMMANDS = [(page, words) for page, words in ALL if entry_point(list(words))]
OTHER_COMMANDS = [(page, words) for page, words in ALL if not entry_point(list(words))]


def refusal_pairs() -> list[tuple[str, str]]:
    """(command, the error line it prints): an `sh` block followed by a `text` block of as many `error:` lines."""
    pairs = []
    for page in DOCS:
        for (lang, body), (next_lang, next_body) in zip(page.blocks, page.blocks[1:]):
            commands = [line.strip() for line in body.splitlines() if line.strip()]
            printed = next_body.splitlines()
            if lang == "sh" and next_lang == "text" and all(p.startswith("error: ") for p in printed):
                assert len(commands) == len(printed), f"{page.name}: each refused command needs its error line"
                pairs += zip(commands, printed)
    return pairs


REFUSALS = refusal_pairs()
REFUSED = {tuple(shlex.split(command)) for command, _ in REFUSALS}
HELP = sorted({words for _, words in ENTRY_COMMANDS if "--help" in words})


def as_single_run(args: list[str]) -> list[str]:
    """A -m sweep's first run (a,b -> a), without Hydra's own keys; STEPS-style placeholders become a number."""
    out = []
    for arg in args:
        if arg in ("-m", "--multirun") or arg.startswith(("hydra.", "hydra/")):
            continue
        key, _, value = arg.partition("=")
        value = "100" if value.isupper() else value if value.startswith("[") else value.split(",")[0]  # [a,b]: a list
        out.append(f"{key}={value}")
    return out


def word_file_exists(path: str | None) -> bool:
    return path is None or path in USER_FILES or (ROOT / path).is_file()


# ---- the pages


PYTHON_PAGES = ("docs/api.md",)  # pages whose ```python blocks a test executes (tests/test_docs_api.py)


def test_every_fence_says_whether_it_holds_commands_or_output():
    for page in DOCS:
        for lang, body in page.blocks:
            if lang == "python" and page.name in PYTHON_PAGES:
                continue  # run by tests/test_docs_api.py
            assert lang in ("sh", "text"), f"{page.name}: a block is `sh` (commands) or `text` (output): {body[:60]!r}"
            if lang == "sh":
                for line in body.replace("\\\n", " ").splitlines():
                    for segment in segments(shlex.split(line, comments=True)):
                        assert segment[0] in PROGRAMS, f"{page.name}: no test checks {' '.join(segment)!r}"


def test_the_docs_have_the_commands_a_newcomer_needs():
    firsts = {" ".join(words[1:]) for _, words in ENTRY_COMMANDS}
    assert {"train.py", "train.py embedding=onehot", "sample.py", "runs.py", "evaluate.py"} <= firsts
    assert any(w[1] == "score.py" for _, w in ENTRY_COMMANDS)
    assert any(w[1:3] == ("sample.py", "mode=likeliest") for _, w in ENTRY_COMMANDS)
    assert len(ENTRY_COMMANDS) > 50


def test_the_readme_is_the_front_door():
    assert len(README.text.encode()) < 15_000, "the README is the front door; reference belongs in docs/"
    first_screen = "\n".join(README.text.splitlines()[:60])
    for needed in ('pip install -e ".[dev]"', "python train.py", "python train.py data.path=", "python sample.py",
                   "tensorboard --logdir"):  # fmt: skip
        assert needed in first_screen, f"{needed!r} is not in the README's first 60 lines"
    quickstart = [line.split("#")[0].strip() for line in README.blocks[0][1].splitlines()]
    expected = ["pip install torch==2.13.0", 'pip install -e ".[dev]"', "python train.py",
                "python train.py embedding=onehot", "python sample.py", "tensorboard --logdir .", "pytest"]  # fmt: skip
    assert [line for line in quickstart if line in expected] == expected, "the Quickstart runs these, in this order"


def test_a_page_that_needs_the_lectures_list_says_how_to_get_it_once():
    for page in DOCS:
        needs = [" ".join(c) for c in page.commands() if f"data.path={LECTURE_NAMES}" in c
                 or any(c[i : i + 2] == ["--data", LECTURE_NAMES] for i in range(len(c)))]  # fmt: skip
        if needs:
            assert page.text.count(LECTURE_DOWNLOAD) == 1, f"{page.name}: say once how to get names.txt ({needs[0]})"
            first_use = min(page.text.find(f"data.path={LECTURE_NAMES}"), page.text.find(f"--data {LECTURE_NAMES}"),
                            key=lambda i: i if i >= 0 else len(page.text))  # fmt: skip
            assert page.text.find(LECTURE_DOWNLOAD) < first_use, f"{page.name}: the download comes before its use"


def github_anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lowercase, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", FENCE.sub("", text), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_resolves():
    for page in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.prose):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.path.parent / path).resolve() if path else page.path
            assert resolved.exists(), f"{page.name}: link to {target}: no such file"
            if anchor:
                assert anchor in github_anchors(resolved.read_text()), f"{page.name}: link to {target}: no such heading"


def test_measured_loss_figures_live_in_results_md():
    """A loss is quoted in docs/results.md with its command and commit, and again only in the README's zoo table;
    other pages link there (example output in a `text` block of one page is fine); configs/ quotes none."""
    results = next(p for p in DOCS if p.name == "docs/results.md")
    measured = set(LOSS.findall(results.text))
    for page in DOCS:
        if page is results:
            continue
        for line in page.prose.splitlines():
            for figure in LOSS.findall(line):
                if page is README:
                    assert line.startswith("|") and figure in measured, f"README.md: {figure} outside its zoo table"
                else:
                    raise AssertionError(f"{page.name}: {figure} is a measured figure; link to docs/results.md")
    for path in sorted(CONFIGS.rglob("*.yaml")):
        assert not LOSS.findall(path.read_text()), f"{path.relative_to(ROOT)}: a figure; link to docs/results.md"
    example_output = {}
    for page in DOCS:
        for figure in {f for lang, body in page.blocks if lang == "text" for f in LOSS.findall(body)}:
            example_output.setdefault(figure, []).append(page.name)
    for figure, names in example_output.items():
        assert len(names) == 1 and figure not in measured, f"{figure} quoted in {names} and docs/results.md"


# ---- the commands


@pytest.mark.slow
@pytest.mark.parametrize("page, words", ENTRY_COMMANDS, ids=[f"{p}: {' '.join(w)}"[:90] for p, w in ENTRY_COMMANDS])
def test_entry_point_command_composes(page, words):
    script, args = entry_point(list(words))
    if words in REFUSED or "--help" in args:
        return  # run below
    if script == "runs.py":
        runs.parse(args)  # exits 2 on a bad argument
        return
    refuse_unknown_overrides(args, SCHEMAS[script], config_groups(CONFIGS) if script == "train.py" else ())
    register_configs()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name=CONFIG_NAMES[script], overrides=as_single_run(args))
    refuse_unknown_keys(cfg)  # exits 2 on a key no dataclass declares
    OmegaConf.to_object(cfg)  # the range checks
    data = {
        "train.py": cfg.get("data", {}).get("path"),
        "evaluate.py": cfg.get("data", {}).get("path"),
        "score.py": cfg.get("words"),
    }.get(script)  # the word file a command reads, if any
    assert word_file_exists(data), f"{page}: {' '.join(words)}: {data} is not in the repository"


class Parsed(Exception):
    """Raised by a benchmark's own ArgumentParser once it has parsed the documented arguments."""


def parse_with_own_parser(path: Path, args: list[str], monkeypatch) -> argparse.Namespace:
    """A script's arguments through its own argparse parser, stopping before it does any work."""
    parse_args = argparse.ArgumentParser.parse_args

    def parse_only(self, args=None, namespace=None):
        raise Parsed(parse_args(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_only)
    monkeypatch.setattr(sys, "argv", [str(path), *args])
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        runpy.run_path(str(path), run_name="__main__")
    except Parsed as parsed:
        return parsed.args[0]
    except SystemExit as exit:
        pytest.fail(f"{path.name} {' '.join(args)}: its parser refused the arguments (exit {exit.code})")
    pytest.fail(f"{path.name} never parsed its arguments")


def check_other(words: list[str], monkeypatch) -> None:
    program, args = words[0], words[1:]
    if program == "python" and args[:1] == ["-c"]:
        return
    if program == "python":
        path = ROOT / args[0]
        assert path.is_file() and path.parent.name in ("scripts", "benchmarks"), f"no such script: {args[0]}"
        if path.parent.name == "benchmarks":
            parsed = parse_with_own_parser(path, args[1:], monkeypatch)
            assert word_file_exists(getattr(parsed, "data", None)), f"{args[0]}: --data {parsed.data} is not here"
        else:  # scripts/ may need extras (make_names.py: pyarrow); their flags must be theirs
            source = path.read_text()
            assert all(f'"{a.split("=")[0]}"' in source for a in args[1:] if a.startswith("--")), words
    elif program == "pip":
        assert args[0] == "install"
        extras = re.search(r"^\[project.optional-dependencies\]\n(.*?)(^\[|\Z)", (ROOT / "pyproject.toml").read_text(),
                           re.M | re.S).group(1)  # fmt: skip
        declared = set(re.findall(r"^(\w+) = ", extras, re.M))
        rest = args[1:]
        while rest:
            if rest[0] == "-e":
                target = rest[1]
                assert target == "." or set(target[2:-1].split(",")) <= declared, f"no such extra: {target}"
                rest = rest[2:]
            elif rest[0] == "--index-url":
                assert rest[1].startswith("https://download.pytorch.org/whl/"), rest[1]
                rest = rest[2:]
            else:
                assert re.fullmatch(r"torch(==[\d.]+)?", rest[0]), f"pip install {rest[0]}: not documented here"
                rest = rest[1:]
    elif program == "curl":
        assert args[-1] == LECTURE_URL and args[0] in ("-O", "-o"), "the one download is the lectures' list"
    elif program == "tensorboard":
        assert args[:1] == ["--logdir"] and args[1] in (".", "outputs", "multirun"), words
        assert all(not a.startswith("--") for a in args[2:]) or args[2] == "--samples_per_plugin", words
    elif program == "pytest":
        rest = list(args)
        while rest:
            flag = rest.pop(0)
            if flag in ("-n", "-m", "-k"):
                rest.pop(0)
            elif not flag.startswith("-"):
                assert (ROOT / flag).exists(), f"pytest {flag}: no such test"
    elif program == "ruff":
        assert args[:1] in (["check"], ["format"]), words
    elif program == "cat":
        assert all(word_file_exists(a) for a in args), words
    else:
        assert program in ("mkdir", "head"), f"no test checks {' '.join(words)!r}"


@pytest.mark.parametrize("page, words", OTHER_COMMANDS, ids=[f"{p}: {' '.join(w)}"[:90] for p, w in OTHER_COMMANDS])
def test_other_command_is_real(page, words, monkeypatch):
    check_other(list(words), monkeypatch)


def run(words: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess:
    """A documented `python X.py ...` command, run for real in `cwd`."""
    args = [sys.executable, str(ROOT / words[1]), *words[2:]]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("command, printed", REFUSALS)
def test_documented_refusal_prints_its_line(command, printed, tmp_path):
    proc = run(tuple(shlex.split(command)), tmp_path)
    assert (proc.returncode, proc.stderr.strip(), proc.stdout) == (2, printed, "")
    assert not any(tmp_path.iterdir()), "a refused command leaves nothing behind"


@pytest.mark.slow
@pytest.mark.parametrize("words", HELP, ids=[" ".join(w) for w in HELP])
def test_documented_help_runs(words, tmp_path):
    proc = run(words, tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr[-2000:]


@pytest.mark.slow
def test_runs_py_on_a_fresh_clone_says_there_are_no_runs(tmp_path):
    proc = run(("python", "runs.py"), tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: no runs under outputs or multirun"), proc.stderr


# ---- the configuration reference


def load_generator():
    spec = importlib.util.spec_from_file_location("config_reference", ROOT / "scripts" / "config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_md_is_what_the_script_writes():
    generator = load_generator()
    assert (ROOT / "docs" / "configuration.md").read_text() == generator.reference(), (
        "docs/configuration.md is out of date: run python scripts/config_reference.py"
    )


def test_configuration_md_check_runs_as_documented():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "config_reference.py"), "--check"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_the_reference_lists_every_key_with_its_comment():
    generator = load_generator()
    text = generator.reference()
    for schema in SCHEMAS.values():
        for key, _, meaning in generator.rows(schema):
            assert f"| `{key}` |" in text and meaning, f"{schema.__name__}: {key} has no comment in makemore/config.py"


TOY = """
from dataclasses import dataclass, field


@dataclass
class Inner:
    path: str = "x.txt"  # a file


@dataclass
class Base:
    run: str | None = None  # a run directory
    device: str = "cpu"  # where to compute


@dataclass
class Child(Base):
    # how many names,
    # at least 1
    num: int = 20
    mode: str = "a"  # a | b: the mode,
    # said on two lines
    seed: int = 0  # same seed, same names
    inner: Inner = field(default_factory=Inner)
    device: str = "cuda"  # the child's own device
    tags: list[int] = field(default_factory=lambda: [1, 2])  # a list
"""


def test_the_generator_follows_fields_through_inheritance_and_nesting(tmp_path, monkeypatch):
    (tmp_path / "toy_config.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    import toy_config

    monkeypatch.setitem(sys.modules, "toy_config", toy_config)
    rows = load_generator().rows(toy_config.Child)
    assert rows == [
        ("run", "`null`", "a run directory"),
        ("device", "`cuda`", "the child's own device"),
        ("num", "`20`", "how many names, at least 1"),
        ("mode", "`a`", "a | b: the mode, said on two lines"),
        ("seed", "`0`", "same seed, same names"),
        ("inner.path", "`x.txt`", "a file"),
        ("tags", "`[1, 2]`", "a list"),
    ]
