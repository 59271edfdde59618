"""The command the conformance suite runs per client scenario (see ``zygote.py``).

Stdlib only, so ``python -S -I`` starts it in milliseconds. With ``REVERIE_MCP_ZYGOTE``
set it asks the zygote to run the scenario in a pre-imported fork; without it, it runs the
conformance client itself, so the command also works on its own.
"""

import json
import os
import socket
import sys
from pathlib import Path


def main() -> int:
    path = os.environ.get("REVERIE_MCP_ZYGOTE")
    if not path:
        client = Path(__file__).with_name("conformance_client.py")
        repo = str(Path(__file__).resolve().parents[2])
        os.environ["PYTHONPATH"] = repo + os.pathsep + os.environ.get("PYTHONPATH", "")
        os.execv(sys.executable, [sys.executable, str(client), *sys.argv[1:]])
    request = {
        "argv": sys.argv[1:],
        "env": {k: v for k, v in os.environ.items() if k.startswith("MCP_CONFORMANCE")},
    }
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        socket.send_fds(conn, [json.dumps(request).encode()], [0, 1, 2])
        status = b""
        while chunk := conn.recv(16):
            status += chunk
    return int(status) if status.isdigit() else 1


if __name__ == "__main__":
    sys.exit(main())
