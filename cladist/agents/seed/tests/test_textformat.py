import unittest

from agent.textformat import parse_actions


class TextFormatTest(unittest.TestCase):
    def test_parses_each_tool(self):
        reply = """I will look first.
```bash
ls -la
```
```view src/app.py 3 9
```
```create new.py
print("hi")
```
```replace src/app.py
<<<<<<< SEARCH
return a - b
=======
return a + b
>>>>>>> REPLACE
```
```submit
```"""
        actions = parse_actions(reply)
        self.assertEqual([a[0] for a in actions], ["bash", "view", "create", "replace", "submit"])
        self.assertEqual(actions[0][1], {"command": "ls -la"})
        self.assertEqual(actions[1][1], {"path": "src/app.py", "start": 3, "end": 9})
        self.assertEqual(actions[2][1]["content"], 'print("hi")\n')
        self.assertEqual(actions[3][1], {"path": "src/app.py", "old": "return a - b",
                                         "new": "return a + b"})

    def test_other_languages_and_prose_are_not_actions(self):
        self.assertEqual(parse_actions("```python\nprint(1)\n```\nno action here"), [])
        self.assertEqual(parse_actions(None), [])

    def test_a_block_that_only_echoes_text_is_speech_not_an_action(self):
        reply = ('```bash\necho "What is your first action?"\n```\n'
                 "```bash\necho 'fix it' \necho next\n```\n```view a.py\n```")
        self.assertEqual(parse_actions(reply), [("view", {"path": "a.py"})])
        for command in ('echo "x" > a.py', "echo $(id)", "echo `id`", "echo a | sh",
                        "echo a; rm a.py", 'echo "$HOME"', "printf x"):
            self.assertEqual(parse_actions(f"```bash\n{command}\n```"),
                             [("bash", {"command": command})], command)

    def test_malformed_blocks_explain_themselves(self):
        (action,) = parse_actions("```replace f.py\nold\nnew\n```")
        self.assertEqual(action[0], "error")
        self.assertIn("SEARCH", action[1]["message"])

    def test_a_tool_written_as_a_shell_command_is_that_tool(self):
        reply = ("```bash\nreplace m.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n"
                 ">>>>>>> REPLACE\n```\n```sh\nview m.py\n```\n```bash\nls -la\n```")
        self.assertEqual(parse_actions(reply), [
            ("replace", {"path": "m.py", "old": "x = 1", "new": "x = 2"}),
            ("view", {"path": "m.py"}), ("bash", {"command": "ls -la"})])


if __name__ == "__main__":
    unittest.main()
