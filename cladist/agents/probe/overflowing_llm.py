"""A stand-in LLM for checking an agent's contract: serve chat completions on
``127.0.0.1:PORT`` (argv[1]) and refuse every one with ``context_length_exceeded``, as the
gateway does when a conversation outgrows the model. Standard library only; cladist copies
it into the validation sandbox and starts it before the agent."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = json.dumps({"error": {
    "message": "This model's maximum context length is 32 tokens.",
    "type": "invalid_request_error", "code": "context_length_exceeded"}}).encode()


class Handler(BaseHTTPRequestHandler):
    """Every request: 400 with the context-length error."""

    def _refuse(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 1 << 24))
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    do_POST = do_GET = _refuse

    def log_message(self, *args):
        """Quiet."""


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
