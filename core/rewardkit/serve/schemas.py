"""Request bodies of the scoring endpoints (pydantic: a wrong shape is a 422 naming the field)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

#: A completion or prompt: text, one chat message, or a list of messages.
Text = str | list[Any] | dict[str, Any]


def _same_length(value: list[Any] | None, info: ValidationInfo, what: str) -> list[Any] | None:
    n = len(info.data.get("completions") or [])
    if value is not None and len(value) != n:
        raise ValueError(f"{what} has {len(value)} entries for {n} completions")
    return value


class ScoreRequest(BaseModel):
    """``POST /v1/score``: one reward (``reward`` + ``params``) or a composite (a list of terms)."""

    model_config = ConfigDict(extra="forbid")

    completions: list[Text]
    prompts: list[Text] | None = None
    columns: dict[str, list[Any]] = Field(default_factory=dict)
    reward: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0)
    column_map: dict[str, str] | None = None
    composite: list[dict[str, Any]] | None = None
    on_error: str | None = None
    allow_negative: bool | None = None

    @field_validator("prompts")
    @classmethod
    def _prompts(cls, value: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        return _same_length(value, info, "prompts")

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, list[Any]], info: ValidationInfo) -> dict[str, list[Any]]:
        n = len(info.data.get("completions") or [])
        for name, rows in value.items():
            if len(rows) != n:
                raise ValueError(f"column {name!r} has {len(rows)} rows for {n} completions")
        return value


class OpenRLHFRequest(BaseModel):
    """``POST /get_reward``: OpenRLHF's remote reward protocol (``query`` is prompt + response)."""

    model_config = ConfigDict(extra="ignore")  # OpenRLHF forks add keys (datasources, metadata)

    query: list[str]
    prompts: list[str] | None = None
    labels: list[Any] | None = None

    @field_validator("prompts", "labels")
    @classmethod
    def _lengths(cls, value: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        n = len(info.data.get("query") or [])
        if value is not None and len(value) != n:
            raise ValueError(f"{info.field_name} has {len(value)} entries for {n} queries")
        return value


class NemoGymVerifyRequest(BaseModel):
    """``POST /verify``: NeMo Gym's resources-server request (``BaseVerifyRequest``).

    ``responses_create_params.input`` is the task (messages or text), ``response.output`` the
    policy's Responses-API output; every other top-level field (``expected_answer``, ...) is a
    task column.
    """

    model_config = ConfigDict(extra="allow")

    responses_create_params: dict[str, Any]
    response: dict[str, Any]


class VerlBatchRequest(BaseModel):
    """``POST /verl/compute_score``: verl's reward-function arguments, batched or for one item."""

    model_config = ConfigDict(extra="forbid")

    data_sources: list[Any] | None = None
    solution_strs: list[str] | None = None
    ground_truths: list[Any] | None = None
    extra_infos: list[Any] | None = None
    data_source: Any = None
    solution_str: str | None = None
    ground_truth: Any = None
    extra_info: Any = None
