"""Write the ``.pth`` file whose text is ``$CLADIST_PTH`` (the reporter's folder, and for
unittest runs an import of the reporter) where the instance's Python reads it at start: its
user site-packages (the home is writable in the sandbox) and its own site-packages when
that is writable. For runners that drop ``PYTHONPATH`` (tox). Python 3.5, standard library."""

import os
import site
import sysconfig

for folder in (site.getusersitepackages(), sysconfig.get_paths()["purelib"]):
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "cladist-swebench.pth"), "w") as out:
            out.write(os.environ["CLADIST_PTH"])
    except OSError:
        pass
