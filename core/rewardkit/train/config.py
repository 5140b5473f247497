"""Training configs: TOML loading, ``--set`` overrides and validation before anything heavy loads.

Every section is checked here, with errors that name the key (``grpo.learning_rate: ...``),
unknown keys get a "did you mean" hint, the reward terms are built (names, parameters,
non-negativity), the dataset is read and every column a reward needs is looked up. Nothing
here imports torch, transformers or TRL: the ``[grpo]`` keys are checked against the fields
of TRL's ``GRPOConfig`` read from its source with :mod:`ast`.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dtypes import DTYPES
from ..errors import RewardkitError
from ..suggest import close_matches
from ..terms import DEFAULT_ON_ERROR, ConfigError, composite_from_config
from .schema import Key, check_bounds, check_table, known_names

# -- schema -----------------------------------------------------------------------------------

_NUM = (int, float)
SCHEDULES = ("constant", "linear", "cosine")

TOP_KEYS = ("model", "task", "reward", "grpo", "generation", "output", "allow_negative", "on_error",
            "max_dropped_fraction", "audit", "alarms", "on_alarm", "environment")
ON_ALARM = ("warn", "stop")

MODEL_KEYS = {
    "name": Key((str,), "smollm2-135m-instruct", help="hub id, local folder, or embedded alias"),
    "dtype": Key((str,), "auto", DTYPES, "weights dtype; 'auto': bf16 only where the hardware runs it natively "
                 "(see rewardkit.dtypes), else float32"),
    "gradient_checkpointing": Key((bool,), None, help="trade compute for memory (TRL's default: on)"),
    "trust_remote_code": Key((bool,), False),
    "attn_implementation": Key((str,), None, help="e.g. 'sdpa', 'flash_attention_2'"),
    "revision": Key((str,), None),
    "lora": Key((dict,), None, help="a table enables LoRA (peft)"),
}
LORA_KEYS = {
    "r": Key((int,), 16, min=1),
    "alpha": Key(_NUM, 32, min=0),
    "dropout": Key(_NUM, 0.05, min=0),
    "target_modules": Key((str, list), "all-linear"),
    "bias": Key((str,), "none", ("none", "all", "lora_only")),
    "modules_to_save": Key((list,), None),
}
TASK_KEYS = {
    "dataset": Key((str,), "gsm8k", help="'gsm8k' (shipped) or a JSONL/CSV/Parquet file or saved dataset folder"),
    "split": Key((str,), "train", help="split of the shipped GSM8K copy: train or test"),
    "limit": Key((int,), None, min=1, help="use only the first N rows"),
    "system_prompt": Key((str,), None),
    "user_template": Key((str,), "{question}", help="user message; {column} (dotted paths allowed) is filled from the row"),
    "assistant_prefix": Key((str,), None, help="start of the answer, continued with continue_final_message"),
    "columns": Key((dict,), {}, help="reward column = dataset column (dotted path)"),
    "skip_bad_rows": Key((bool,), False),
    "size": Key((int,), None, min=1, help="rows a plugin data source generates ('reasoning-gym:<task>')"),
    "seed": Key((int,), None, help="seed of a plugin data source (its held-out split uses another one)"),
    "config": Key((dict,), None, help="a plugin data source's own keys, e.g. a generator's difficulty"),
}
GENERATION_KEYS = {
    "use_vllm": Key((bool, str), False, help="true, false or 'auto' (vLLM when installed)"),
    "vllm_mode": Key((str,), "colocate", ("colocate", "server")),
    "temperature": Key(_NUM, 1.0, help="sampling temperature (the schedule's start)", min=0),
    "temperature_end": Key(_NUM, None, help="temperature at the last step", min=0),
    "temperature_schedule": Key((str,), None, SCHEDULES),
    "top_p": Key(_NUM, None, min=0, max=1),
    "top_k": Key((int,), None, min=-1),
    "min_p": Key(_NUM, None, min=0, max=1),
    "repetition_penalty": Key(_NUM, None, min=0),
    "generation_kwargs": Key((dict,), None),
}
#: Generation keys that are GRPOConfig fields (passed through); the rest drive callbacks.
GENERATION_PASSTHROUGH = ("use_vllm", "vllm_mode", "temperature", "top_p", "top_k", "min_p",
                          "repetition_penalty", "generation_kwargs")
OUTPUT_KEYS = {
    "dir": Key((str,), None, help="checkpoints, final model, metrics.jsonl, samples.jsonl"),
    "samples": Key((int,), 4, min=0, help="sample completions written per logging step"),
    "save_final": Key((bool,), True),
    "overwrite": Key((bool,), False, help="allow a new run in a folder that has checkpoints"),
}
#: GRPOConfig fields rewardkit sets itself, with where to set them instead.
RESERVED_GRPO = {
    "output_dir": "output.dir",
    "reward_weights": "reward[i].weight",
    "resume_from_checkpoint": "the --resume flag",
}
#: rewardkit defaults that differ from TRL's (TRL's are tuned for GPUs and long runs).
#: Bounds of GRPOConfig's numeric fields that TRL accepts but that cannot train (inclusive).
GRPO_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "learning_rate": (0.0, None), "beta": (0.0, None), "epsilon": (0.0, None), "epsilon_high": (0.0, None),
    "max_grad_norm": (0.0, None), "weight_decay": (0.0, None), "warmup_ratio": (0.0, 1.0),
    "warmup_steps": (0, None), "temperature": (0.0, None), "top_p": (0.0, 1.0), "min_p": (0.0, 1.0),
    "top_k": (-1, None), "repetition_penalty": (0.0, None), "num_iterations": (1, None),
    "gradient_accumulation_steps": (1, None), "per_device_train_batch_size": (1, None),
    "max_completion_length": (1, None), "max_prompt_length": (1, None), "max_steps": (-1, None),
    "num_train_epochs": (0.0, None), "adam_beta1": (0.0, 1.0), "adam_beta2": (0.0, 1.0), "adam_epsilon": (0.0, None),
}
GRPO_DEFAULTS = {"report_to": "none", "logging_steps": 1, "save_strategy": "steps"}
OPTIM_8BIT = ("adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit", "adamw_torch_8bit", "lion_8bit", "paged_lion_8bit")


# -- the result ---------------------------------------------------------------------------

@dataclass
class TrainConfig:
    """A validated training config, with the built composite and the prepared dataset rows."""

    model: dict[str, Any]
    task: dict[str, Any]
    rewards: list[dict[str, Any]]
    grpo: dict[str, Any]
    generation: dict[str, Any]
    output: dict[str, Any]
    allow_negative: bool = False
    on_error: str = DEFAULT_ON_ERROR
    source: str | None = None
    composite: Any = None
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    notes: list[str] = field(default_factory=list)
    #: ``[[audit]]`` terms (scored and logged every batch, never trained on), ``[alarms]``, ``on_alarm``.
    audit: list[dict[str, Any]] = field(default_factory=list)
    audit_composite: Any = None
    alarms: dict[str, Any] = field(default_factory=dict)
    on_alarm: str = "warn"
    #: the checked ``[environment]`` table (agent rollouts through TRL's tool loop; see environment_config.py)
    environment: dict[str, Any] | None = None
    #: the resolved ``model.dtype`` (a :class:`~rewardkit.dtypes.DtypeChoice`), set when a run starts
    precision: Any = None

    @property
    def output_dir(self) -> Path:
        return Path(self.output["dir"])

    @property
    def signatures(self) -> dict[str, str]:
        return self.composite.signatures

    def resolved(self) -> dict[str, Any]:
        """The whole config with defaults filled in, as written to ``resolved_config.json``."""
        return {
            "source": self.source,
            "model": self.model, "task": self.task, "reward": self.rewards, "grpo": self.grpo,
            "generation": self.generation, "output": self.output,
            "allow_negative": self.allow_negative, "on_error": self.on_error,
            "max_dropped_fraction": self.composite.max_dropped_fraction if self.composite is not None else None,
            "audit": self.audit, "alarms": self.alarms, "on_alarm": self.on_alarm,
            "environment": {k: v for k, v in self.environment.items() if k != "source_dir"} if self.environment else None,
            "terms": self.composite.describe() if self.composite is not None else [],
        }


# -- loading --------------------------------------------------------------------------------

def load_config(path: str | os.PathLike[str] | None = None, overrides: Sequence[str] = (), *,
                data: Mapping[str, Any] | None = None, check_output: bool = True, resume: bool = False) -> TrainConfig:
    """Read ``path`` (or take ``data``), apply ``key=value`` overrides and validate everything.

    Raises :class:`ConfigError` naming the key on the first problem found.
    """
    if data is None:
        if path is None:
            raise ConfigError("no config given")
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file")
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    else:
        raw = json.loads(json.dumps(data))  # a deep copy
    for item in overrides:
        apply_override(raw, item)
    cfg = validate(raw, source=str(path) if path is not None else None)
    if check_output:
        check_output_dir(cfg, resume=resume)
    return cfg


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (``1e-5``, ``true``, ``"x"``, ``[1, 2]``); anything else stays a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(raw: dict[str, Any], item: str) -> None:
    """Apply one ``--set key.path=value`` (``reward.0.weight=2`` or ``reward[0].weight=2`` for arrays)."""
    key, eq, value = item.partition("=")
    key = re.sub(r"\[(\d+)\]", r".\1", key.strip())
    if not eq or not key:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. grpo.learning_rate=1e-5")
    parts = key.split(".")
    cur: Any = raw
    for i, part in enumerate(parts[:-1]):
        where = ".".join(parts[: i + 1])
        if isinstance(cur, list):
            if not part.isdigit() or int(part) >= len(cur):
                raise ConfigError(f"--set {key}: {where!r} is not an index of an array of {len(cur)}")
            cur = cur[int(part)]
        elif isinstance(cur, dict):
            nxt = cur.get(part)
            if nxt is None:
                nxt = cur[part] = {}
            if not isinstance(nxt, (dict, list)):
                raise ConfigError(f"--set {key}: {where!r} is a value, not a table")
            cur = nxt
    last = parts[-1]
    if isinstance(cur, list):
        if not last.isdigit() or int(last) >= len(cur):
            raise ConfigError(f"--set {key}: {last!r} is not an index of an array of {len(cur)}")
        cur[int(last)] = parse_value(value)
    else:
        cur[last] = parse_value(value)


# -- validation -------------------------------------------------------------------------------



def validate(raw: Mapping[str, Any], source: str | None = None) -> TrainConfig:
    """Validate a parsed config (see :func:`load_config`)."""
    for k in raw:
        if k not in TOP_KEYS:
            raise ConfigError(f"{k}: unknown top-level key{close_matches(k, TOP_KEYS) or known_names(TOP_KEYS)}")
    model = check_table(raw.get("model", {}), MODEL_KEYS, "model")
    if model["lora"] is not None:
        model["lora"] = check_table(model["lora"], LORA_KEYS, "model.lora")
    check_model_name(model["name"])
    task = check_table(raw.get("task", {}), TASK_KEYS, "task")
    generation = check_table(raw.get("generation", {}), _generation_keys(), "generation")
    output = check_table(raw.get("output", {}), OUTPUT_KEYS, "output")
    grpo = check_grpo(raw.get("grpo", {}))
    notes: list[str] = []

    given = set(raw.get("generation", {}) or {})
    _merge_generation(generation, given, grpo, notes)
    generation = {k: v for k, v in generation.items() if k in GENERATION_KEYS or k in given}
    if model["gradient_checkpointing"] is not None:
        for k in ("gradient_checkpointing", "activation_checkpointing"):
            if k in grpo:
                raise ConfigError(f"grpo.{k}: set it in one place only (model.gradient_checkpointing)")
        # transformers >= 5 renamed it; the old name still works but warns
        key = "activation_checkpointing" if "activation_checkpointing" in grpo_fields() else "gradient_checkpointing"
        grpo[key] = model["gradient_checkpointing"]
    for k, v in GRPO_DEFAULTS.items():
        grpo.setdefault(k, v)
    _check_report_to(grpo["report_to"])
    _check_batch(grpo)

    if output["dir"] is None:
        stem = Path(source).stem if source else "run"
        output["dir"] = str(Path("runs") / stem)

    composite = composite_from_config(raw)
    rewards, allow_negative, on_error = raw["reward"], composite.allow_negative, composite.on_error

    audit = audit_from_config(raw)
    legacy = [k for k, t in [("on_error", raw), *((f"reward[{i}].on_error", t) for i, t in enumerate(raw["reward"]))]
              if isinstance(t, dict) and t.get("on_error") == "none"]
    notes.extend(f"{k} = 'none' is the old name of 'skip' (leave only the failed term out); the default is now "
                 "'drop' (an error or timeout makes the completion unscorable)" for k in legacy)
    alarms, on_alarm = alarms_from_config(raw)
    from .environment_config import environment_from_config, provided_columns

    environment = environment_from_config(raw, source)
    rows = load_rows(task, _Terms([*composite.terms, *(audit.terms if audit else [])]), source,
                     provided=provided_columns(environment))
    return TrainConfig(model, task, [dict(t) for t in rewards], grpo, generation, output, allow_negative,
                       on_error, source, composite, rows, notes, [dict(t) for t in raw.get("audit") or []], audit,
                       alarms, on_alarm, environment=environment)


def check_model_name(name: str) -> None:
    """A local path must exist and an embedded alias must have its weights package; hub ids pass."""
    if name.startswith(("/", "./", "../", "~")):
        if not Path(name).expanduser().is_dir():
            raise ConfigError(f"model.name: {name} is not a folder")
        return
    try:
        from .. import models
    except ImportError:
        return
    if models.is_embedded(name) and not Path(name).is_dir():
        try:
            models.gguf_path(name)
        except RewardkitError as exc:
            raise ConfigError(f"model.name: {exc}") from None


def _generation_keys() -> dict[str, Key]:
    keys = dict(GENERATION_KEYS)
    for name in grpo_fields():
        if name.startswith("vllm_") and name not in keys:
            keys[name] = Key((object,), None)
    return keys


def _merge_generation(gen: dict[str, Any], given: set[str], grpo: dict[str, Any], notes: list[str]) -> None:
    """Move [generation]'s GRPOConfig keys into ``grpo`` and settle the temperature schedule."""
    for k in sorted(given):
        if k in GENERATION_PASSTHROUGH or k.startswith("vllm_"):
            if k in grpo:
                raise ConfigError(f"grpo.{k}: also set as generation.{k}; set it in one place only")
            grpo[k] = gen[k]
    use_vllm = grpo.get("use_vllm", False)
    if use_vllm not in (True, False, "auto"):
        raise ConfigError(f"generation.use_vllm: expected true, false or \"auto\", got {use_vllm!r}")
    installed = _has_module("vllm")
    if use_vllm == "auto":
        grpo["use_vllm"] = installed
        notes.append(f"use_vllm = \"auto\": {'vLLM' if installed else 'transformers'} generation")
    elif use_vllm and not installed:
        raise ConfigError("generation.use_vllm: vLLM is not installed (pip install vllm, see docs/vllm.md), "
                          "or set use_vllm = \"auto\" to fall back to transformers generation")
    start = grpo.get("temperature", 1.0)
    if not isinstance(start, (int, float)) or isinstance(start, bool) or start <= 0:
        raise ConfigError(f"generation.temperature: must be a positive number, got {start!r}")
    end, kind = gen["temperature_end"], gen["temperature_schedule"]
    if end is not None and end <= 0:
        raise ConfigError(f"generation.temperature_end: must be a positive number, got {end!r}")
    if kind is None:
        kind = "linear" if end is not None else "constant"
    if kind != "constant" and end is None:
        raise ConfigError(f"generation.temperature_end: needed by temperature_schedule = {kind!r}")
    gen["temperature"] = grpo["temperature"] = float(start)
    gen["temperature_end"] = float(end) if end is not None else float(start)
    gen["temperature_schedule"] = kind
    gen["use_vllm"] = grpo.get("use_vllm", False)


