"""The texts the agent sends to the model. Children may rewrite them freely."""

from agent.textformat import FORMAT_HELP

SYSTEM = """You are a careful software engineer working in a code repository.
You fix the problem you are given by editing files in the work directory.
Work in small steps: look at the relevant files, make the change, run the tests if there
are any, then submit. Do not edit test files unless the problem asks for it."""


def system(native_tools):
    """The system prompt; without native tool calling it explains the text format."""
    if native_tools:
        return SYSTEM + "\nUse the tools to act; call submit when you are done."
    return SYSTEM + "\n\n" + FORMAT_HELP


def task(problem):
    """The first user message: the problem statement."""
    return f"Problem to solve:\n\n{problem.strip()}\n\nStart by looking at the files."


def observations(results):
    """Tool outputs sent back as one user message (text format)."""
    parts = [f"[{r['tool']}]\n{r['output']}" for r in results]
    return "Results:\n\n" + "\n\n".join(parts)


def nudge(native_tools):
    """Reminder when the reply contained no action."""
    if native_tools:
        return "No tool was called. Use a tool to act, or call submit if you are done."
    return "No action found. Write one fenced block such as ```bash\\nls\\n``` or ```submit```."
