"""Configuration: presets, files, overrides, and one-line errors for every mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cladist.config import Config, load_config, preset_names
from cladist.errors import ConfigError


def _problems(*sources: str, preset: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(list(sources), preset=preset)
    return info.value.problems


def test_defaults_preset_files_and_overrides_merge_in_order(tmp_path: Path) -> None:
    assert "quickstart" in preset_names()
    f = tmp_path / "c.yaml"
    f.write_text("budget:\n  dollars: 3\n  workers: 4\nllm:\n  provider: openai\n")
    cfg = load_config([str(f), "budget.workers=8", "evaluator.tasks=[a, b]"], preset="quickstart")
    assert cfg.run.name == "quickstart"               # from the preset
    assert cfg.budget.dollars == 3.0                   # from the file
    assert cfg.budget.workers == 8                     # the later override wins
    assert cfg.evaluator.tasks == ["a", "b"]
    assert cfg.llm.provider == "openai"
    assert cfg.scheduler.alpha == 0.6                  # untouched default
    assert Config.model_validate(__import__("yaml").safe_load(cfg.to_yaml())) == cfg


def test_every_field_is_documented() -> None:
    for section in Config.model_fields.values():
        for name, field in section.annotation.model_fields.items():  # type: ignore[union-attr]
            assert field.description, f"{section.annotation.__name__}.{name} has no description"


@pytest.mark.parametrize("sources, expected", [
    (["budget.dolars=5"], "budget.dolars: unknown key (allowed: task_evaluations, expansions"),
    (["llm.provider=gpt"],
     "llm.provider: Input should be 'local', 'openai' or 'anthropic'; got 'gpt'"),
    (["budget.workers=0"], "budget.workers: Input should be greater than or equal to 1; got 0"),
    (["budget.workers=many"], "budget.workers: Input should be a valid integer"),
    (["nosection=1"], "nosection=1: override must be section.key=value (sections: run, archive"),
    (["sandbox.memory=lots"], "sandbox.memory: String should match pattern"),
    (["evaluator.tasks=[a, b"], "evaluator.tasks=[a, b: value is not a valid YAML scalar or list"),
    (["missing.yaml"], "missing.yaml: no such config file"),
])
def test_bad_overrides_give_one_line_each(sources: list[str], expected: str) -> None:
    problems = _problems(*sources)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_malformed_files_name_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("budget:\n  dollars: 3\n   workers: [\n")
    (problem,) = _problems(str(bad))
    assert problem.startswith(f"{bad}: malformed YAML at line ")
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    assert _problems(str(listy))[0].startswith(f"{listy}: top level must be a mapping")
    several = tmp_path / "several.yaml"
    several.write_text("budget: {workers: -1, dollars: -2}\nscheduler: {policy: best, alfa: 1}\n")
    problems = _problems(str(several))
    assert len(problems) == 4
    assert any(p.startswith("scheduler.alfa: unknown key (allowed: policy, alpha")
               for p in problems)
    assert _problems(preset="nope")[0].startswith("preset 'nope': unknown (allowed: quickstart")


def test_cli_prints_one_line_per_problem_exit_2_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cladist", "config", "show", "-c",
                           "budget.workers=0", "-c", "llm.provider=x"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("cladist: error: ") for line in lines)
    assert "Traceback" not in done.stderr


def test_config_show_prints_resolved_yaml(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cladist", "config", "show", "--preset",
                           "quickstart", "-c", "budget.dollars=2.5"], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    import yaml

    shown = yaml.safe_load(done.stdout)
    assert shown["budget"]["dollars"] == 2.5 and shown["run"]["name"] == "quickstart"


def test_an_override_longer_than_a_file_name_is_still_an_override() -> None:
    ids = [f"py-task-number-{i}" for i in range(40)]
    config = load_config([f"evaluator.tasks=[{', '.join(ids)}]"])
    assert config.evaluator.tasks == ids


@pytest.mark.parametrize("name, served", [
    ("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct"),
    ("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct"),
    ("smollm2-135m", "smollm2-135m-instruct"),
])
def test_local_model_takes_a_shipped_name_and_the_model_name_follows(name: str,
                                                                     served: str) -> None:
    llm = load_config([f"llm.local_model={name}"]).llm
    assert (llm.local_model, llm.model) == (name, served)
    assert load_config([f"llm.local_model={name}", "llm.model=mine"]).llm.model == "mine"


def test_local_model_takes_a_gguf_path_also_under_its_old_name(tmp_path: Path) -> None:
    import yaml

    from cladist.config.shipped_models import DEFAULT_LOCAL_MODEL, served_name

    default = load_config([]).llm
    assert (default.local_model, default.model) == (DEFAULT_LOCAL_MODEL,
                                                    served_name(DEFAULT_LOCAL_MODEL))
    gguf = tmp_path / "Tiny-Model.Q8_0.gguf"
    llm = load_config([f"llm.local_model={gguf}"]).llm
    assert (llm.local_model, llm.model) == (str(gguf), "Tiny-Model.Q8_0")
    assert load_config([f"llm.local_model_path={gguf}"]).llm.local_model == str(gguf)
    # a run saved before llm.local_model existed (local_model_path: null) used SmolLM2
    saved = tmp_path / "config.yaml"
    saved.write_text("llm:\n  model: smollm2-135m-instruct\n  local_model_path: null\n")
    assert load_config([str(saved)]).llm.local_model == "smollm2-135m"
    resumed = load_config([str(saved), "llm.local_model=qwen2.5-coder-0.5b"]).llm
    assert resumed.local_model == "qwen2.5-coder-0.5b"
    dumped = yaml.safe_load(load_config([f"llm.local_model={gguf}"]).to_yaml())
    assert Config.model_validate(dumped).llm.local_model == str(gguf)


@pytest.mark.parametrize("sources, expected", [
    (["llm.local_model=qwen-7b"],
     "llm.local_model: Value error, not a shipped model nor a path to a .gguf file; got "
     "'qwen-7b' (Model of the local provider: a shipped one (qwen2.5-coder-1.5b, "),
    (["llm.local_model=smollm2-135m", "llm.local_model_path=/models/other.gguf"],
     "llm: Value error, give llm.local_model only (llm.local_model_path is its old name)"),
])
def test_a_bad_local_model_is_a_one_line_error(sources: list[str], expected: str) -> None:
    problems = _problems(*sources)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
