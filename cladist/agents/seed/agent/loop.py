"""The agent loop: ask the model, run the tools it asks for, repeat until it submits.

One conversation: a system prompt, the problem, then (assistant reply, tool observations)
pairs. Native tool calls are used when the model makes them; otherwise actions are parsed
from fenced blocks in the reply (see textformat.py). The loop stops when the model submits,
when it stops acting, or at a limit (steps, tokens), or when the LLM refuses (budget spent,
context full); the reason is recorded in the trajectory.
"""

import json
import time

from agent import prompts
from agent.textformat import parse_actions
from agent.tools import TOOL_SPECS, Tools


class Limits:
    """How far one run may go."""

    def __init__(self, max_steps=30, max_tokens=200_000, command_timeout=60.0,
                 max_reply_tokens=2048):
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.command_timeout = command_timeout
        self.max_reply_tokens = max_reply_tokens


class Trajectory:
    """What happened, step by step, written as JSON at the end (and after every step)."""

    def __init__(self, path=None):
        self.path = path
        self.steps = []
        self.tokens_in = 0
        self.tokens_out = 0
        self.exit_reason = None
        self.started = time.time()

    def add(self, **step):
        self.steps.append(step)
        self.save()

    def save(self):
        if self.path is not None:
            self.path.write_text(json.dumps(self.to_dict(), indent=1))

    def to_dict(self):
        return {"exit_reason": self.exit_reason, "steps": self.steps,
                "tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
                "seconds": round(time.time() - self.started, 3)}


def _call_model(chat, messages, native, limits):
    """One completion; returns (message dict, usage dict). Raises what ``chat`` raises."""
    params = {"temperature": 0, "max_tokens": limits.max_reply_tokens}
    reply = chat(messages, TOOL_SPECS if native else None, **params)
    return reply["choices"][0]["message"], reply.get("usage") or {}


def _actions_of(message):
    """(tool call id or None, name, args) for each action in an assistant message."""
    calls = message.get("tool_calls") or []
    if calls:
        actions = []
        for call in calls:
            fn = call.get("function", {})
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except ValueError:
                args = {"__error__": "arguments are not valid JSON"}
            actions.append((call.get("id"), fn.get("name", ""), args))
        return actions
    return [(None, name, args) for name, args in parse_actions(message.get("content"))]


def solve(problem, workdir, chat, limits=None, trajectory=None, native_tools=True):
    """Work on ``problem`` in ``workdir`` until done; returns the trajectory.

    ``chat(messages, tools, **params)`` returns an OpenAI chat.completion dict. Errors from
    ``chat`` end the run with the error's class name as the exit reason.
    """
    limits = limits or Limits()
    trajectory = trajectory or Trajectory()
    tools = Tools(workdir, limits.command_timeout)
    messages = [{"role": "system", "content": prompts.system(native_tools)},
                {"role": "user", "content": prompts.task(problem)}]
    idle = 0
    try:
        for step in range(1, limits.max_steps + 1):
            if trajectory.tokens_in + trajectory.tokens_out >= limits.max_tokens:
                trajectory.exit_reason = "token_limit"
                return trajectory
            try:
                message, usage = _call_model(chat, messages, native_tools, limits)
            except Exception as err:  # the LLM said no: budget, context, connection
                if native_tools and "tool" in str(err).lower() and step == 1:
                    native_tools = False  # the endpoint rejects tools: use the text format
                    messages[0]["content"] = prompts.system(False)
                    continue
                trajectory.exit_reason = f"llm_error:{type(err).__name__}"
                trajectory.add(step=step, error=str(err)[:2000])
                return trajectory
            trajectory.tokens_in += int(usage.get("prompt_tokens") or 0)
            trajectory.tokens_out += int(usage.get("completion_tokens") or 0)
            actions = _actions_of(message)
            messages.append(_assistant_entry(message))
            observations = []
            submitted = False
            for call_id, name, args in actions:
                if name == "submit":
                    submitted = True
                    observation = "submitted"
                elif "__error__" in args:
                    observation = f"error: {args['__error__']}"
                elif name == "error":
                    observation = f"error: {args['message']}"
                else:
                    observation = tools.call(name, args)
                observations.append({"tool": name, "args": args, "output": observation})
                if call_id is not None:
                    messages.append({"role": "tool", "tool_call_id": call_id,
                                     "content": observation})
                if submitted:
                    break
            if observations and not message.get("tool_calls"):
                messages.append({"role": "user", "content": prompts.observations(observations)})
            trajectory.add(step=step, content=message.get("content"),
                           actions=observations, usage=usage)
            if submitted:
                trajectory.exit_reason = "submitted"
                return trajectory
            idle = 0 if actions else idle + 1
            if idle >= 2:
                trajectory.exit_reason = "no_action"
                return trajectory
            if not actions:
                messages.append({"role": "user", "content": prompts.nudge(native_tools)})
        trajectory.exit_reason = "step_limit"
        return trajectory
    finally:
        tools.close()
        trajectory.save()


def _assistant_entry(message):
    entry = {"role": "assistant", "content": message.get("content") or ""}
    if message.get("tool_calls"):
        entry["tool_calls"] = message["tool_calls"]
    return entry
