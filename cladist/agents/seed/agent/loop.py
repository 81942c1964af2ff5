"""The agent loop: ask the model, run its action, show the result, repeat until it submits.

One conversation: a system prompt, the problem with an overview of the work directory (its
files, the likely sources, the visible tests' output; see context.py), then (assistant
reply, result) pairs. Only the FIRST action of a reply runs: the model sees every result
before it acts again (small models otherwise write view, replace and submit in one reply
and submit blind). A reply that repeats the previous one is told so, and the next call
samples with some temperature and a fresh seed; an action identical to one that just failed
is not run again. A text reply stays in the conversation as far as its first action; one
whose action failed, or that repeats the reply before, leaves it, and its result is noted
after the message it answered (small models copy their earlier replies, failed edits and
ignored actions included). Native tool calls are used when the model makes them;
otherwise actions are parsed from fenced blocks in the reply (see textformat.py). A submit
is refused once while no file has changed and once while the visible tests fail. The loop
stops when the model submits, when it stops acting, at a limit (steps, tokens), or when
the LLM refuses (budget spent, context full); the reason is recorded in the trajectory.
"""

import json
import random
import time

from agent import context, prompts
from agent.state import State, fingerprint
from agent.textformat import parse_actions, through_first_action
from agent.tools import TOOL_SPECS, Tools

TRAJECTORY_FORMAT = 1  # cladist's contract with agents (cladist/agents/abi.py): keep it

class Limits:
    """How far one run may go."""

    def __init__(self, max_steps=30, max_tokens=200_000, command_timeout=60.0,
                 max_reply_tokens=2048):
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.command_timeout = command_timeout
        self.max_reply_tokens = max_reply_tokens


class Trajectory:
    """What happened, step by step, written as JSON at the end (and after every step).
    cladist reads ``format``, ``exit_reason`` and ``steps``: see the README's contract."""

    def __init__(self, path=None):
        self.path = path
        self.steps = []
        self.tokens_in = 0
        self.tokens_out = 0
        self.exit_reason = None
        self.started = time.time()

    def add(self, **step):
        """Record one step and save the trajectory."""
        self.steps.append(step)
        self.save()

    def save(self):
        """Write the trajectory file (when there is one)."""
        if self.path is not None:
            self.path.write_text(json.dumps(self.to_dict(), indent=1))

    def to_dict(self):
        """The trajectory as JSON-ready data."""
        return {"format": TRAJECTORY_FORMAT, "exit_reason": self.exit_reason,
                "steps": self.steps,
                "tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
                "seconds": round(time.time() - self.started, 3)}


