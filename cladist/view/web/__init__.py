"""The web viewer of a run: ``cladist view RUN`` (a FastAPI app over the archive) and
``cladist view RUN --static OUT.html`` (one self-contained HTML file).

- :mod:`.data` turns a run folder into JSON-ready data (tree, node, compare, blobs);
- :mod:`.overview` the run overview (budgets, progress curve, costs, plots);
- :mod:`.app` the FastAPI routes and the server;
- :mod:`.static_html` the single-file export;
- ``static/`` the page (HTML, JS, CSS), served from the package: no CDN.
"""