#: report_to integrations and the module each needs.
REPORTERS = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",), "mlflow": ("mlflow",),
             "trackio": ("trackio",), "comet_ml": ("comet_ml",), "clearml": ("clearml",)}


def _check_report_to(report_to: Any) -> None:
    """An integration named in report_to must be installed (transformers would fail after the model loads)."""
    names = [report_to] if isinstance(report_to, str) else list(report_to or [])
    for name in names:
        modules = REPORTERS.get(name)
        if modules and not any(_has_module(m) for m in modules):
            raise ConfigError(f"grpo.report_to: {name!r} needs the package {modules[0]!r} (pip install {modules[0]}), "
                              "or set report_to = \"none\"")


def _check_batch(grpo: dict[str, Any]) -> None:
    """The batch arithmetic TRL checks later, checked now with the key names."""
    fields = grpo_fields()
    n = grpo.get("num_generations", fields["num_generations"][1])
    bs = grpo.get("per_device_train_batch_size", fields["per_device_train_batch_size"][1])
    spg = grpo.get("steps_per_generation") or grpo.get("gradient_accumulation_steps", 1)
    gbs = grpo.get("generation_batch_size") or bs * spg
    if isinstance(n, int) and n < 2:
        raise ConfigError(f"grpo.num_generations: GRPO needs at least 2 completions per prompt, got {n}")
    if isinstance(n, int) and isinstance(gbs, int) and gbs % n:
        raise ConfigError(
            f"grpo.num_generations: the generation batch ({gbs} = per_device_train_batch_size {bs} x "
            f"steps_per_generation {spg}) must be a multiple of num_generations ({n})"
        )


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# -- [grpo]: GRPOConfig's fields, read from source --------------------------------------------

