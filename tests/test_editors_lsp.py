"""The optional language server (`python -m nanlint.server`), driven over stdio with
JSON-RPC as an editor would. Skipped when pygls is not installed."""

import json
import subprocess
import sys

import pytest

pytest.importorskip("pygls")

SOURCE = "import torch\nnote = 'é𝔘'; opt = torch.optim.SGD(p, lr=5.0)\n"


class Client:
    def __init__(self, cwd):
        self.process = subprocess.Popen([sys.executable, "-m", "nanlint.server"], cwd=cwd,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 0

    def send(self, method, params, request=False):
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.process.stdout.readline()
            assert line, self.process.stderr.read().decode(errors="replace")[-2000:]
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def wait_for(self, method):
        for _ in range(50):
            message = self.receive()
            if message.get("method") == method:
                return message["params"]
        raise AssertionError(f"no {method} received")

    def close(self):
        try:
            self.send("shutdown", None, request=True)
            self.send("exit", None)
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def client(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nanlint]\nselect = ["NAN301", "NAN302"]\n', encoding="utf-8")
    started = Client(tmp_path)
    started.send("initialize", {"processId": None, "rootUri": (tmp_path).as_uri(), "capabilities": {}}, request=True)
    assert "capabilities" in started.receive()["result"]
    started.send("initialized", {})
    yield started
    started.close()


def test_open_change_and_close_publish_diagnostics(client, tmp_path):
    uri = (tmp_path / "train.py").as_uri()
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                          "text": SOURCE}})
    published = client.wait_for("textDocument/publishDiagnostics")
    assert published["uri"] == uri
    [diagnostic] = published["diagnostics"]
    assert diagnostic["code"] == "NAN301" and diagnostic["source"] == "nanlint"
    assert diagnostic["message"].startswith("Learning rate 5 is very large for `SGD`")
    # UTF-16 code units: 'é' is one unit, '𝔘' two, so the call starts at 20 (in code points: 19)
    assert SOURCE.splitlines()[1].index("torch") == 19
    assert diagnostic["range"]["start"] == {"line": 1, "character": 20}
    assert diagnostic["severity"] == 2

    client.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                           "contentChanges": [{"text": SOURCE.replace("5.0", "1e-3")}]})
    assert client.wait_for("textDocument/publishDiagnostics")["diagnostics"] == []

    client.send("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.wait_for("textDocument/publishDiagnostics")["diagnostics"] == []


def test_server_uses_the_files_configuration(client, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nanlint]\nselect = ["NAN302"]\n', encoding="utf-8")
    uri = (tmp_path / "other.py").as_uri()
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                          "text": SOURCE}})
    assert client.wait_for("textDocument/publishDiagnostics")["diagnostics"] == []


def test_lint_document_matches_the_command_line(tmp_path):
    from click.testing import CliRunner

    from nanlint.cli import main
    from nanlint.server import lint_document

    path = tmp_path / "x.py"
    found = lint_document(str(path), SOURCE)
    output = CliRunner().invoke(main, ["--stdin-filename", str(path), "-"], input=SOURCE).stdout
    assert [f"{d.location()}: {d.code} {d.message}" for d in found] == output.splitlines()
