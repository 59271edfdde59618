"""An MCP server over stdio that misbehaves on purpose: ``bad_server.py MODE``.

Raw JSON-RPC, no SDK, so it can break the protocol in ways an SDK would not let it (and
starts in milliseconds, which also makes ``good`` the cheapest well-behaved server):

- ``good``: offers ``ping`` and ``add``, and answers;
- ``exit-at-start``: writes an error to stderr and exits before the handshake;
- ``hang-at-start``: never answers ``initialize``;
- ``garbage-at-start``: answers ``initialize`` with a line that is not JSON;
- ``crash-on-call``: handshakes, lists its tools, then dies (exit 3) when one is called;
- ``hang-on-call``: never answers ``tools/call``;
- ``garbage-on-call``: answers ``tools/call`` with a line that is not JSON;
- ``huge``: answers ``tools/call`` with 5 MB of text;
- ``bad-schema``: lists a tool whose input schema is not an object (against the MCP spec);
- ``open-object``: lists a tool taking a free-form object, which OpenAI's strict mode cannot
  express;
- ``grandchild``: starts a sleeping child process of its own, then behaves.

A second argument names a file each ``tools/call`` is appended to (name and arguments, one
JSON line): what the server was really asked to run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

MODE = sys.argv[1]
TOOLS = [
    {"name": "ping", "description": "Answers pong", "inputSchema": {"type": "object"}},
    {
        "name": "add",
        "description": "Add two numbers",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
]
if MODE == "bad-schema":
    TOOLS.append(
        {"name": "bad", "description": "Takes a bare string", "inputSchema": {"type": "string"}}
    )
if MODE == "open-object":
    schema = {"type": "object", "properties": {"meta": {"type": "object"}}}
    TOOLS.append({"name": "bad", "description": "Takes any object", "inputSchema": schema})


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def answer(request: dict[str, object]) -> None:
    method, rid = request.get("method"), request.get("id")
    if rid is None:
        return  # a notification
    if method == "initialize":
        if MODE == "hang-at-start":
            return
        if MODE == "garbage-at-start":
            sys.stdout.write("Starting server... please wait\n")
            sys.stdout.flush()
            return
        params = request.get("params") or {}
        version = params.get("protocolVersion", "2025-11-25") if isinstance(params, dict) else ""
        result = {
            "protocolVersion": version,
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "bad", "version": "0"},
        }
        send({"jsonrpc": "2.0", "id": rid, "result": result})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        if MODE == "crash-on-call":
            sys.stderr.write("boom: the server fell over\n")
            sys.stderr.flush()
            sys.exit(3)
        if MODE == "hang-on-call":
            return
        if MODE == "garbage-on-call":
            sys.stdout.write("{this is not json\n")
            sys.stdout.flush()
            return
        params = request.get("params")
        call = params if isinstance(params, dict) else {}
        if len(sys.argv) > 2:
            with open(sys.argv[2], "a") as log:
                log.write(json.dumps([call.get("name"), call.get("arguments") or {}]) + "\n")
        text = "x" * 5_000_000 if MODE == "huge" else "pong"
        if call.get("name") == "add":
            args = call.get("arguments") or {}
            text = str(args["a"] + args["b"])
        send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": text}]}})
    else:  # server/discover (the 2026 probe) and anything else: not supported
        error = {"code": -32601, "message": f"method not found: {method}"}
        send({"jsonrpc": "2.0", "id": rid, "error": error})


def main() -> None:
    if MODE == "exit-at-start":
        sys.stderr.write("cannot open database /nowhere/db.sqlite\n")
        sys.exit(1)
    if MODE == "grandchild":
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    for line in sys.stdin:
        if line.strip():
            answer(json.loads(line))
    time.sleep(0.1)


if __name__ == "__main__":
    main()
