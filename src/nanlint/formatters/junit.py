"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure, ...).

One test suite per file with findings and one failing test case per finding
(NAN000 and NAN999 are errors, not failures). A clean run is one passing test case,
so the report is never empty.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby
from typing import List

from nanlint.diagnostics import Diagnostic
from nanlint.formatters.base import PSEUDO_RULES, Formatter


class JunitFormatter(Formatter):
    def start(self) -> None:
        self._diagnostics: List[Diagnostic] = []

    def handle(self, diagnostic: Diagnostic) -> None:
        self._diagnostics.append(diagnostic)

    def finish(self) -> None:
        root = ET.Element("testsuites", name="nanlint")
        total = failures = errors = 0
        for path, group in groupby(self._diagnostics, key=lambda d: d.path):
            found = list(group)
            suite = ET.SubElement(root, "testsuite", name=path)
            suite_failures = suite_errors = 0
            for diagnostic in found:
                where = diagnostic.location()[len(diagnostic.path) + 1 :]
                case = ET.SubElement(
                    suite, "testcase", name=f"{diagnostic.code} at {where}", classname=path, file=path,
                    line=str(diagnostic.line),
                )
                kind = "error" if diagnostic.code in PSEUDO_RULES else "failure"
                element = ET.SubElement(case, kind, type=diagnostic.code, message=diagnostic.message)
                element.text = f"{diagnostic.location()}: {diagnostic.code} {diagnostic.message}"
                if kind == "error":
                    suite_errors += 1
                else:
                    suite_failures += 1
            suite.set("tests", str(len(found)))
            suite.set("failures", str(suite_failures))
            suite.set("errors", str(suite_errors))
            total += len(found)
            failures += suite_failures
            errors += suite_errors
        if not self._diagnostics:
            suite = ET.SubElement(root, "testsuite", name="nanlint", tests="1", failures="0", errors="0")
            ET.SubElement(suite, "testcase", name="no findings", classname="nanlint")
            total = 1
        root.set("tests", str(total))
        root.set("failures", str(failures))
        root.set("errors", str(errors))
        ET.indent(root)
        self.stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.stream.write(ET.tostring(root, encoding="unicode") + "\n")