def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"training needs the package {name!r}: pip install 'rewardkit[train]'")
    return Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=1)
def grpo_fields() -> dict[str, tuple[str, Any]]:
    """``{field: (annotation, default)}`` of TRL's ``GRPOConfig`` and its bases, without importing them."""
    files = [
        (_package_dir("transformers") / "training_args.py", "TrainingArguments"),
        (_package_dir("trl") / "trainer" / "base_config.py", "_BaseConfig"),
        (_package_dir("trl") / "trainer" / "grpo_config.py", "GRPOConfig"),
    ]
    fields: dict[str, tuple[str, Any]] = {}
    for path, cls in files:
        if not path.is_file():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not (isinstance(node, ast.ClassDef) and node.name == cls):
                continue
            for st in node.body:
                if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and not st.target.id.startswith("_"):
                    fields[st.target.id] = (ast.unparse(st.annotation), _default_of(st.value))
    if "num_generations" not in fields:
        raise ConfigError("could not read TRL's GRPOConfig fields (is trl >= 0.23 installed?)")
    return fields


_UNKNOWN = object()


def _default_of(node: ast.expr | None) -> Any:
    if node is None:
        return _UNKNOWN
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "field":
        for kw in node.keywords:
            if kw.arg == "default":
                node = kw.value
                break
        else:
            return _UNKNOWN
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNKNOWN


