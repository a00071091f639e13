"""Every example in the API guides (docs/api/*.md) runs, as a user would paste it, against a real
`modelyard serve` whose channels reach the fake OpenAI upstream: bash with curl, Python with the `openai`
and `openrouter` SDKs, JavaScript with the `openai` npm package. The examples read their base URL and keys
from the environment, so the test only sets variables and never rewrites an example.

A fenced block in a code language is either run here or preceded by `<!-- not-run: <reason> -->`; a block
in any other language must be an output sample (json, text, http). A guide cannot show code that was never
run.

The Simplified Chinese guides (docs/api/zh-CN/) are not run again: their fenced blocks must equal the English
page's, in order, so the English runs prove them. Their headings mirror the English ones level for level, so
every link in them is the English link pointed at the Chinese page and heading."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import Cli, Env, Server
from tests.fakes.openai_upstream import FakeOpenAIUpstream

# What the guides show does not depend on the database's kind.
SQLITE_ONLY = True

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "api"
CHINESE = GUIDES / "zh-CN"
NODE_MODULES = ROOT / "web" / "node_modules"

# Fence language -> how the block is run.
RUNNERS = {"bash": "bash", "python": "python", "js": "node", "javascript": "node"}
# Languages that are code but not run by this test: a block in one needs a visible not-run reason.
CODE_LANGUAGES = frozenset(
    {"sh", "shell", "zsh", "console", "py", "python3", "ts", "typescript", "mjs", "jsx", "tsx", "node"}
)
# Output samples and formats that are never executed.
SAMPLE_LANGUAGES = frozenset({"json", "jsonc", "text", "http"})
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(\S.*?)\s*-->$")
FENCE = re.compile(r"^```([\w+-]*)\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
EXAMPLE_TIMEOUT_SECONDS = 30

# The models, channels and provider slugs the guides name. Each channel reaches the fake upstream, whose
# upstream model names pick its behaviour: `fail-503` is a provider that is down.
CHANNELS = (
    (
        "openai",
        "openai",
        "openai/gpt-4o-mini=gpt-4o-mini,openai/text-embedding-3-small=text-embedding-3-small",
    ),
    ("azure-eastus", "azure", "openai/gpt-4o-mini=gpt-4o-mini"),
    ("mistral", "mistral", "mistralai/mistral-small-3.2-24b-instruct=mistral-small-fail-503"),
)
REPLY = "tok0 tok1 tok2 tok3 tok4"  # the fake upstream's answer to a plain chat request


@dataclass(frozen=True)
class Example:
    file: str
    heading: str
    language: str
    code: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.file}::{self.heading}::{self.language}"


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    heading: str
    not_run_reason: str | None


def _blocks(path: Path) -> list[Block]:
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    heading = path.stem
    previous = ""  # the last non-blank line before a fence
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence is None:
            if (match := HEADING.match(line)) is not None:
                heading = match.group(2)
            if line.strip():
                previous = line.strip()
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].rstrip() != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise AssertionError(f"{path.name}:{start + 1}: unclosed code fence")
        reason = NOT_RUN.match(previous)
        blocks.append(
            Block(
                fence.group(1).lower(), "\n".join(body) + "\n", start + 1, heading, reason and reason.group(1)
            )
        )
        previous = "```"
        index += 1
    return blocks


def collect() -> tuple[list[Example], list[str]]:
    """The examples to run, and what is wrong with the other blocks."""
    examples: list[Example] = []
    problems: list[str] = []
    for path in sorted(GUIDES.glob("*.md")):
        for block in _blocks(path):
            where = f"{path.name}:{block.line}"
            if block.not_run_reason is not None:
                if block.language not in RUNNERS and block.language not in CODE_LANGUAGES:
                    problems.append(
                        f"{where}: a not-run mark on a ```{block.language} block, which is never run"
                    )
                continue
            if block.language in RUNNERS:
                examples.append(Example(path.name, block.heading, block.language, block.code, block.line))
            elif block.language in CODE_LANGUAGES:
                problems.append(f"{where}: ```{block.language} is not run; use bash, python or js, "
                                "or put `<!-- not-run: <reason> -->` before it")  # fmt: skip
            elif block.language not in SAMPLE_LANGUAGES:
                problems.append(
                    f"{where}: a fence needs a language (bash, python, js; json or text for output)"
                )
    # An example is named by file and heading in the test's id: two blocks of one language under one heading
    # would share a name, so the guide needs a subheading between them.
    names = [e.id for e in examples]
    problems += [
        f"{n}: two blocks of this language under one heading"
        for n in sorted(set(names))
        if names.count(n) > 1
    ]
    return examples, problems


EXAMPLES, PROBLEMS = collect()

# What an example must print, beyond exiting with 0: the fake upstream's reply, the provider a routing
# preference picked, the key that was created and deleted.
RESULT = 'result: {"city": "Paris", "temperature_c": 18'
EXPECTED: dict[str, tuple[str, ...]] = {
    "README.md::Errors::bash": (
        "Invalid API key",
        "HTTP 401",
        "Model nobody/nothing does not exist",
        "HTTP 404",
    ),
    "README.md::Errors::python": ("404 Model nobody/nothing does not exist",),
    "openai-compatible.md::Chat completions::bash": (REPLY, '"provider":', '"cost":'),
    "openai-compatible.md::Chat completions::python": (REPLY, "served by"),
    "openai-compatible.md::Chat completions::js": (REPLY, "served by"),
    "openai-compatible.md::Response headers::python": ("X-Generation-Id: gen-", REPLY),
    "openai-compatible.md::Streaming::bash": ('"content":"tok4 "', '"choices":[],"usage":', "data: [DONE]"),
    "openai-compatible.md::Streaming::python": (REPLY, " tokens, $"),
    "openai-compatible.md::Streaming::js": (REPLY, " tokens, $"),
    "openai-compatible.md::Tool calls::python": ("the model calls get_weather({'city': 'Paris'})", RESULT),
    "openai-compatible.md::Tool calls::js": (
        'the model calls get_weather({"city":"Paris"})',
        'result: {"city":"Paris","temperature_c":18',
    ),
    "openai-compatible.md::Embeddings::bash": ('"object":"embedding","index":1', '"cost":'),
    "openai-compatible.md::Embeddings::python": ("0 8 [", "1 8 [", " tokens, $"),
    "openai-compatible.md::Embeddings::js": ("0 8 [", "1 8 [", " tokens, $"),
    "openrouter-compatible.md::Chat with OpenRouter's SDK::python": (REPLY, " openai/gpt-4o-mini $"),
    "openrouter-compatible.md::Chat with OpenRouter's SDK::bash": (REPLY,),
    "openrouter-compatible.md::Streaming with OpenRouter's SDK::python": (REPLY, " tokens, $"),
    "openrouter-compatible.md::Tool calls with OpenRouter's SDK::python": (
        "the model calls get_weather",
        RESULT,
    ),
    "openrouter-compatible.md::Embeddings with OpenRouter's SDK::python": ("0 8 [", "1 8 [", " tokens, $"),
    # The first model's provider is down: the fallback answers.
    "openrouter-compatible.md::Fallbacks with curl::bash": ('"model":"openai/gpt-4o-mini"', REPLY),
    "openrouter-compatible.md::Fallbacks with OpenRouter's SDK::python": (
        "answered by openai/gpt-4o-mini",
        REPLY,
    ),
    "openrouter-compatible.md::Fallbacks with the `openai` SDKs::python": (
        "answered by openai/gpt-4o-mini",
        REPLY,
    ),
    "openrouter-compatible.md::Fallbacks with the `openai` SDKs::js": (
        "answered by openai/gpt-4o-mini",
        REPLY,
    ),
    # Two channels serve the model; each preference leaves only `azure-eastus`, but `sort` takes either.
    "openrouter-compatible.md::Preferences with curl::bash": ('"provider":"azure-eastus"', REPLY),
    "openrouter-compatible.md::Preferences with OpenRouter's SDK::python": ("served by azure-eastus", REPLY),
    "openrouter-compatible.md::Preferences with the `openai` SDKs::python": ("served by ", REPLY),
    "openrouter-compatible.md::Preferences with the `openai` SDKs::js": ("served by azure-eastus", REPLY),
    "openrouter-compatible.md::When no provider qualifies::bash": (
        '"excluded_by":["allowed_providers"]',
        "HTTP 404",
    ),
    "keys-and-generations.md::The key in use::bash": ('"is_management_key":false', '"usage":'),
    "keys-and-generations.md::The key in use::python": ("sk-my-v1-", " spent $ "),
    "keys-and-generations.md::Credits::bash": ('"total_credits":10.0',),
    "keys-and-generations.md::Credits::python": ("credits $10.0, used $",),
    "keys-and-generations.md::Managing keys::bash": (
        '"key": "sk-my-v1-',
        '"disabled": true',
        "ci-bot disabled=true",
        '{"deleted":true}',
    ),
    "keys-and-generations.md::Managing keys::python": (
        f"the new key got: {REPLY}",
        "ci-bot (retired) disabled",
        "deleted ",
    ),
    "keys-and-generations.md::Managing keys::js": ("created nightly-report ", "deleted: true"),
    "keys-and-generations.md::Looking up a generation::bash": (
        '"id": "gen-',
        '"provider_name": "',
        '"latency": ',
    ),
    "keys-and-generations.md::Looking up a generation::python": (" served by ", "  tried ", "-> 200 in "),
    "keys-and-generations.md::Looking up a generation::js": (REPLY, " served by "),
}


@dataclass(frozen=True)
class Site:
    url: str
    api_key: str
    management_key: str
    node_dir: Path


@pytest.fixture(scope="module")
def site(
    env: Env,
    cli: Cli,
    upstream: FakeOpenAIUpstream,
    server_factory: Callable[[Env], Server],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Site]:
    for name, slug, models in CHANNELS:
        cli(
            "channels", "add", name, "--provider", "openai", "--provider-slug", slug, "--base-url",
            upstream.base_url, "--api-key", "sk-upstream-test", "--models", models, "--no-probe",
        )  # fmt: skip
    api_key = cli.create_user_with_key("guides@example.com", "10")
    management_key = (
        cli("keys", "create", "guides@example.com", "--name", "key admin", "--management")
        .stdout.strip()
        .splitlines()[-1]
    )
    server = server_factory(env)
    # Node resolves `import OpenAI from "openai"` through the node_modules folders above the script, so the
    # scripts live in a folder whose node_modules is the web app's (which has the `openai` package).
    assert (NODE_MODULES / "openai" / "package.json").is_file(), "web/node_modules lacks the openai package"
    node_dir = tmp_path_factory.mktemp("node")
    (node_dir / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    yield Site(server.url, api_key, management_key, node_dir)


def run_example(site: Site, example: Example, workdir: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "MODELYARD_BASE_URL": site.url,
        "MODELYARD_API_KEY": site.api_key,
        "MODELYARD_MANAGEMENT_KEY": site.management_key,
    }
    runner = RUNNERS[example.language]
    if runner == "bash":
        command = ["bash", "-euo", "pipefail", "-c", example.code]
        cwd = workdir
    elif runner == "python":
        command = [sys.executable, "-c", example.code]
        cwd = workdir
    else:
        script = site.node_dir / f"{Path(example.file).stem}-{example.line}.mjs"
        script.write_text(example.code, encoding="utf-8")
        command = ["node", str(script)]
        cwd = site.node_dir
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=EXAMPLE_TIMEOUT_SECONDS
    )


def test_every_code_block_is_run_or_says_why_not() -> None:
    assert EXAMPLES, "no examples found in docs/api"
    assert not PROBLEMS, "\n".join(PROBLEMS)
    ids = {e.id for e in EXAMPLES}
    assert not set(EXPECTED) - ids, f"expectations for examples that no longer exist: {set(EXPECTED) - ids}"
    assert not ids - set(EXPECTED), f"say in EXPECTED what these examples print: {ids - set(EXPECTED)}"


def _tools(example: Example) -> list[str]:
    """The programs an example needs besides this Python."""
    if example.language == "bash":
        return ["curl", "jq"] if re.search(r"\bjq\b", example.code) else ["curl"]
    return ["node"] if RUNNERS[example.language] == "node" else []


def _anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case; letters (CJK ones included), marks, digits, `_`, `-` and
    spaces kept, every other character dropped (full-width punctuation such as `：` too), spaces as
    hyphens."""
    kept = (
        c
        for c in heading.lower()
        if c in "- " or unicodedata.category(c)[0] in "LM" or unicodedata.category(c) in ("Nd", "Nl", "Pc")
    )
    return "".join(kept).replace(" ", "-")


