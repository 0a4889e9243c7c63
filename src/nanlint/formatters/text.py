"""flake8-style: `path:line:col: CODE message` (`path:cell:line:col` in notebooks).

With `--show-fixes`, a finding that has a fix is followed by its title and safety
and, when the source is at hand, the lines it changes (`-` old, `+` new).
"""

from __future__ import annotations

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import Formatter


class TextFormatter(Formatter):
    def format(self, diagnostic: Diagnostic) -> str:
        line = f"{diagnostic.location()}: {diagnostic.code} {diagnostic.message}"
        if self.show_fixes and diagnostic.fix is not None:
            extra = [f"  fix ({diagnostic.fix.safety.value}): {diagnostic.fix_title or 'apply the suggested edit'}"]
            extra += [f"  {preview}" for preview in self.fix_preview(diagnostic)]
            line = "\n".join([line, *extra])
        return line
