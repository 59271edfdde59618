"""Run the conformance client's scenarios in forks of one pre-imported Python process.

The conformance suite starts a new client process for each of its ~26 client scenarios,
all at once. Importing reverie and the MCP SDK costs about two CPU-seconds per process;
paid 26 times on a 2-core machine, that is most of the suite's time and enough load to
make its timing checks (how soon a client reconnects) fail for the wrong reason. So the
command the suite runs is a tiny stdlib-only shim (``conformance_shim.py``) that hands its
arguments, environment and stdio to this process, which forks a child that already has
everything imported and runs :func:`conformance_client.main` there. The client code is the
same; only the import is shared.

Protocol over a Unix socket: the shim sends one JSON object ``{"argv": [...], "env":
{...}}`` with its stdin, stdout and stderr attached (SCM_RIGHTS); the child writes its exit
status back as ASCII digits and the connection closes.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import traceback

_CHILD_DEADLINE = 120  # seconds: a stuck child is killed rather than left behind
# What a client imports only once it connects (the HTTP transport's own modules).
_IMPORTED_LATER = ("anyio._backends._asyncio", "h11", "httpcore2", "truststore")


def serve(path: str) -> None:
    """Accept shims on ``path`` until killed."""
    from tests.mcp_tests import conformance_client  # the expensive imports, once

    for module in _IMPORTED_LATER:
        importlib.import_module(module)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        if os.fork() == 0:
            listener.close()
            _child(conn, json.loads(message), fds, conformance_client.main)
        conn.close()
        for fd in fds:
            os.close(fd)


def _child(conn: socket.socket, request: dict, fds: list[int], main) -> None:  # type: ignore[type-arg]
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.alarm(_CHILD_DEADLINE)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.update(request["env"])
    code = 1
    try:
        code = main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        conn.sendall(str(code).encode())
        conn.close()
        os._exit(code)


if __name__ == "__main__":
    serve(sys.argv[1])
