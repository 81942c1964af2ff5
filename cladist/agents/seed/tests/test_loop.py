import json
import tempfile
import unittest
from pathlib import Path

from agent import prompts
from agent.__main__ import main
from agent.loop import Limits, solve


def completion(content=None, tool_calls=None, tokens=(10, 5)):
    message = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(tool_calls)]
    return {"choices": [{"message": message}],
            "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1]}}


class ScriptedChat:
    """A stand-in model answering from a list; records what it was sent."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.calls = []

    def __call__(self, messages, tools=None, **params):
        self.calls.append({"messages": [dict(m) for m in messages], "tools": tools,
                           "params": params})
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


class LoopTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        (self.dir / "calc.py").write_text("def add(a, b):\n    return a - b\n")

    def tearDown(self):
        self.tmp.cleanup()

    def test_native_tool_calls_fix_the_file_and_submit(self):
        chat = ScriptedChat([
            completion(tool_calls=[("view", {"path": "calc.py"})]),
            completion(tool_calls=[("replace", {"path": "calc.py", "old": "a - b",
                                                "new": "a + b"})]),
            completion(tool_calls=[("submit", {})]),
        ])
        trajectory = solve("add is wrong", self.dir, chat)
        self.assertEqual(trajectory.exit_reason, "submitted")
        self.assertIn("a + b", (self.dir / "calc.py").read_text())
        self.assertEqual(trajectory.tokens_in, 30)
        tool_message = chat.calls[1]["messages"][-1]
        self.assertEqual(tool_message["role"], "tool")
        self.assertIn("return a - b", tool_message["content"])

    def test_text_format_works_without_native_tools(self):
        chat = ScriptedChat([
            completion("```replace calc.py\n<<<<<<< SEARCH\na - b\n=======\na + b\n"
                       ">>>>>>> REPLACE\n```"),
            completion("```submit\n```"),
        ])
        trajectory = solve("add is wrong", self.dir, chat, native_tools=False)
        self.assertEqual(trajectory.exit_reason, "submitted")
        self.assertIsNone(chat.calls[0]["tools"])
        self.assertIn("Result of replace:", chat.calls[1]["messages"][-1]["content"])
        self.assertIn("a + b", (self.dir / "calc.py").read_text())

    def test_the_first_prompt_shows_the_files_and_the_visible_tests(self):
        (self.dir / "tests").mkdir()
        (self.dir / "tests" / "test_calc.py").write_text(
            "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n")
        chat = ScriptedChat([completion(tool_calls=[("submit", {})])] * 2)
        solve("add in calc.py is wrong", self.dir, chat)
        first = chat.calls[0]["messages"][1]["content"]
        self.assertIn("calc.py", first)
        self.assertIn("return a - b", first)  # the source the problem names
        self.assertIn("The visible tests", first)
        self.assertIn("FAIL", first.upper())

    def test_a_long_file_the_problem_names_is_shown_as_its_outline(self):
        body = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(400))
        (self.dir / "big.py").write_text("LIMIT = 3\n" + body)
        chat = ScriptedChat([completion(tool_calls=[("submit", {})])] * 2)
        solve("helper_7 in big.py is wrong", self.dir, chat)
        first = chat.calls[0]["messages"][1]["content"]
        self.assertIn("Content of big.py (long: its outline", first)
        self.assertIn("    1\tLIMIT = 3", first)
        self.assertIn("   23\tdef helper_7(x):", first)
        self.assertIn("Content of big.py, lines 23-24:\n```\ndef helper_7(x):\n"
                      "    return x + 7\n```", first)  # the function the problem names
        self.assertNotIn("return x + 8", first)

    def test_only_the_first_action_of_a_reply_runs(self):
        chat = ScriptedChat([
            completion("```view calc.py\n```\n```replace calc.py\n<<<<<<< SEARCH\n"
                       "a - b\n=======\na + b\n>>>>>>> REPLACE\n```\n```submit\n```"),
            completion("```submit\n```"), completion("```submit\n```"),
        ])
        trajectory = solve("add is wrong", self.dir, chat, native_tools=False)
        self.assertIn("a - b", (self.dir / "calc.py").read_text())  # the replace never ran
        after_first = chat.calls[1]["messages"][-1]["content"]
        self.assertIn("2 more were ignored", after_first)
        self.assertIn("return a - b", after_first)  # it saw the view's result
        self.assertEqual(trajectory.steps[1]["actions"][0]["output"], prompts.NOTHING_CHANGED)

    def test_native_extra_tool_calls_are_answered_but_not_run(self):
        chat = ScriptedChat([
            completion(tool_calls=[("view", {"path": "calc.py"}), ("submit", {})]),
            completion(tool_calls=[("replace", {"path": "calc.py", "old": "a - b",
                                                "new": "a + b"})]),
            completion(tool_calls=[("submit", {})]),
        ])
        trajectory = solve("add is wrong", self.dir, chat)
        self.assertEqual(trajectory.exit_reason, "submitted")
        answers = [m for m in chat.calls[1]["messages"] if m["role"] == "tool"]
        self.assertEqual([m["tool_call_id"] for m in answers], ["call_0", "call_1"])
        self.assertIn("not run", answers[1]["content"])

    def test_submit_is_refused_once_while_nothing_changed_or_tests_fail(self):
        (self.dir / "test_calc.py").write_text(
            "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n")
        wrong_fix = completion(tool_calls=[("replace", {"path": "calc.py", "old": "a - b",
                                                        "new": "a * b"})])
        chat = ScriptedChat([completion(tool_calls=[("submit", {})]), wrong_fix,
                             completion(tool_calls=[("submit", {})]),
                             completion(tool_calls=[("submit", {})])])
        trajectory = solve("add is wrong", self.dir, chat)
        outputs = [s["actions"][0]["output"] for s in trajectory.steps]
        self.assertEqual(outputs[0], prompts.NOTHING_CHANGED)
        self.assertIn("the visible tests fail", outputs[2])
        self.assertEqual(outputs[3], "submitted")  # a second submit finishes anyway
        self.assertEqual(trajectory.exit_reason, "submitted")

    def test_a_file_rewritten_with_the_same_bytes_has_not_changed(self):
        chat = ScriptedChat([completion("```bash\nsed -i 's/nothing/x/' calc.py\n```\n"
                                        "```submit\n```"),
                             completion("```bash\nsed -i 's/a - b/a + b/' calc.py\n```\n"
                                        "```submit\n```")])
        trajectory = solve("add is wrong", self.dir, chat, native_tools=False)
        self.assertEqual([len(s["actions"]) for s in trajectory.steps], [1, 2])  # no submit
        self.assertEqual(trajectory.exit_reason, "submitted")  # after the real change

    def test_the_visible_tests_run_after_every_edit(self):
        (self.dir / "test_calc.py").write_text(
            "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n")
        chat = ScriptedChat([
            completion(tool_calls=[("replace", {"path": "calc.py", "old": "a - b",
                                                "new": "a * b"})]),
            completion(tool_calls=[("replace", {"path": "calc.py", "old": "a * b",
                                                "new": "a + b"})]),
            completion(tool_calls=[("submit", {})])])
        trajectory = solve("add is wrong", self.dir, chat)
        outputs = [s["actions"][0]["output"] for s in trajectory.steps]
        self.assertIn(prompts.TESTS_FAIL, outputs[0])
        self.assertIn("AssertionError: 6 != 5", outputs[0])
        self.assertIn(prompts.TESTS_PASS, outputs[1])
        self.assertIn("fix the code so that the visible tests pass",
                      chat.calls[1]["messages"][-1]["content"])
        self.assertEqual(outputs[2], "submitted")

    def test_look_then_submit_is_honoured_once_the_edit_was_seen(self):
        chat = ScriptedChat([
            completion("```replace calc.py\n<<<<<<< SEARCH\na - b\n=======\na + b\n"
                       ">>>>>>> REPLACE\n```"),
            completion("```view calc.py\n```\n```submit\n```"),
        ])
        trajectory = solve("add is wrong", self.dir, chat, native_tools=False)
        self.assertEqual(trajectory.exit_reason, "submitted")
        self.assertEqual([a["tool"] for a in trajectory.steps[1]["actions"]],
                         ["view", "submit"])
        self.assertIn("-    return a - b", chat.calls[1]["messages"][-1]["content"])

    def test_a_stuck_model_is_asked_again_with_some_temperature(self):
        same = completion("```view calc.py\n```")
        chat = ScriptedChat([same, same, completion("```submit\n```"),
                             completion("```submit\n```")])
        solve("p", self.dir, chat, native_tools=False)
        self.assertEqual([c["params"]["temperature"] for c in chat.calls[:3]], [0, 0, 0.7])
        self.assertNotIn("seed", chat.calls[1]["params"])
        self.assertIsInstance(chat.calls[2]["params"]["seed"], int)
        self.assertIn(prompts.REPEATED, chat.calls[2]["messages"][-1]["content"])
        self.assertNotIn(prompts.REPEATED, chat.calls[1]["messages"][-1]["content"])

    def test_an_action_that_just_failed_is_not_run_again(self):
        wrong = ("replace", {"path": "calc.py", "old": "return a-b", "new": "return a+b"})
        chat = ScriptedChat([completion("Fix it.", tool_calls=[wrong]),
                             completion("Fix it again.", tool_calls=[wrong]),
                             completion(tool_calls=[("replace", {
                                 "path": "calc.py", "old": "return a - b",
                                 "new": "return a + b"})]),
                             completion(tool_calls=[("submit", {})])])
        trajectory = solve("p", self.dir, chat)
        outputs = [s["actions"][0]["output"] for s in trajectory.steps]
        self.assertIn("not found", outputs[0])
        self.assertIn("    2\t    return a - b", outputs[0])  # the real text, to copy
        self.assertTrue(outputs[1].startswith("error: not run: this is exactly the action"))
        self.assertIn("replaced 1", outputs[2])
        self.assertEqual([c["params"]["temperature"] for c in chat.calls], [0, 0, 0.7, 0])
        self.assertEqual(trajectory.exit_reason, "submitted")

    def test_a_failed_text_reply_leaves_the_conversation_with_its_result_noted(self):
        wrong = ("Swap the sign.\n```replace calc.py\n<<<<<<< SEARCH\nreturn a-b\n=======\n"
                 "return a+b\n>>>>>>> REPLACE\n```")
        right = wrong.replace("a-b", "a - b").replace("a+b", "a + b")
        chat = ScriptedChat([completion(wrong), completion("```view nope.py\n```"),
                             completion(right), completion("```submit\n```")])
        trajectory = solve("add is wrong", self.dir, chat, native_tools=False)
        self.assertEqual(trajectory.exit_reason, "submitted")
        first, second, third = (c["messages"] for c in chat.calls[1:4])
        self.assertEqual([len(first), len(second)], [2, 2])  # system, task + note
        self.assertNotIn("return a-b", first[-1]["content"].split("Result of your")[0])
        self.assertIn("Result of your last reply (replace):\nerror", first[-1]["content"])
        # a second failure replaces the note of the first
        self.assertIn("Result of your last reply (view)", second[-1]["content"])
        self.assertNotIn("(replace)", second[-1]["content"])
        self.assertEqual(third[2]["content"], right)  # an action that worked stays whole
        self.assertEqual(trajectory.steps[0]["content"], wrong)  # the record keeps it all

    def test_only_the_action_that_ran_stays_in_the_conversation(self):
        reply = ("Look first.\n```view calc.py\n```\n```replace calc.py\n<<<<<<< SEARCH\n"
                 "a - b\n=======\na + b\n>>>>>>> REPLACE\n```\n```submit\n```")
        chat = ScriptedChat([completion(reply), completion("```submit\n```"),
                             completion("```submit\n```")])
        solve("add is wrong", self.dir, chat, native_tools=False)
        self.assertEqual(chat.calls[1]["messages"][2]["content"],
                         "Look first.\n```view calc.py\n```")

    def test_limits_and_errors_end_the_run_with_a_reason(self):
        looping = ScriptedChat([completion("```bash\nls\n```")] * 5)
        self.assertEqual(solve("p", self.dir, looping, Limits(max_steps=3)).exit_reason,
                         "step_limit")
        idle = ScriptedChat([completion("thinking"), completion("still thinking")])
        self.assertEqual(solve("p", self.dir, idle).exit_reason, "no_action")
        class BudgetExceededError(Exception):
            pass
        refused = ScriptedChat([BudgetExceededError("budget spent")])
        self.assertEqual(solve("p", self.dir, refused).exit_reason,
                         "llm_error:BudgetExceededError")
        costly = ScriptedChat([completion("```bash\nls\n```", tokens=(900, 200))] * 3)
        self.assertEqual(solve("p", self.dir, costly, Limits(max_tokens=1000)).exit_reason,
                         "token_limit")

    def test_command_line_writes_the_trajectory(self):
        (self.dir / "problem.md").write_text("fix add")
        (self.dir / "calc.py").write_text("def add(a, b):\n    return a + b\n")
        chat = ScriptedChat([completion(tool_calls=[("submit", {})])] * 2)
        out = self.dir / "out"
        code = main(["--problem", str(self.dir / "problem.md"), "--workdir", str(self.dir),
                     "--out", str(out)], chat=chat)
        self.assertEqual(code, 0)
        saved = json.loads((out / "trajectory.json").read_text())
        self.assertEqual(saved["exit_reason"], "submitted")
        self.assertEqual(len(saved["steps"]), 2)  # a first submit of nothing is refused


if __name__ == "__main__":
    unittest.main()