def _headings(path: Path) -> list[tuple[int, str]]:
    """The page's headings in order, as (level, GitHub's id); a repeated heading's id gets `-1`, `-2`, ..."""
    seen: Counter[str] = Counter()
    headings = []
    for match in map(HEADING.match, _prose(path)):
        if match is not None:
            slug = _anchor(match.group(2))
            headings.append((len(match.group(1)), f"{slug}-{seen[slug]}" if seen[slug] else slug))
            seen[slug] += 1
    return headings


def _links(path: Path) -> list[str]:
    return [link for line in _prose(path) for link in re.findall(r"\]\(([^)\s]+)\)", line)]


def _outside(link: str) -> bool:
    return re.match(r"[a-z]+:", link) is not None


def test_links_between_guides_resolve() -> None:
    pages = sorted(GUIDES.glob("*.md")) + sorted(CHINESE.glob("*.md"))
    targets = {path: {anchor for _, anchor in _headings(path)} for path in pages}
    broken = []
    for path in pages:
        for link in _links(path):
            if _outside(link):
                continue
            file, _, anchor = link.partition("#")
            target = Path(os.path.normpath(path.parent / file)) if file else path
            if target not in targets or (anchor and unquote(anchor) not in targets[target]):
                broken.append(f"{path.relative_to(GUIDES)}: {link}")
    assert not broken, "links to no guide or heading:\n" + "\n".join(broken)


