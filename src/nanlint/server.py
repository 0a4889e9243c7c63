"""`python -m nanlint.server`: a language server that publishes nanlint's findings.

Optional: it needs pygls (`pip install "nanlint[lsp]"`). The server checks a Python
document when it is opened, changed or saved, with the configuration that applies to
the file on disk (`[tool.nanlint]` found from its folder, per-file ignores, rule
options), and clears the findings when it is closed. Positions are converted to the
units the client asked for (UTF-16 by default). Findings carry the rule code, the
`nanlint` source and, when the rule has one, a link to its documentation.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from nanlint import __version__


def _settings_for(path: str, cache: Dict[Optional[Path], Tuple[Any, List[type]]]) -> Tuple[Any, List[type]]:
    """The settings and enabled rules for a file, cached per config file."""
    from nanlint.config import ConfigError, build_settings, find_config
    from nanlint.registry import all_rules

    rules = all_rules()
    config_path = find_config(Path(path).parent) if path else None
    if config_path not in cache:
        try:
            settings = build_settings(config_path, {}, rules)
        except ConfigError as error:
            print(f"nanlint: {error}; using the defaults", file=sys.stderr)
            settings = build_settings(None, {}, rules)
        cache[config_path] = (settings, settings.selection.enabled(rules.values()))
    return cache[config_path]


def lint_document(path: str, text: str, cache: Optional[Dict] = None) -> List[Any]:
    """nanlint's diagnostics for an editor buffer (the same as `--stdin-filename path`)."""
    from nanlint.checker import check_bytes

    settings, enabled = _settings_for(path, cache if cache is not None else {})
    return check_bytes(path, text.encode("utf-8", "surrogatepass"), settings, enabled).diagnostics


def create_server():
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    server = LanguageServer("nanlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
    cache: Dict = {}

    def publish(uri: str) -> None:
        document = server.workspace.get_text_document(uri)
        path = document.path or "buffer.py"
        if path.lower().endswith(".ipynb"):
            return  # notebooks arrive as notebook documents, which this server does not handle
        found = []
        for diagnostic in lint_document(path, document.source, cache):
            end_line = diagnostic.end_line or diagnostic.line
            end_col = diagnostic.end_col if diagnostic.end_line else diagnostic.col + 1
            server_range = types.Range(
                start=types.Position(line=diagnostic.line - 1, character=diagnostic.col - 1),
                end=types.Position(line=end_line - 1, character=end_col - 1),
            )
            severity = types.DiagnosticSeverity.Error if diagnostic.code in ("NAN000", "NAN999") \
                else types.DiagnosticSeverity.Warning
            found.append(
                types.Diagnostic(
                    range=document.range_to_client_units(server_range),
                    message=diagnostic.message,
                    severity=severity,
                    code=diagnostic.code,
                    source="nanlint",
                )
            )
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=document.version)
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        cache.clear()  # a saved pyproject.toml may have changed the configuration
        publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    return server


def main() -> None:
    try:
        server = create_server()
    except ImportError:
        print('nanlint: the language server needs pygls: pip install "nanlint[lsp]"', file=sys.stderr)
        raise SystemExit(2) from None
    server.start_io()


if __name__ == "__main__":
    main()
