"""Plain-text tool calls, for models without native tool calling (the embedded model).

The model writes fenced blocks whose info string names the tool:

    ```bash
    ls -la
    ```
    ```view src/app.py 10 40
    ```
    ```create src/app.py
    <whole file content>
    ```
    ```replace src/app.py
    <<<<<<< SEARCH
    old text
    =======
    new text
    >>>>>>> REPLACE
    ```
    ```submit
    ```

``parse_actions`` turns a reply into a list of (tool name, arguments dict); text outside
blocks is the model's reasoning and is ignored. Blocks tagged ``sh``/``shell`` count as
bash, unless their first line names another tool (```` ```bash ```` then ``replace PATH``
and its body: small models do that); blocks in other languages (``python`` ...) and bash
blocks that only echo plain text (small models "say" things that way) are not actions.
"""

import re

FENCE = re.compile(r"^```[ \t]*([A-Za-z_]+)?([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)
REPLACE = re.compile(r"<<<<<<< SEARCH\n(.*?)\n?=======\n(.*?)\n?>>>>>>> REPLACE", re.S)
BASH_TAGS = {"bash", "sh", "shell", "console"}
SPEECH = re.compile(r"""^(\s*echo\s+("[^"`$\\]*"|'[^']*'|[^"'`$|&;<>()\\]*)\s*\n?)+$""")
"""A bash block that only echoes plain text: the model talking, not an action."""

FORMAT_HELP = """Write your action as one fenced block with the tool name after the backticks.
The actions:
```bash
<one shell command>
```
```view <path>
```
```replace <path>
<<<<<<< SEARCH
<the exact lines of the file to change, copied as they are>
=======
<the new lines>
>>>>>>> REPLACE
```
```create <path>
<the whole new file content>
```
```submit
```"""


def parse_actions(text):
    """The tool calls written in ``text``, in order, as (name, args) pairs.

    A malformed block becomes ("error", {"message": ...}) so the model is told what to fix.
    """
    actions = []
    for match in FENCE.finditer(text or ""):
        tag = (match.group(1) or "").lower()
        rest = match.group(2).split()
        body = match.group(3)
        first, _, after = body.partition("\n")
        if tag in BASH_TAGS and first.split()[:1] in (["view"], ["create"], ["replace"],
                                                      ["submit"]):
            # a tool written as a shell command (```bash\nreplace PATH ...): the tool
            tag, rest, body = first.split()[0], first.split()[1:], after
        if tag in BASH_TAGS:
            if body.strip() and not SPEECH.match(body):
                actions.append(("bash", {"command": body.rstrip("\n")}))
        elif tag == "view":
            if not rest:
                actions.append(("error", {"message": "view needs a path: ```view PATH```"}))
                continue
            args = {"path": rest[0]}
            if len(rest) >= 3 and rest[1].isdigit() and rest[2].isdigit():
                args.update(start=int(rest[1]), end=int(rest[2]))
            actions.append(("view", args))
        elif tag == "create":
            if not rest:
                actions.append(("error", {"message": "create needs a path: ```create PATH"}))
                continue
            actions.append(("create", {"path": rest[0], "content": body}))
        elif tag == "replace":
            found = REPLACE.search(body)
            if not rest or not found:
                actions.append(("error", {"message": "replace needs ```replace PATH and a "
                                          "<<<<<<< SEARCH / ======= / >>>>>>> REPLACE body"}))
                continue
            actions.append(("replace", {"path": rest[0], "old": found.group(1),
                                        "new": found.group(2)}))
        elif tag == "submit":
            actions.append(("submit", {}))
    return actions


def through_first_action(text):
    """``text`` up to the end of its first block that is an action (all of it when none
    is): what stays of a reply in the conversation once only that action has run."""
    for match in FENCE.finditer(text or ""):
        if parse_actions(match.group(0)):
            return text[:match.end()]
    return text
