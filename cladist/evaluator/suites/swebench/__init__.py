"""SWE-bench as a suite, graded by the official harness's own code.

- ``suite.py``: the suite (instances from a dataset by name or a local file, staged order).
- ``adapter.py``: the only module that imports ``swebench`` (the harness's code).
- ``grading.py``: the harness's grading in cladist's sandbox (this suite's ``Grading``).
- ``sandbox.py``: the grading sandbox's commands and cladist's reporters in it.
- ``evidence.py``: telling the tests' real outcomes from what the patch could forge.
"""
