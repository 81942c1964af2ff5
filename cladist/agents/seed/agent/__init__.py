"""The cladist seed agent: a small tool-using coding agent, standard library only.

Layout: __main__.py (command line), loop.py (the agent loop), tools.py (bash, view,
create, replace), textformat.py (plain-text tool calls), prompts.py (all texts sent to the
model), llm_client.py (the gateway client, vendored). See README.md.
"""

__version__ = "0.1.0"