def _call_model(chat, messages, native, limits, stuck=False):
    """One completion; returns (message dict, usage dict). Raises what ``chat`` raises.
    A model that repeated itself (``stuck``) is asked again with some temperature."""
    params = {"temperature": 0.7 if stuck else 0, "max_tokens": limits.max_reply_tokens}
    if stuck:  # a fixed sampling seed can give the same reply again
        params["seed"] = random.randrange(2**31)
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
    ``chat`` end the run with the error's class name as the exit reason. Each reply's
    first action runs and its result goes back before the next reply; a submit is refused
    once while no file has changed, and once while the visible tests fail.
    """
    limits = limits or Limits()
    trajectory = trajectory or Trajectory()
    tools = Tools(workdir, limits.command_timeout)
    state = State(workdir)
    try:
        overview, state.test_command = context.overview(workdir, problem, tools)
        messages = [{"role": "system", "content": prompts.system(native_tools)},
                    {"role": "user", "content": prompts.task(problem, overview)}]
        idle = 0
        for step in range(1, limits.max_steps + 1):
            if trajectory.tokens_in + trajectory.tokens_out >= limits.max_tokens:
                trajectory.exit_reason = "token_limit"
                return trajectory
            try:
                message, usage = _call_model(chat, messages, native_tools, limits,
                                             state.stuck())
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
            state.replies.append(message.get("content") or json.dumps(
                message.get("tool_calls") or [], sort_keys=True))
            if not actions:
                trajectory.add(step=step, content=message.get("content"), actions=[],
                               usage=usage)
                idle += 1
                if idle >= 2:
                    trajectory.exit_reason = "no_action"
                    return trajectory
                messages.append({"role": "user", "content": prompts.nudge(native_tools)})
                continue
            idle = 0
            (call_id, name, args), skipped = actions[0], actions[1:]
            state.blocked = state.failed is not None and state.failed[0] == (name, args)
            if state.blocked:  # the very action that just failed: it would fail again
                observation, submitted = prompts.same_failure(state.failed[1]), False
            else:
                observation, submitted = _act(name, args, tools, state)
                state.failed = ((name, args), observation) \
                    if observation.startswith("error") else None
            done = [{"tool": name, "args": args, "output": observation}]
            if not submitted and name in ("view", "bash") and skipped \
                    and skipped[-1][1] == "submit" and state.changed():
                # "look, then submit" about an edit it has already seen: honour the submit
                output, submitted = _act("submit", {}, tools, state)
                done.append({"tool": "submit", "args": {}, "output": output})
                skipped = skipped[:-1]
                observation += f"\n\n[submit]\n{output}"
            hint = "" if submitted else prompts.hint(name, observation, state.changed(),
                                                     state.diff(args.get("path")))
            if not submitted and state.repeated():
                hint = prompts.REPEATED + hint
            text = not message.get("tool_calls")
            if text and not submitted and (observation.startswith("error") or state.repeated()):
                _retry(messages, state, prompts.retry(name, observation, hint))
            else:
                if text:  # the conversation holds what ran
                    messages[-1]["content"] = through_first_action(message.get("content"))
                _answer(messages, message, call_id, name, observation, hint, skipped)
            trajectory.add(step=step, content=message.get("content"), actions=done,
                           skipped=len(skipped), usage=usage)
            if submitted:
                trajectory.exit_reason = "submitted"
                return trajectory
        trajectory.exit_reason = "step_limit"
        return trajectory
    finally:
        tools.close()
        trajectory.save()


def _act(name, args, tools, state):
    """Run one action; returns (observation, whether the run is submitted)."""
    if name == "submit":
        version = fingerprint(state.workdir)
        if not state.changed() and not state.refused_unchanged:
            state.refused_unchanged = True
            return prompts.NOTHING_CHANGED, False
        if state.test_command and state.changed() and state.tested_version != version:
            state.tested_version = version
            output = tools.bash(state.test_command)
            if _tests_failed(output):
                return prompts.tests_fail(output[-2500:]), False
        return "submitted", True
    if "__error__" in args:
        return f"error: {args['__error__']}", False
    if name == "error":
        return f"error: {args['message']}", False
    if name in ("replace", "create") and isinstance(args.get("path"), str):
        state.remember(args["path"])
    output = tools.call(name, args)
    if name in ("replace", "create") and state.test_command and \
            not output.startswith("error"):  # show at once what the edit did to the tests
        tests = tools.bash(state.test_command)
        output += "\n\n" + prompts.tests_now(tests[-1500:], _tests_failed(tests))
    return output, False


def _retry(messages, state, note):
    """Take the model's last reply out of the conversation and put ``note`` (its result)
    after the message it answered, in place of an earlier note there: a small model shown
    its failed or repeated reply writes it again."""
    messages.pop()
    index = len(messages) - 1
    if state.retry_base is None or state.retry_base[0] != index:
        state.retry_base = (index, messages[index]["content"])
    messages[index]["content"] = f"{state.retry_base[1]}\n\n{note}"


def _tests_failed(output):
    lowered = output.lower()
    return any(word in lowered for word in ("failed", "error", "panicked", "fail:", "not ok"))


def _answer(messages, message, call_id, name, observation, hint, skipped):
    """Send the result back: a tool message per tool call (native) or one user message."""
    if message.get("tool_calls"):
        messages.append({"role": "tool", "tool_call_id": call_id,
                         "content": f"{observation}\n\n{hint}".strip()})
        for other_id, other, _ in skipped:
            messages.append({"role": "tool", "tool_call_id": other_id,
                             "content": f"not run: one tool call per reply ({other})"})
    else:
        messages.append({"role": "user", "content": prompts.observation(
            name, observation, hint, len(skipped))})


def _assistant_entry(message):
    entry = {"role": "assistant", "content": message.get("content") or ""}
    if message.get("tool_calls"):
        entry["tool_calls"] = message["tool_calls"]
    return entry
