"""Field numbers of the StreamCpp request parts, checked against hand-written bytes.

Both our proxy and the fake use the same generated module, so a wrong number would go unnoticed
end to end; these vectors come from Cursor 2.3.21's schema (protocol facts 4.4 and 10.4).
"""

from __future__ import annotations

import pytest

from cursorapi.upstream.proto import aiserver_pb2 as pb


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (
            pb.StreamCppRequest(lsp_contexts=[pb.LspSubgraphFullContext(symbol_name="s")]),
            b"\x7a\x03\x12\x01s",
        ),
        (pb.StreamCppRequest(additional_files=[pb.AdditionalFile(is_open=True)]), b"\x9a\x01\x02\x10\x01"),
        (pb.StreamCppRequest(parameter_hints=[pb.CppParameterHint(documentation="d")]), b"\x72\x03\x12\x01d"),
        (pb.StreamCppRequest(code_results=[pb.CodeResult(score=0.5)]), b"\xea\x01\x05\x15\x00\x00\x00\x3f"),
        (pb.StreamCppRequest(lsp_suggested_items=pb.LspSuggestedItems()), b"\xd2\x01\x00"),
        (pb.StreamCppRequest(linter_errors=pb.LinterErrors(file_contents="f")), b"\x22\x03\x1a\x01f"),
        (pb.LinterError(severity=1, is_stale=False), b"\x28\x01\x30\x00"),
        (pb.LinterError(source="ruff"), b"\x1a\x04ruff"),
        (
            pb.Diagnostic(severity=4, related_information=[pb.Diagnostic.RelatedInformation(message="m")]),
            b"\x18\x04\x22\x03\x0a\x01m",
        ),
        (pb.CppFileDiffHistory(diff_history_timestamps=[1.0]), b"\x1a\x08\x00\x00\x00\x00\x00\x00\xf0\x3f"),
        (pb.BlockDiffPatch(start_from_change_index=2, model_uuid="u"), b"\x28\x02\x3a\x01u"),
        (pb.BlockDiffPatch(changes=[pb.BlockDiffPatch.Change(text="t")]), b"\x1a\x03\x0a\x01t"),
        (pb.CodeBlock(file_contents_length=3, file_git_context=pb.FileGit()), b"\x48\x03\x52\x00"),
        (pb.LspSubgraphContextItem(type="definition"), b"\x12\x0adefinition"),
        (
            pb.AdditionalFile(last_viewed_at=0.0, start_line_number_one_indexed=[4]),
            b"\x21" + b"\x00" * 8 + b"\x2a\x01\x04",
        ),
    ],
)
def test_field_numbers(message, wire) -> None:
    assert message.SerializeToString() == wire