_ANNOTATION_TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "None": (type(None),),
                     "dict": (dict,), "list": (list,)}


def _accepts(annotation: str, value: Any) -> bool:
    """Whether ``value`` fits an annotation like ``float | None``; unknown types accept anything."""
    for alt in annotation.replace("Optional[", "").replace("Union[", "").rstrip("]").split("|"):
        base = alt.strip().split("[")[0].strip()
        if base.startswith("Literal"):
            return True
        types = _ANNOTATION_TYPES.get(base)
        if types is None:
            return True
        if isinstance(value, bool) and bool not in types:
            continue
        if isinstance(value, types):
            return True
    return False


def check_grpo(table: Any) -> dict[str, Any]:
    """Check ``[grpo]`` keys against GRPOConfig's fields and their annotated types."""
    if not isinstance(table, dict):
        raise ConfigError(f"grpo: expected a table, got {type(table).__name__}")
    fields = grpo_fields()
    out = {}
    for k, v in table.items():
        if k in RESERVED_GRPO:
            raise ConfigError(f"grpo.{k}: set by rewardkit; use {RESERVED_GRPO[k]} instead")
        if k not in fields:
            raise ConfigError(f"grpo.{k}: not a GRPOConfig field{close_matches(k, fields)}")
        annotation = fields[k][0]
        if not _accepts(annotation, v):
            raise ConfigError(f"grpo.{k}: expected {annotation}, got {type(v).__name__} {v!r}")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if isinstance(v, float) and not math.isfinite(v):
                raise ConfigError(f"grpo.{k}: must be finite, got {v!r}")
            check_bounds(f"grpo.{k}", v, *GRPO_BOUNDS.get(k, (None, None)))
        out[k] = v
    return out


