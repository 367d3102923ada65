"""The threading client and server: :mod:`websockets.sync.client` and
:mod:`websockets.sync.server`, from the ``ws-sync`` distribution."""
