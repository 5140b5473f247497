"""The public plugin helpers in rewardkit.utils."""

from __future__ import annotations

import pytest

from rewardkit.utils import WorkerError, answer_span, completion_text, map_in_workers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<answer>42</answer>", "42"),
        ("<ANSWER> 42 </ANSWER>", "42"),
        ("< answer >42</ answer >", "42"),
        ("<answer>1</answer> then <answer>2</answer>", "2"),
        ("<answer>1</answer> <answer>unclosed", "1"),
        ("<answer></answer>", ""),
        ("no tags at all", None),
        ("<answer id=1>3</answer>", None),
        ("<think><answer>9</answer></think>", None),
        ("<think>x</think><answer>5</answer>", "5"),
        ("<answer>5</answer><think><answer>9</answer></think>", "5"),
        ("reasoning <answer>9</answer></think><answer>7</answer>", "7"),  # pre-filled <think>
        ("<answer>1</answer><think>never closed <answer>9</answer>", "1"),
        ("<Think>x</THINK><Answer>ok</Answer>", "ok"),
    ],
)
def test_answer_span(text, expected):
    assert answer_span(text) == expected


def test_answer_span_other_tag_and_bad_tag():
    assert answer_span("<final> x </final>", "final") == "x"
    with pytest.raises(ValueError, match="tag"):
        answer_span("x", "a b")
    with pytest.raises(TypeError, match="str"):
        answer_span(None)  # type: ignore[arg-type]


def test_answer_span_hostile_input_is_linear():
    text = "<answer>" * 20_000 + "< " * 20_000 + "</answer>"
    assert answer_span(text) == ("< " * 20_000).strip()


def test_completion_text_forms():
    assert completion_text("x") == "x"
    assert completion_text({"role": "assistant", "content": "hi"}) == "hi"
    assert completion_text({"role": "assistant", "content": None}) == ""
    chat = [{"role": "user", "content": "q"}, {"role": "assistant", "content": [{"type": "image"}, {"type": "text", "text": "a"}]}]
    assert completion_text(chat) == "q\na"


@pytest.mark.parametrize("bad", [None, 3, {"foo": 1}, [{"role": "user"}, None]])
def test_completion_text_rejects_non_text(bad):
    with pytest.raises(TypeError, match="completion"):
        completion_text(bad)


def _square(x: int) -> int:
    return x * x


def _boom(x: int) -> int:
    raise ValueError(f"no {x}")


def test_map_in_workers():
    assert map_in_workers(_square, [1, 2, 3], timeout=60) == [1, 4, 9]
    assert map_in_workers(_square, [], timeout=60) == []


def test_map_in_workers_errors():
    with pytest.raises(WorkerError) as info:
        map_in_workers(_boom, [1], timeout=60)
    assert info.value.reason == "raised" and info.value.index == 0
    with pytest.raises(ValueError, match="timeout"):
        map_in_workers(_square, [1], timeout=float("inf"))


def test_builtin_plugins_read_the_answer_span_one_way():
    """Issue 19: `<ANSWER> 42 </ANSWER>` was read four different ways by the built-in plugins."""
    import rewardkit
    from rewardkit_rm.similarity import answer_text as rm_answer
    from rewardkit_text.inputs import answer_text as text_answer

    text = "<think><answer>1</answer></think> ... <ANSWER> 42 </ANSWER>"
    assert rm_answer(text, "auto") == text_answer(text, "auto", "answer") == answer_span(text) == "42"
    assert rewardkit.reward("text.exact")([text], reference=["42"]) == [1.0]


def test_after_think_and_response_text():
    from rewardkit.utils import after_think, response_text

    assert after_think("plan</THINK> done") == " done"
    assert after_think("no reasoning") == "no reasoning"
    text = "<think>draft <answer>1</answer></think> so <answer> 2 </answer>"
    assert response_text(text) == "2"
    assert response_text("<think>x</think> plain", "auto") == " plain"
    assert response_text("<think>x</think> plain", "yes") == ""
    assert response_text(text, "no") == text
    with pytest.raises(ValueError, match="answer_only"):
        response_text(text, "maybe")
