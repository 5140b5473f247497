"""``rewardkit train --check``: the model's config and tokenizer load (no weights), or a ConfigError says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..terms import ConfigError


def check_model_loads(model: dict[str, Any]) -> str:
    """Load ``model.name``'s config and tokenizer as training would; return a one-line description.

    An embedded alias not converted yet is checked by its weights package only (converting takes
    half a minute; training does it once). Hub ids load from the local cache or the network.
    """
    from .. import models

    name = str(model["name"])
    if models.is_embedded(name) and not Path(name).is_dir():
        converted = _converted(name)
        if converted is None:
            return f"{name}: embedded weights found ({models.gguf_path(name).name}); converted on first use"
        name = str(converted)
    try:
        from transformers import AutoConfig, AutoTokenizer

        kwargs = {"revision": model.get("revision"), "trust_remote_code": bool(model.get("trust_remote_code"))}
        config = AutoConfig.from_pretrained(name, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(name, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any failure to load is the config's error, named with its key
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ConfigError(f"model.name: {model['name']!r} cannot be loaded ({type(exc).__name__}: {first}); "
                          "give a local folder with config.json and tokenizer files, a hub id (cached or "
                          "reachable), or 'smollm2-135m-instruct'") from None
    kind = getattr(config, "model_type", "?")
    return f"{model['name']}: config ({kind}) and tokenizer ({type(tokenizer).__name__}, {len(tokenizer):,} tokens) load"


def _converted(alias: str) -> Path | None:
    from .. import models

    key = models.ALIASES.get(alias.strip().lower(), alias.strip().lower())
    target = models.cache_dir() / models.EMBEDDED[key][2]
    return target if (target / "config.json").is_file() else None
