"""Generated protobuf modules; regenerate with scripts/genproto after editing the .proto files."""

from . import aiserver_pb2, key_pb2

__all__ = ["aiserver_pb2", "key_pb2"]