# -- rewards and data ----------------------------------------------------------------------------

@dataclass
class _Terms:
    """Terms whose columns the dataset must hold (the trained ones and the audit ones)."""

    terms: list[Any]


def audit_from_config(raw: Mapping[str, Any]) -> Any:
    """The ``[[audit]]`` terms as a composite (same keys as ``[[reward]]`` but no weight), or None.

    Audit terms are scored on every batch and logged, never trained on: a failure leaves only
    that audit term out (``skip``), and their sign does not matter.
    """
    tables = raw.get("audit")
    if tables is None or tables == []:
        return None
    if isinstance(tables, dict) or not isinstance(tables, list):
        raise ConfigError("audit: write the audit terms as an array of tables, [[audit]], not [audit]")
    for i, t in enumerate(tables):
        if isinstance(t, dict) and "weight" in t:
            raise ConfigError(f"audit[{i}].weight: audit terms are logged, never trained on, so they have no weight")
        if isinstance(t, dict) and "on_error" in t:
            raise ConfigError(f"audit[{i}].on_error: an audit term's error leaves only that term out; no policy to set")
    from ..composite import Composite

    try:
        return Composite.from_config(tables, allow_negative=True, on_error="skip", where="audit")
    except RewardkitError as exc:
        raise ConfigError(str(exc)) from None


