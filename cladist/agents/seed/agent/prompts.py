"""The texts the agent sends to the model. Children may rewrite them freely.

They are short on purpose: small models follow a short prompt with one example better than
a long one, and a one-line hint after each result keeps them on track.
"""

from agent.textformat import FORMAT_HELP

SYSTEM = """You are a careful software engineer fixing a problem in a code repository.
Each reply: think in one or two sentences, then write exactly ONE action. You will see its
result before your next reply. Fix the code, check it, then submit.
Do not edit test files unless the problem asks for it."""


def system(native_tools):
    """The system prompt; without native tool calling it explains the text format."""
    if native_tools:
        return SYSTEM + "\nAct by calling one tool per reply; call submit when you are done."
    return SYSTEM + "\n\n" + FORMAT_HELP


def task(problem, overview=""):
    """The first user message: the problem statement and what the work directory holds."""
    text = f"Problem to solve:\n\n{problem.strip()}"
    if overview:
        text += f"\n\n{overview}"
    return text + "\n\nWhat is your first action?"


def observation(tool, output, hint, skipped=0):
    """One action's result sent back as a user message (text format)."""
    note = (f"\n(Only your first action was run: {skipped} more were ignored. Write one "
            "action per reply.)") if skipped else ""
    return f"Result of {tool}:\n{output}{note}\n\n{hint}"


def hint(tool, output, edited, diff=""):
    """One line saying what to do next, after ``tool`` answered ``output`` (with the
    agent's changes to the file so far, after an edit)."""
    failed = output.startswith("error")
    if output.startswith("error: not applied"):
        return "Next: write the edit again so that the file stays valid Python."
    if tool == "replace" and failed:
        return ("Next: copy the search text exactly from the file's lines shown above "
                "(without the line numbers), then replace again.")
    if tool in ("replace", "create") and not failed:
        change = f"Your changes to this file so far:\n{diff}\n" if diff else ""
        if TESTS_FAIL in output:
            return f"{change}Next: fix the code so that the visible tests pass."
        if TESTS_PASS in output:
            return f"{change}Next: if this fixes the problem, submit."
        return (f"{change}Next: if this fixes the problem, submit; otherwise check it (run "
                "the tests with bash) or change it again.")
    if tool == "view":
        return ("Next: if the fix is done, submit; otherwise fix the code with one replace "
                "action." if edited else "Next: fix the code with one replace action.")
    if tool == "bash" and "[exit code 0]" in output and edited:
        return "Next: if the fix is complete, submit; otherwise fix the code."
    if failed:
        return "Next: correct the action and try again."
    return "Next: fix the code with one replace (or create) action." if not edited else \
        "Next: fix what the output shows, or submit if the work is done."


def nudge(native_tools):
    """Reminder when the reply contained no action."""
    if native_tools:
        return "No tool was called. Call one tool, or submit if you are done."
    return ("No action found. Write exactly one fenced block, such as ```bash\nls\n``` or "
            "```submit\n```.")


REPEATED = ("You wrote the same reply as before, so you got the same result. Do something "
            "different this time.\n")


def same_failure(output):
    """The answer to an action identical to the one that just failed (it is not run)."""
    return (f"error: not run: this is exactly the action that just failed, with:\n"
            f"{output[:1500]}\nIt would fail the same way. Do something different.")


def retry(tool, output, hint):
    """The result of a text reply taken out of the conversation (its action failed, or it
    repeated the reply before), noted after the message that reply answered."""
    return f"Result of your last reply ({tool}):\n{output}\n\n{hint}".rstrip()


NOTHING_CHANGED = ("Not submitted: no file has changed yet. Make the fix first (replace or "
                   "create), then submit.")


TESTS_FAIL = "The visible tests now FAIL:"
TESTS_PASS = "The visible tests now pass:"


def tests_now(output, failed):
    """The visible tests' output, run right after an edit."""
    return f"{TESTS_FAIL if failed else TESTS_PASS}\n{output}"


def tests_fail(output):
    """Why a submit was refused once: the visible tests still fail."""
    return (f"Not submitted yet: the visible tests fail:\n{output}\n\nFix the code, or "
            "submit again to finish anyway.")
