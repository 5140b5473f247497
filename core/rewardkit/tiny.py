"""Tiny randomly initialised models and a tokenizer built offline, for tests and smoke runs.

Nothing here downloads anything: the tokenizer is a byte-level BPE trained in memory on a
few sentences, and the models are built from configs with random weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] }}"
    "{% if not (loop.last and message['role'] == 'assistant' and continue_final_message is defined and continue_final_message) %}"
    "{{ '<|im_end|>\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_CORPUS = [
    "<think> Let me think step by step. </think> <answer> 42 </answer>",
    "Natalia sold 48/2 = 24 clips in May. 48+24 = 72 clips altogether. #### 72",
    "The answer is \\boxed{3/4}. 0 1 2 3 4 5 6 7 8 9 + - * / = ( ) $ % . ,",
    "Question: how many apples? Answer: 12 apples. system user assistant",
]


def tiny_tokenizer(vocab_size: int = 320) -> Any:
    """A byte-level BPE tokenizer with a Qwen-style chat template (``<|im_start|>``/``<|im_end|>``)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token=None,
        unk_token=None,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_qwen2(tokenizer: Any = None, *, hidden: int = 32, layers: int = 2, seed: int = 0) -> Any:
    """A randomly initialised ``Qwen2ForCausalLM`` sized for unit tests (a few hundred kB)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = tokenizer or tiny_tokenizer()
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024, tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None,
    )
    return Qwen2ForCausalLM(config)


def tiny_classifier(tokenizer: Any = None, *, hidden: int = 32, layers: int = 2, seed: int = 0) -> Any:
    """A randomly initialised ``Qwen2ForSequenceClassification`` with one label (a tiny reward model)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForSequenceClassification

    tokenizer = tokenizer or tiny_tokenizer()
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2, num_hidden_layers=layers,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024, num_labels=1,  # type: ignore[call-arg]  # a PretrainedConfig kwarg
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    return Qwen2ForSequenceClassification(config)


def save_tiny(path: str | Path, kind: str = "causal") -> Path:
    """Write a tiny model (``causal`` or ``classifier``) and its tokenizer to ``path``; returns the path."""
    path = Path(path)
    tok = tiny_tokenizer()
    model = tiny_qwen2(tok) if kind == "causal" else tiny_classifier(tok)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