def alarms_from_config(raw: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """``[alarms]`` (thresholds and windows, see :class:`rewardkit.health.AlarmSettings`) and ``on_alarm``."""
    from ..health.alarms import ALARMS, AlarmSettings

    defaults = AlarmSettings()
    keys = {}
    for name in AlarmSettings.names():
        default = getattr(defaults, name)
        if name == "off":
            keys[name] = Key((list,), [], help=f"alarms not to run: {', '.join(ALARMS)}")
        elif isinstance(default, int):
            keys[name] = Key((int,), default, min=1, help="steps")
        else:
            keys[name] = Key(_NUM, default, min=0)
    alarms = check_table(raw.get("alarms", {}), keys, "alarms")
    for name in alarms["off"]:
        if name not in ALARMS:
            hint = close_matches(str(name), ALARMS) or known_names(ALARMS)
            raise ConfigError(f"alarms.off: {name!r} is not an alarm{hint}")
    on_alarm = raw.get("on_alarm", "warn")
    if on_alarm not in ON_ALARM:
        raise ConfigError(f"on_alarm: expected 'warn' (log and go on) or 'stop' (save a checkpoint and stop), "
                          f"got {on_alarm!r}")
    return alarms, on_alarm


def load_rows(task: dict[str, Any], composite: Any, source: str | None,
              provided: Sequence[str] = ("trajectory",)) -> list[dict[str, Any]]:
    """Read the task's rows, check the prompt template and every reward column (except those the host
    ``provided``, e.g. each completion's trajectory); return light rows."""
    from ..data import get_path

    name = task["dataset"]
    if name == "gsm8k":
        from ..tasks import gsm8k

        if task["split"] not in ("train", "test"):
            raise ConfigError(f"task.split: the shipped GSM8K has 'train' and 'test', got {task['split']!r}")
        rows = [
            {"question": r["question"], "answer": gsm8k.gold_answer(r["answer"]), "solution": r["answer"]}
            for r in gsm8k.load(task["split"], limit=task["limit"])
        ]
        label = f"gsm8k:{task['split']}"
    elif ":" in name and not _find_data(name, source).exists():
        rows, label = _source_rows(task)  # "<prefix>:<name>": a data source a plugin registers
    else:
        from ..data import read_rows
        from ..errors import DataError

        path = _find_data(name, source)
        try:
            read = read_rows(path, skip_bad=task["skip_bad_rows"])
        except DataError as exc:
            raise ConfigError(f"task.dataset: {exc}") from None
        rows = read.rows[: task["limit"]] if task["limit"] else read.rows
        label = str(path)
        task["dataset"] = str(path)

    fields = template_fields(task["user_template"])
    if task["system_prompt"]:
        fields += template_fields(task["system_prompt"])
    if task["assistant_prefix"]:
        fields += template_fields(task["assistant_prefix"])
    available = list(dict.fromkeys(k for r in rows[:100] for k in r))
    for f in fields:
        missing = next((i for i, r in enumerate(rows) if get_path(r, f, None) is None), None)
        if missing is not None:
            raise ConfigError(
                f"task.user_template: {{{f}}} is not a column of {label} (row {missing + 1}; "
                f"available: {', '.join(available)}){close_matches(f, available)}"
            )
    mapping = task["columns"]
    for k, v in mapping.items():
        if not isinstance(v, str):
            raise ConfigError(f"task.columns.{k}: expected the name of a dataset column, got {v!r}")
    needs: dict[str, str] = {}
    for t in composite.terms:
        for col in t.reward.columns:
            if col not in provided:
                needs.setdefault(col, t.reward.name)
    out: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        light = {"__row__": r}
        for col, reward_name in needs.items():
            path = mapping.get(col, col)
            value = get_path(r, path, None)
            if value is None:
                hint = f"; map it with [task.columns] {col} = \"<column>\"" if col not in mapping else ""
                raise ConfigError(
                    f"task.columns.{col}: reward {reward_name!r} needs column {col!r}, but row {i + 1} of {label} "
                    f"has no {path!r} (available: {', '.join(available)}){close_matches(path, available)}{hint}"
                )
            light[col] = value
        out.append(light)
    return out


def _source_rows(task: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Rows of a plugin data source, with ``size``, ``seed``, ``split`` and ``config`` as its options."""
    from ..data import load_source
    from ..errors import DataError

    options = {k: task[k] for k in ("size", "seed", "split", "config") if task[k] is not None}
    try:
        rows = load_source(task["dataset"], options).rows
    except DataError as exc:
        raise ConfigError(f"task.dataset: {exc}") from None
    return (rows[: task["limit"]] if task["limit"] else rows), task["dataset"]


def _find_data(name: str, source: str | None) -> Path:
    p = Path(name).expanduser()
    if p.exists() or p.is_absolute() or source is None:
        return p
    beside = Path(source).parent / p
    return beside if beside.exists() else p


_FIELD_RE = re.compile(r"\{([^{}]*)\}")


def template_fields(template: str) -> list[str]:
    """Column names a template uses: ``{question}``, ``{meta.topic}``; ``{{`` and ``}}`` are literal braces."""
    stripped = template.replace("{{", "").replace("}}", "")
    names = []
    for m in _FIELD_RE.finditer(stripped):
        name = m.group(1).strip()
        if not re.fullmatch(r"[A-Za-z_][\w.-]*", name):
            raise ConfigError(f"task template field {{{name}}}: expected a column name (write {{{{ for a literal brace)")
        names.append(name)
    return names


def render(template: str, row: Mapping[str, Any]) -> str:
    """Fill ``{column}`` fields of ``template`` from ``row``."""
    from ..data import get_path

    parts = template.split("{{")
    out = []
    for part in parts:
        segs = part.split("}}")
        segs = [_FIELD_RE.sub(lambda m: str(get_path(dict(row), m.group(1).strip())), s) for s in segs]
        out.append("}".join(segs))
    return "{".join(out)


def check_output_dir(cfg: TrainConfig, *, resume: bool) -> None:
    """Refuse to start a fresh run over another run's checkpoints (unless ``output.overwrite``)."""
    out = cfg.output_dir
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output.dir: {out} exists and is not a folder")
    has_ckpt = out.is_dir() and any(p.name.startswith("checkpoint-") for p in out.iterdir())
    if resume and not has_ckpt:
        raise ConfigError(f"--resume: {out} has no checkpoint-* folder to resume from")
    if has_ckpt and not resume and not cfg.output["overwrite"]:
        raise ConfigError(
            f"output.dir: {out} already holds checkpoints of a run; pass --resume to continue it, "
            "choose another output.dir, or set output.overwrite = true"
        )
