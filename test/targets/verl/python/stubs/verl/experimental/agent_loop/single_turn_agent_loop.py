"""Stand-in for verl/experimental/agent_loop/single_turn_agent_loop.py at v0.9.0: `run(self,
sampling_params, priority=0, **kwargs)` generates through server_manager.generate with the
sampling params as given, slices to rollout.response_length, and passes the server's
extra_fields on."""
from typing import Any, Dict
from uuid import uuid4

from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopOutput


class SingleTurnAgentLoop(AgentLoopBase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prompt_length = self.rollout_config.prompt_length
        self.response_length = self.rollout_config.response_length

    async def run(self, sampling_params: Dict[str, Any], priority: int = 0, **kwargs) -> AgentLoopOutput:
        priority = int(priority)
        messages = list(kwargs["raw_prompt"])
        prompt_ids = self.tokenizer.apply_chat_template(messages)
        output = await self.server_manager.generate(request_id=uuid4().hex, prompt_ids=prompt_ids, sampling_params=sampling_params, priority=priority)
        response_ids = output.token_ids
        return AgentLoopOutput(
            prompt_ids=prompt_ids,
            response_ids=response_ids[: self.response_length],
            response_mask=([1] * len(response_ids))[: self.response_length],
            num_turns=2,
            metrics={},
            extra_fields=output.extra_fields,
        )
