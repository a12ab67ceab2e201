"""Stand-in for verl/experimental/agent_loop/agent_loop.py at v0.9.0 (483b8a00): the signatures
siri_verl relies on (AgentLoopBase.__init__(trainer_config, server_manager, tokenizer, processor,
dataset_cls, data_config, **kwargs), AgentLoopOutput.extra_fields), nothing more."""
from typing import Any, Dict, List, Optional


class DictConfigWrap:
    def __init__(self, config):
        self.config = config


class AgentLoopOutput:
    """The pydantic model in verl; here the fields the single-turn loop fills."""

    def __init__(self, prompt_ids: List[int], response_ids: List[int], response_mask: List[int], num_turns: int = 0, metrics: Optional[dict] = None, extra_fields: Optional[Dict[str, Any]] = None, **rest):
        self.prompt_ids = prompt_ids
        self.response_ids = response_ids
        self.response_mask = response_mask
        self.num_turns = num_turns
        self.metrics = metrics or {}
        self.extra_fields = dict(extra_fields or {})


class AgentLoopBase:
    def __init__(self, trainer_config, server_manager, tokenizer, processor, dataset_cls, data_config, **kwargs):
        self.config = trainer_config.config
        self.rollout_config = self.config.actor_rollout_ref.rollout
        self.server_manager = server_manager
        self.tokenizer = tokenizer
        self.processor = processor
        self.dataset_cls = dataset_cls
        self.data_config = data_config.config

    async def run(self, sampling_params: Dict[str, Any], **kwargs) -> AgentLoopOutput:
        raise NotImplementedError