def test_chinese_guides_show_the_english_examples() -> None:
    english = sorted(path.name for path in GUIDES.glob("*.md"))
    assert sorted(path.name for path in CHINESE.glob("*.md")) == english, "one zh-CN page per English guide"
    differences = []
    for name in english:
        theirs, ours = _blocks(GUIDES / name), _blocks(CHINESE / name)
        shown = [[(b.language, b.code, b.not_run_reason) for b in blocks] for blocks in (theirs, ours)]
        if shown[0] != shown[1]:
            # Name the first block that differs (or the first one missing) in each page.
            at = next(
                (i for i, (a, b) in enumerate(zip(*shown, strict=False)) if a != b), min(map(len, shown))
            )
            where = [f"{blocks[at].line}" if at < len(blocks) else "end" for blocks in (theirs, ours)]
            differences.append(f"zh-CN/{name}:{where[1]} differs from {name}:{where[0]}")
    assert not differences, "\n".join(differences)


def test_chinese_guides_mirror_the_english_headings_and_links() -> None:
    """Each page links to its other-language version at the top, and a Chinese page's links lead where the
    English page's do, to the Chinese pages and headings."""
    english = sorted(GUIDES.glob("*.md"))
    # The English id -> the Chinese id of the heading in the same place, per page.
    anchors: dict[str, dict[str, str]] = {}
    mismatched = []
    for path in english:
        theirs, ours = _headings(path), _headings(CHINESE / path.name)
        if [level for level, _ in theirs] != [level for level, _ in ours]:
            mismatched.append(f"zh-CN/{path.name}: headings differ in number or level from {path.name}")
            continue
        pairs = zip(theirs, ours, strict=True)
        anchors[path.name] = {original: translated for (_, original), (_, translated) in pairs}
    assert not mismatched, "\n".join(mismatched)

    def translated(link: str, page: str) -> str:
        if _outside(link):
            return link
        file, _, anchor = link.partition("#")
        if file == f"zh-CN/{page}":
            return f"../{page}"
        return f"{file}#{anchors.get(file or page, {}).get(anchor, anchor)}" if anchor else file

    differences = []
    for path in english:
        chinese = CHINESE / path.name
        top = path.read_text(encoding="utf-8").splitlines()[:5]
        if f"[简体中文](zh-CN/{path.name})" not in top:
            differences.append(f"{path.name}: no [简体中文](zh-CN/{path.name}) link at the top")
        if f"[English](../{path.name})" not in chinese.read_text(encoding="utf-8").splitlines()[:5]:
            differences.append(f"zh-CN/{path.name}: no [English](../{path.name}) link at the top")
        expected = Counter(translated(link, path.name) for link in _links(path))
        actual = Counter(unquote(link) for link in _links(chinese))
        differences += [f"zh-CN/{path.name} lacks a link to {link}" for link in expected - actual]
        differences += [f"zh-CN/{path.name} has an extra link to {link}" for link in actual - expected]
    assert not differences, "\n".join(differences)


def _prose(path: Path) -> list[str]:
    """The guide's lines outside code fences."""
    lines, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            inside = not inside
        elif not inside:
            lines.append(line)
    return lines


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs(site: Site, example: Example, tmp_path: Path) -> None:
    for tool in _tools(example):
        assert shutil.which(tool), f"{tool} is needed to run this example"
    result = run_example(site, example, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{example.file}:{example.line} exited {result.returncode}:\n{output}"
    for expected in EXPECTED.get(example.id, ()):
        assert expected in result.stdout, (
            f"{example.file}:{example.line} did not print {expected!r}:\n{output}"
        )
